# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_vitals_global_optspecs
    string join \n format= json output= color= env-file= timeout= v/verbose q/quiet h/help V/version
end

function __fish_vitals_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_vitals_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_vitals_using_subcommand
    set -l cmd (__fish_vitals_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c vitals -n "__fish_vitals_needs_command" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_needs_command" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_needs_command" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_needs_command" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_needs_command" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_needs_command" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_needs_command" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_needs_command" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_needs_command" -s V -l version -d 'Print version'
complete -c vitals -n "__fish_vitals_needs_command" -f -a "check" -d 'Check the health of dependencies'
complete -c vitals -n "__fish_vitals_needs_command" -f -a "alert" -d 'Send alerts through the configured channels'
complete -c vitals -n "__fish_vitals_needs_command" -f -a "history" -d 'Report recorded check runs: uptime, response times, incidents'
complete -c vitals -n "__fish_vitals_needs_command" -f -a "config" -d 'Inspect the configuration'
complete -c vitals -n "__fish_vitals_needs_command" -f -a "serve" -d 'Run the checks every interval behind a dashboard, metrics and an API'
complete -c vitals -n "__fish_vitals_needs_command" -f -a "completions" -d 'Print a shell completion script'
complete -c vitals -n "__fish_vitals_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vitals -n "__fish_vitals_using_subcommand check" -l require -d 'Checks that must be configured: an unconfigured one counts as unhealthy (comma-separated; declared checks too)' -r -f -a "db\t''
cache\t''
agents\t''
services\t''"
complete -c vitals -n "__fish_vitals_using_subcommand check" -l max-age -d 'Answer each check from its latest run recorded on this instance when that run is at most this old, e.g. 30s, 5m (also VITALS_MAX_AGE); the others run. Not with --alert' -r
complete -c vitals -n "__fish_vitals_using_subcommand check" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand check" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand check" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand check" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand check" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand check" -l list -d 'List the checks there are (built-in and declared), with their kind and what each looks at; run nothing'
complete -c vitals -n "__fish_vitals_using_subcommand check" -l alert -d 'Raise an alert for each check in trouble ({check}_failure, {check}_degraded) and resolve it when the check is healthy again; repeats are de-duplicated in the alert store (VITALS_STATE). Records the run too'
complete -c vitals -n "__fish_vitals_using_subcommand check" -l record -d 'Record the run in the store (VITALS_STATE) for `vitals history` (also VITALS_RECORD=1)'
complete -c vitals -n "__fish_vitals_using_subcommand check" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand check" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand check" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "send" -d 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "test" -d 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "list" -d 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "ack" -d 'Acknowledge an alert: it is not notified again, and PagerDuty\'s incident is acknowledged'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "resolve" -d 'Resolve an alert: it is closed, PagerDuty\'s incident resolved, and e-mail and Slack told'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "silence" -d 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence\'s id), nobody is notified, and one still open when the silence ends is notified then, once'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "silences" -d 'List the silences in force or yet to start (--all: those that ended too)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "unsilence" -d 'End a silence now; alerts it held that are still raised are notified at their next run'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and not __fish_seen_subcommand_from send test list ack resolve silence silences unsilence help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l type -d 'What happened, e.g. disk_full (a short identifier: with the labels, the alert\'s identity)' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l severity -d 'How bad it is' -r -f -a "info\t''
warning\t''
error\t''
critical\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l message -d 'A sentence for people; `-` reads it from stdin. Longer than 64 KiB is cut' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l context -d 'Details as a JSON object, e.g. \'{"host":"db1","used_percent":97}\'' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l label -d 'A label (repeatable): with the type, the alert\'s identity, so add --label host=db1 to tell servers apart. Names as Prometheus\'; alertname, check, target, instance, service, metric and severity are vitals\' own' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l channel -d 'Only these channels (comma-separated); each must be configured' -r -f -a "email\t'E-mail through SMTP or SendGrid'
slack\t'A Slack incoming webhook'
sms\t'Twilio SMS (critical alerts only, unless SMS_MIN_SEVERITY says otherwise)'
pagerduty\t'PagerDuty Events API v2'
webhook\t'Any HTTP endpoint, as Alertmanager\'s webhook payload, signed with WEBHOOK_SECRET'
alertmanager\t'Prometheus Alertmanager\'s API (POST /api/v2/alerts), every run while an alert fires'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l dry-run -d 'Say what a send would do (the alert store is read, not written) and print exactly what each channel would send; send nothing'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l channel -d 'Only these channels (comma-separated); each must be configured' -r -f -a "email\t'E-mail through SMTP or SendGrid'
slack\t'A Slack incoming webhook'
sms\t'Twilio SMS (critical alerts only, unless SMS_MIN_SEVERITY says otherwise)'
pagerduty\t'PagerDuty Events API v2'
webhook\t'Any HTTP endpoint, as Alertmanager\'s webhook payload, signed with WEBHOOK_SECRET'
alertmanager\t'Prometheus Alertmanager\'s API (POST /api/v2/alerts), every run while an alert fires'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l dry-run -d 'Print exactly what each channel would send, and send nothing'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l severity -d 'Only alerts of this severity' -r -f -a "info\t''
warning\t''
error\t''
critical\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l status -d 'Only alerts in this state (default: active and acknowledged)' -r -f -a "active\t''
acknowledged\t''
resolved\t''
all\t'Every alert, resolved ones included'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -l by -d 'Who acknowledges it (default: your login name, else $USER, else uid:N)' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from ack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l by -d 'Who resolves it (default: your login name, else $USER, else uid:N)' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l note -d 'What was done about it' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from resolve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l check -d 'Alerts of this check (its name or alias; declared checks too)' -r -f -a "db\t''
cache\t''
agents\t''
services\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l type -d 'Alerts of this type, e.g. disk_full' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l match -d 'Alerts with this label (repeatable), e.g. instance=web1 or service=billing' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l for -d 'How long, e.g. 30m, 2h' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l until -d 'Until when: an RFC 3339 time, or a local HH:MM (the next one to come)' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l by -d 'Who silences (default: your login name, else $USER, else uid:N)' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l reason -d 'Why: shown beside every alert it holds' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silence" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -l all -d 'Those that ended too'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from silences" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -l by -d 'Who ends it (default: your login name, else $USER, else uid:N)' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from unsilence" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "send" -d 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "test" -d 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "ack" -d 'Acknowledge an alert: it is not notified again, and PagerDuty\'s incident is acknowledged'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "resolve" -d 'Resolve an alert: it is closed, PagerDuty\'s incident resolved, and e-mail and Slack told'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "silence" -d 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence\'s id), nobody is notified, and one still open when the silence ends is notified then, once'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "silences" -d 'List the silences in force or yet to start (--all: those that ended too)'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "unsilence" -d 'End a silence now; alerts it held that are still raised are notified at their next run'
complete -c vitals -n "__fish_vitals_using_subcommand alert; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vitals -n "__fish_vitals_using_subcommand history" -l since -d 'Start of the range: a duration back from now (24h, 7d, 30d) or an RFC 3339 time or date' -r
complete -c vitals -n "__fish_vitals_using_subcommand history" -l until -d 'End of the range (default now), as --since' -r
complete -c vitals -n "__fish_vitals_using_subcommand history" -l instance -d 'Only the runs this vitals instance recorded (VITALS_INSTANCE); every instance by default' -r
complete -c vitals -n "__fish_vitals_using_subcommand history" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand history" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand history" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand history" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand history" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand history" -l anomalies -d 'List the anomalies of the range too (metrics that left their usual band)'
complete -c vitals -n "__fish_vitals_using_subcommand history" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand history" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand history" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -f -a "validate" -d 'Report every variable group as configured, not configured or invalid (secrets hidden)'
complete -c vitals -n "__fish_vitals_using_subcommand config; and not __fish_seen_subcommand_from validate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "validate" -d 'Report every variable group as configured, not configured or invalid (secrets hidden)'
complete -c vitals -n "__fish_vitals_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l listen -d 'Address and port to listen on (port 0: any free port, said on stderr)' -r
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l interval -d 'How often the checks run, with a little jitter, e.g. 30s, 5m (at least 1s)' -r
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l alert -d 'Raise an alert for each check in trouble and resolve it on recovery, each round, as check --alert does'
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l private -d 'Every request needs VITALS_SERVE_TOKEN (Bearer, or Basic with any user name), not only changes'
complete -c vitals -n "__fish_vitals_using_subcommand serve" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand serve" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand serve" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand completions" -l format -d 'Output format' -r -f -a "table\t''
json\t''
nagios\t'A Nagios/Icinga plugin status line with perfdata (check commands only)'
prometheus\t'Prometheus text exposition format 0.0.4 (check commands only)'
csv\t'Comma-separated values, RFC 4180 (history only)'"
complete -c vitals -n "__fish_vitals_using_subcommand completions" -l output -d 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand completions" -l color -d 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c vitals -n "__fish_vitals_using_subcommand completions" -l env-file -d 'Read variables from this file instead of ./.env (the real environment still wins)' -r -F
complete -c vitals -n "__fish_vitals_using_subcommand completions" -l timeout -d 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m' -r
complete -c vitals -n "__fish_vitals_using_subcommand completions" -l json -d 'Shorthand for --format json'
complete -c vitals -n "__fish_vitals_using_subcommand completions" -s v -l verbose -d 'More logging on stderr (-v info, -vv debug, -vvv trace)'
complete -c vitals -n "__fish_vitals_using_subcommand completions" -s q -l quiet -d 'Log nothing but errors'
complete -c vitals -n "__fish_vitals_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c vitals -n "__fish_vitals_using_subcommand help; and not __fish_seen_subcommand_from check alert history config serve completions help" -f -a "check" -d 'Check the health of dependencies'
complete -c vitals -n "__fish_vitals_using_subcommand help; and not __fish_seen_subcommand_from check alert history config serve completions help" -f -a "alert" -d 'Send alerts through the configured channels'
complete -c vitals -n "__fish_vitals_using_subcommand help; and not __fish_seen_subcommand_from check alert history config serve completions help" -f -a "history" -d 'Report recorded check runs: uptime, response times, incidents'
complete -c vitals -n "__fish_vitals_using_subcommand help; and not __fish_seen_subcommand_from check alert history config serve completions help" -f -a "config" -d 'Inspect the configuration'
complete -c vitals -n "__fish_vitals_using_subcommand help; and not __fish_seen_subcommand_from check alert history config serve completions help" -f -a "serve" -d 'Run the checks every interval behind a dashboard, metrics and an API'
complete -c vitals -n "__fish_vitals_using_subcommand help; and not __fish_seen_subcommand_from check alert history config serve completions help" -f -a "completions" -d 'Print a shell completion script'
complete -c vitals -n "__fish_vitals_using_subcommand help; and not __fish_seen_subcommand_from check alert history config serve completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "send" -d 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "test" -d 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "list" -d 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "ack" -d 'Acknowledge an alert: it is not notified again, and PagerDuty\'s incident is acknowledged'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "resolve" -d 'Resolve an alert: it is closed, PagerDuty\'s incident resolved, and e-mail and Slack told'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "silence" -d 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence\'s id), nobody is notified, and one still open when the silence ends is notified then, once'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "silences" -d 'List the silences in force or yet to start (--all: those that ended too)'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from alert" -f -a "unsilence" -d 'End a silence now; alerts it held that are still raised are notified at their next run'
complete -c vitals -n "__fish_vitals_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "validate" -d 'Report every variable group as configured, not configured or invalid (secrets hidden)'
