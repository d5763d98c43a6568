
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'vitals' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'vitals'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'vitals' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the health of dependencies')
            [CompletionResult]::new('alert', 'alert', [CompletionResultType]::ParameterValue, 'Send alerts through the configured channels')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Report recorded check runs: uptime, response times, incidents')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the configuration')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the checks every interval behind a dashboard, metrics and an API')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vitals;check' {
            [CompletionResult]::new('--require', '--require', [CompletionResultType]::ParameterName, 'Checks that must be configured: an unconfigured one counts as unhealthy (comma-separated; declared checks too)')
            [CompletionResult]::new('--max-age', '--max-age', [CompletionResultType]::ParameterName, 'Answer each check from its latest run recorded on this instance when that run is at most this old, e.g. 30s, 5m (also VITALS_MAX_AGE); the others run. Not with --alert')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the checks there are (built-in and declared), with their kind and what each looks at; run nothing')
            [CompletionResult]::new('--alert', '--alert', [CompletionResultType]::ParameterName, 'Raise an alert for each check in trouble ({check}_failure, {check}_degraded) and resolve it when the check is healthy again; repeats are de-duplicated in the alert store (VITALS_STATE). Records the run too')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Record the run in the store (VITALS_STATE) for `vitals history` (also VITALS_RECORD=1)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Acknowledge an alert: it is not notified again, and PagerDuty''s incident is acknowledged')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Resolve an alert: it is closed, PagerDuty''s incident resolved, and e-mail and Slack told')
            [CompletionResult]::new('silence', 'silence', [CompletionResultType]::ParameterValue, 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence''s id), nobody is notified, and one still open when the silence ends is notified then, once')
            [CompletionResult]::new('silences', 'silences', [CompletionResultType]::ParameterValue, 'List the silences in force or yet to start (--all: those that ended too)')
            [CompletionResult]::new('unsilence', 'unsilence', [CompletionResultType]::ParameterValue, 'End a silence now; alerts it held that are still raised are notified at their next run')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vitals;alert;send' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'What happened, e.g. disk_full (a short identifier: with the labels, the alert''s identity)')
            [CompletionResult]::new('--severity', '--severity', [CompletionResultType]::ParameterName, 'How bad it is')
            [CompletionResult]::new('--message', '--message', [CompletionResultType]::ParameterName, 'A sentence for people; `-` reads it from stdin. Longer than 64 KiB is cut')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'Details as a JSON object, e.g. ''{"host":"db1","used_percent":97}''')
            [CompletionResult]::new('--label', '--label', [CompletionResultType]::ParameterName, 'A label (repeatable): with the type, the alert''s identity, so add --label host=db1 to tell servers apart. Names as Prometheus''; alertname, check, target, instance, service, metric and severity are vitals'' own')
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Only these channels (comma-separated); each must be configured')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say what a send would do (the alert store is read, not written) and print exactly what each channel would send; send nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;test' {
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Only these channels (comma-separated); each must be configured')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print exactly what each channel would send, and send nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;list' {
            [CompletionResult]::new('--severity', '--severity', [CompletionResultType]::ParameterName, 'Only alerts of this severity')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only alerts in this state (default: active and acknowledged)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;ack' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Who acknowledges it (default: your login name, else $USER, else uid:N)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;resolve' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Who resolves it (default: your login name, else $USER, else uid:N)')
            [CompletionResult]::new('--note', '--note', [CompletionResultType]::ParameterName, 'What was done about it')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;silence' {
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'Alerts of this check (its name or alias; declared checks too)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Alerts of this type, e.g. disk_full')
            [CompletionResult]::new('--match', '--match', [CompletionResultType]::ParameterName, 'Alerts with this label (repeatable), e.g. instance=web1 or service=billing')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'How long, e.g. 30m, 2h')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Until when: an RFC 3339 time, or a local HH:MM (the next one to come)')
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Who silences (default: your login name, else $USER, else uid:N)')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why: shown beside every alert it holds')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;silences' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Those that ended too')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;unsilence' {
            [CompletionResult]::new('--by', '--by', [CompletionResultType]::ParameterName, 'Who ends it (default: your login name, else $USER, else uid:N)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;alert;help' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Acknowledge an alert: it is not notified again, and PagerDuty''s incident is acknowledged')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Resolve an alert: it is closed, PagerDuty''s incident resolved, and e-mail and Slack told')
            [CompletionResult]::new('silence', 'silence', [CompletionResultType]::ParameterValue, 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence''s id), nobody is notified, and one still open when the silence ends is notified then, once')
            [CompletionResult]::new('silences', 'silences', [CompletionResultType]::ParameterValue, 'List the silences in force or yet to start (--all: those that ended too)')
            [CompletionResult]::new('unsilence', 'unsilence', [CompletionResultType]::ParameterValue, 'End a silence now; alerts it held that are still raised are notified at their next run')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vitals;alert;help;send' {
            break
        }
        'vitals;alert;help;test' {
            break
        }
        'vitals;alert;help;list' {
            break
        }
        'vitals;alert;help;ack' {
            break
        }
        'vitals;alert;help;resolve' {
            break
        }
        'vitals;alert;help;silence' {
            break
        }
        'vitals;alert;help;silences' {
            break
        }
        'vitals;alert;help;unsilence' {
            break
        }
        'vitals;alert;help;help' {
            break
        }
        'vitals;history' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Start of the range: a duration back from now (24h, 7d, 30d) or an RFC 3339 time or date')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'End of the range (default now), as --since')
            [CompletionResult]::new('--instance', '--instance', [CompletionResultType]::ParameterName, 'Only the runs this vitals instance recorded (VITALS_INSTANCE); every instance by default')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--anomalies', '--anomalies', [CompletionResultType]::ParameterName, 'List the anomalies of the range too (metrics that left their usual band)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;config' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Report every variable group as configured, not configured or invalid (secrets hidden)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vitals;config;validate' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;config;help' {
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Report every variable group as configured, not configured or invalid (secrets hidden)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vitals;config;help;validate' {
            break
        }
        'vitals;config;help;help' {
            break
        }
        'vitals;serve' {
            [CompletionResult]::new('--listen', '--listen', [CompletionResultType]::ParameterName, 'Address and port to listen on (port 0: any free port, said on stderr)')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often the checks run, with a little jitter, e.g. 30s, 5m (at least 1s)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--alert', '--alert', [CompletionResultType]::ParameterName, 'Raise an alert for each check in trouble and resolve it on recovery, each round, as check --alert does')
            [CompletionResult]::new('--private', '--private', [CompletionResultType]::ParameterName, 'Every request needs VITALS_SERVE_TOKEN (Bearer, or Basic with any user name), not only changes')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;completions' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the result to this file (atomically: a collector never reads half of it) instead of stdout')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour output (NO_COLOR and TERM=dumb turn "auto" off)')
            [CompletionResult]::new('--env-file', '--env-file', [CompletionResultType]::ParameterName, 'Read variables from this file instead of ./.env (the real environment still wins)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time allowed per check or per alert delivery attempt, e.g. 500ms, 5s, 2m')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Shorthand for --format json')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'More logging on stderr (-v info, -vv debug, -vvv trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log nothing but errors')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'vitals;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the health of dependencies')
            [CompletionResult]::new('alert', 'alert', [CompletionResultType]::ParameterValue, 'Send alerts through the configured channels')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'Report recorded check runs: uptime, response times, incidents')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Inspect the configuration')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Run the checks every interval behind a dashboard, metrics and an API')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'vitals;help;check' {
            break
        }
        'vitals;help;alert' {
            [CompletionResult]::new('send', 'send', [CompletionResultType]::ParameterValue, 'Record an alert and send it through every configured channel (or those of --channel), unless it repeats an open alert within ALERT_REPEAT_INTERVAL')
            [CompletionResult]::new('test', 'test', [CompletionResultType]::ParameterValue, 'Send a clearly labelled test alert through every configured channel, SMS included (not recorded)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the alerts in the store: open ones (active and acknowledged) unless --status says otherwise')
            [CompletionResult]::new('ack', 'ack', [CompletionResultType]::ParameterValue, 'Acknowledge an alert: it is not notified again, and PagerDuty''s incident is acknowledged')
            [CompletionResult]::new('resolve', 'resolve', [CompletionResultType]::ParameterValue, 'Resolve an alert: it is closed, PagerDuty''s incident resolved, and e-mail and Slack told')
            [CompletionResult]::new('silence', 'silence', [CompletionResultType]::ParameterValue, 'Silence matching alerts for a while: they are still recorded (held: silenced, with the silence''s id), nobody is notified, and one still open when the silence ends is notified then, once')
            [CompletionResult]::new('silences', 'silences', [CompletionResultType]::ParameterValue, 'List the silences in force or yet to start (--all: those that ended too)')
            [CompletionResult]::new('unsilence', 'unsilence', [CompletionResultType]::ParameterValue, 'End a silence now; alerts it held that are still raised are notified at their next run')
            break
        }
        'vitals;help;alert;send' {
            break
        }
        'vitals;help;alert;test' {
            break
        }
        'vitals;help;alert;list' {
            break
        }
        'vitals;help;alert;ack' {
            break
        }
        'vitals;help;alert;resolve' {
            break
        }
        'vitals;help;alert;silence' {
            break
        }
        'vitals;help;alert;silences' {
            break
        }
        'vitals;help;alert;unsilence' {
            break
        }
        'vitals;help;history' {
            break
        }
        'vitals;help;config' {
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Report every variable group as configured, not configured or invalid (secrets hidden)')
            break
        }
        'vitals;help;config;validate' {
            break
        }
        'vitals;help;serve' {
            break
        }
        'vitals;help;completions' {
            break
        }
        'vitals;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
