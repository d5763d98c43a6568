
use builtin;
use str;

set edit:completion:arg-completer[vitals] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'vitals'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'vitals'= {
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Check the health of dependencies'
            cand alert 'Send alerts through the configured channels'
            cand config 'Inspect the configuration'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;check'= {
            cand --require 'Checks that must be configured: an unconfigured one counts as unhealthy (comma-separated)'
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vitals;alert'= {
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand send 'Send an alert through every configured channel (or those of --channel)'
            cand test 'Send a clearly labelled test alert through every configured channel, SMS included'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;alert;send'= {
            cand --type 'What happened, e.g. disk_full (a short identifier: it is the alert''s identity)'
            cand --severity 'How bad it is'
            cand --message 'A sentence for people; `-` reads it from stdin. Longer than 64 KiB is cut'
            cand --context 'Details as a JSON object, e.g. ''{"host":"db1","used_percent":97}'''
            cand --channel 'Only these channels (comma-separated); each must be configured'
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --dry-run 'Print exactly what each channel would send, and send nothing'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vitals;alert;test'= {
            cand --channel 'Only these channels (comma-separated); each must be configured'
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --dry-run 'Print exactly what each channel would send, and send nothing'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vitals;alert;help'= {
            cand send 'Send an alert through every configured channel (or those of --channel)'
            cand test 'Send a clearly labelled test alert through every configured channel, SMS included'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;alert;help;send'= {
        }
        &'vitals;alert;help;test'= {
        }
        &'vitals;alert;help;help'= {
        }
        &'vitals;config'= {
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand validate 'Report every variable group as configured, not configured or invalid (secrets hidden)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;config;validate'= {
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vitals;config;help'= {
            cand validate 'Report every variable group as configured, not configured or invalid (secrets hidden)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;config;help;validate'= {
        }
        &'vitals;config;help;help'= {
        }
        &'vitals;completions'= {
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vitals;help'= {
            cand check 'Check the health of dependencies'
            cand alert 'Send alerts through the configured channels'
            cand config 'Inspect the configuration'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;help;check'= {
        }
        &'vitals;help;alert'= {
            cand send 'Send an alert through every configured channel (or those of --channel)'
            cand test 'Send a clearly labelled test alert through every configured channel, SMS included'
        }
        &'vitals;help;alert;send'= {
        }
        &'vitals;help;alert;test'= {
        }
        &'vitals;help;config'= {
            cand validate 'Report every variable group as configured, not configured or invalid (secrets hidden)'
        }
        &'vitals;help;config;validate'= {
        }
        &'vitals;help;completions'= {
        }
        &'vitals;help;help'= {
        }
    ]
    $completions[$command]
}
