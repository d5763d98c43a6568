
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
            cand --timeout 'Time allowed per check, e.g. 500ms, 5s, 2m'
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
            cand --timeout 'Time allowed per check, e.g. 500ms, 5s, 2m'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vitals;config'= {
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check, e.g. 500ms, 5s, 2m'
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
            cand --timeout 'Time allowed per check, e.g. 500ms, 5s, 2m'
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
            cand --timeout 'Time allowed per check, e.g. 500ms, 5s, 2m'
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
            cand config 'Inspect the configuration'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;help;check'= {
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
