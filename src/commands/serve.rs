//! `vitals serve`: reads what the server runs, binds its address, says
//! where it listens and runs it until SIGTERM or SIGINT (then exit 0 once
//! requests and the round in progress have finished).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use super::{Stopped, until_stopped};
use crate::checks::{BUILTINS, Check, Selection};
use crate::cli::ServeArgs;
use crate::config::ProcessEnv;
use crate::exit::Exit;
use crate::net::is_loopback;
use crate::serve::{self, Alerting, Options};
use crate::{output, settings};

pub fn run(args: &ServeArgs, timeout: Duration, quiet: bool) -> anyhow::Result<Exit> {
    let named = !args.names.is_empty();
    let selection = match named {
        true => super::check::selection(&args.names)?,
        false => Selection::All,
    };
    let checks: Vec<Box<dyn Check>> = settings::checks(&ProcessEnv, &selection)?;
    // Named, a check must be configured; unnamed, the configured ones run.
    let unconfigured: Vec<String> = checks
        .iter()
        .filter(|c| !c.configured())
        .map(|c| format!("{} (set {})", c.id().key(), c.id().configured_by()))
        .collect();
    if named && !unconfigured.is_empty() {
        anyhow::bail!("not configured: {}", unconfigured.join(", "));
    }
    let checks: Vec<Arc<dyn Check>> = checks
        .into_iter()
        .filter(|c| c.configured())
        .map(Arc::from)
        .collect();
    if checks.is_empty() {
        let vars: Vec<&str> = BUILTINS.iter().map(|b| b.configured_by).collect();
        anyhow::bail!(
            "nothing to serve: no check is configured (set {})",
            vars.join(", ")
        );
    }
    let token = settings::serve_token(&ProcessEnv)?;
    if args.private && token.is_none() {
        anyhow::bail!("--private: every request would need VITALS_SERVE_TOKEN, which is not set");
    }
    let alerting = if args.alert {
        let (_, _, failure, hygiene) = settings::check_alerting(&ProcessEnv)?;
        Some(Alerting { failure, hygiene })
    } else {
        None
    };
    let (config, entries) = settings::alerting(&ProcessEnv)?;
    // The leader records every round, as `check --record` would: the
    // history (and the anomalies judged on it) must not depend on cron.
    let (store, history) = settings::recording(&ProcessEnv)?;

    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("--listen {}: cannot listen there", args.listen))?;
    let bound = listener
        .local_addr()
        .with_context(|| format!("--listen {}", args.listen))?;
    let claim = serve::claim(&config)?;
    if token.is_none() && !is_loopback(&bound.ip().to_string()) {
        output::warning(&format!(
            "listening on {bound}, beyond this host, with no VITALS_SERVE_TOKEN: anyone who \
             reaches it reads the dashboard and the API (alerts cannot be changed through it)"
        ));
    }
    if !quiet {
        output::say(&format!(
            "vitals serve: listening on {} ({} check{} every {})",
            serve::url(bound),
            checks.len(),
            if checks.len() == 1 { "" } else { "s" },
            humantime::format_duration(args.interval)
        ));
    }
    let node = format!("{}:{}", crate::config::host_name(), bound.port());
    let options = Options {
        checks,
        interval: args.interval,
        timeout,
        max_in_flight: settings::max_in_flight(&ProcessEnv)?,
        token,
        private: args.private,
        config,
        entries,
        alerting,
        store,
        history,
    };
    // A thread per core (at least two, so that requests are answered while
    // a check works; at most four, as `check` runs checks): more threads
    // than cores only take turns, and requests wait for them.
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let workers = options.checks.len().min(cores).clamp(2, 4);
    let what = "requests in flight and the round in progress were dropped";
    match until_stopped(workers, what, |stop| {
        serve::run(options, listener, node, claim, stop)
    }) {
        Ok((Ok(()), signal)) => {
            if let Some(signal) = signal
                && !quiet
            {
                output::say(&format!("vitals serve: stopped by {signal}"));
            }
            Ok(Exit::Ok)
        }
        Ok((Err(e), _)) => Err(anyhow::Error::new(e).context("vitals serve")),
        Err(Stopped::Runtime(e)) => Err(e.into()),
        Err(Stopped::Interrupted(stopped)) => {
            output::error(&stopped.to_string());
            Ok(Exit::Unknown)
        }
    }
}
