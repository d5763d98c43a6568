
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
            cand history 'Report recorded check runs: uptime, response times, incidents'
            cand config 'Inspect the configuration'
            cand serve 'Run the checks every interval behind a dashboard, metrics and an API'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;check'= {
            cand --require 'Checks that must be configured: an unconfigured one counts as unhealthy (comma-separated; declared checks too)'
            cand --max-age 'Answer each check from its latest run recorded on this instance when that run is at most this old, e.g. 30s, 5m (also VITALS_MAX_AGE); the others run. Not with --alert'
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --list 'List the checks there are (built-in and declared), with their kind and what each looks at; run nothing'
            cand --alert 'Raise an alert for each check in trouble ({check}_failure, {check}_degraded) and resolve it when the check is healthy again; repeats are de-duplicated in the alert store (VITALS_STATE). Records the run too'
            cand --record 'Record the run in the store (VITALS_STATE) for `vitals history` (also VITALS_RECORD=1)'
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
            cand send 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL'
            cand test 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)'
            cand list 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise'
            cand ack 'Acknowledge an alert: it is not notified again, and PagerDuty''s incident is acknowledged'
            cand resolve 'Resolve an alert: it is closed, PagerDuty''s incident resolved, and e-mail and Slack told'
            cand silence 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence''s id), nobody is notified, and one still open when the silence ends is notified then, once'
            cand silences 'List the silences in force or yet to start (--all: those that ended too)'
            cand unsilence 'End a silence now; alerts it held that are still raised are notified at their next run'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;alert;send'= {
            cand --type 'What happened, e.g. disk_full (a short identifier: with the labels, the alert''s identity)'
            cand --severity 'How bad it is'
            cand --message 'A sentence for people; `-` reads it from stdin. Longer than 64 KiB is cut'
            cand --context 'Details as a JSON object, e.g. ''{"host":"db1","used_percent":97}'''
            cand --label 'A label (repeatable): with the type, the alert''s identity, so add --label host=db1 to tell servers apart. Names as Prometheus''; alertname, check, target, instance, service, metric and severity are vitals'' own'
            cand --channel 'Only these channels (comma-separated); each must be configured'
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --dry-run 'Say what a send would do (the alert store is read, not written) and print exactly what each channel would send; send nothing'
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
        &'vitals;alert;list'= {
            cand --severity 'Only alerts of this severity'
            cand --status 'Only alerts in this state (default: active and acknowledged)'
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
        &'vitals;alert;ack'= {
            cand --by 'Who acknowledges it (default: your login name, else $USER, else uid:N)'
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
        &'vitals;alert;resolve'= {
            cand --by 'Who resolves it (default: your login name, else $USER, else uid:N)'
            cand --note 'What was done about it'
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
        &'vitals;alert;silence'= {
            cand --check 'Alerts of this check (its name or alias; declared checks too)'
            cand --type 'Alerts of this type, e.g. disk_full'
            cand --match 'Alerts with this label (repeatable), e.g. instance=web1 or service=billing'
            cand --for 'How long, e.g. 30m, 2h'
            cand --until 'Until when: an RFC 3339 time, or a local HH:MM (the next one to come)'
            cand --by 'Who silences (default: your login name, else $USER, else uid:N)'
            cand --reason 'Why: shown beside every alert it holds'
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
        &'vitals;alert;silences'= {
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --all 'Those that ended too'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'vitals;alert;unsilence'= {
            cand --by 'Who ends it (default: your login name, else $USER, else uid:N)'
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
        &'vitals;alert;help'= {
            cand send 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL'
            cand test 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)'
            cand list 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise'
            cand ack 'Acknowledge an alert: it is not notified again, and PagerDuty''s incident is acknowledged'
            cand resolve 'Resolve an alert: it is closed, PagerDuty''s incident resolved, and e-mail and Slack told'
            cand silence 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence''s id), nobody is notified, and one still open when the silence ends is notified then, once'
            cand silences 'List the silences in force or yet to start (--all: those that ended too)'
            cand unsilence 'End a silence now; alerts it held that are still raised are notified at their next run'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;alert;help;send'= {
        }
        &'vitals;alert;help;test'= {
        }
        &'vitals;alert;help;list'= {
        }
        &'vitals;alert;help;ack'= {
        }
        &'vitals;alert;help;resolve'= {
        }
        &'vitals;alert;help;silence'= {
        }
        &'vitals;alert;help;silences'= {
        }
        &'vitals;alert;help;unsilence'= {
        }
        &'vitals;alert;help;help'= {
        }
        &'vitals;history'= {
            cand --since 'Start of the range: a duration back from now (24h, 7d, 30d) or an RFC 3339 time or date'
            cand --until 'End of the range (default now), as --since'
            cand --instance 'Only the runs this vitals instance recorded (VITALS_INSTANCE); every instance by default'
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --anomalies 'List the anomalies of the range too (metrics that left their usual band)'
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
        &'vitals;serve'= {
            cand --listen 'Address and port to listen on (port 0: any free port, said on stderr)'
            cand --interval 'How often the checks run, with a little jitter, e.g. 30s, 5m (at least 1s)'
            cand --format 'Output format'
            cand --output 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout'
            cand --color 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)'
            cand --env-file 'Read variables from this file instead of ./.env (the real environment still wins)'
            cand --timeout 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m'
            cand --alert 'Raise an alert for each check in trouble and resolve it on recovery, each round, as check --alert does'
            cand --private 'Every request needs VITALS_SERVE_TOKEN (Bearer, or Basic with any user name), not only changes'
            cand --json 'Shorthand for --format json'
            cand -v 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand --verbose 'More logging on stderr (-v info, -vv debug, -vvv trace)'
            cand -q 'Log nothing but errors'
            cand --quiet 'Log nothing but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
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
            cand history 'Report recorded check runs: uptime, response times, incidents'
            cand config 'Inspect the configuration'
            cand serve 'Run the checks every interval behind a dashboard, metrics and an API'
            cand completions 'Print a shell completion script'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'vitals;help;check'= {
        }
        &'vitals;help;alert'= {
            cand send 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL'
            cand test 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)'
            cand list 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise'
            cand ack 'Acknowledge an alert: it is not notified again, and PagerDuty''s incident is acknowledged'
            cand resolve 'Resolve an alert: it is closed, PagerDuty''s incident resolved, and e-mail and Slack told'
            cand silence 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence''s id), nobody is notified, and one still open when the silence ends is notified then, once'
            cand silences 'List the silences in force or yet to start (--all: those that ended too)'
            cand unsilence 'End a silence now; alerts it held that are still raised are notified at their next run'
        }
        &'vitals;help;alert;send'= {
        }
        &'vitals;help;alert;test'= {
        }
        &'vitals;help;alert;list'= {
        }
        &'vitals;help;alert;ack'= {
        }
        &'vitals;help;alert;resolve'= {
        }
        &'vitals;help;alert;silence'= {
        }
        &'vitals;help;alert;silences'= {
        }
        &'vitals;help;alert;unsilence'= {
        }
        &'vitals;help;history'= {
        }
        &'vitals;help;config'= {
            cand validate 'Report every variable group as configured, not configured or invalid (secrets hidden)'
        }
        &'vitals;help;config;validate'= {
        }
        &'vitals;help;serve'= {
        }
        &'vitals;help;completions'= {
        }
        &'vitals;help;help'= {
        }
    ]
    $completions[$command]
}
