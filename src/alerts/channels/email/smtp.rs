//! E-mail delivery over SMTP with lettre.
//!
//! SMTP is driven step by step rather than through lettre's transport, for
//! two reasons: the rule "credentials only over TLS" is checked right before
//! AUTH on the live connection, whatever the configuration said; and one
//! transaction with one RCPT per recipient gives a result per recipient (a
//! rejected address fails alone) while everyone receives the same message.

use std::time::Duration;

use lettre::Address;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::ClientId;
use tokio::time::Instant;

use super::super::Shared;
use super::{CHANNEL, EmailConfig, EmailContent, SmtpConfig, SmtpTls};
use crate::alerts::retry::{Failure, Schedule, Step};
use crate::alerts::{Accepted, Attempt, Delivery, Policy, Timestamp};
use crate::config::Secret;
use crate::error::{chain_text, find_cause};
use crate::net::http::HttpError;
use crate::net::is_loopback;
use crate::net::tls::{self, Trust};
use crate::text::millis;

pub const PROVIDER: &str = "smtp";

pub struct Smtp {
    host: String,
    port: u16,
    tls: SmtpTls,
    credentials: Option<(String, Secret)>,
    /// The system store, `SSL_CERT_FILE` and `SMTP_CA_FILE`: built once, so
    /// the bundles are read once however many messages go out.
    trust: Trust,
    sender: String,
    recipients: Vec<String>,
    /// `SMTP_HELO_NAME`; this host's name when unset.
    helo_name: Option<String>,
}

impl Smtp {
    pub fn new(smtp: &SmtpConfig, email: &EmailConfig, shared: &Shared) -> Smtp {
        Smtp {
            host: smtp.host.clone(),
            port: smtp.port,
            tls: smtp.tls,
            credentials: smtp.user.clone().zip(smtp.password.clone()),
            trust: match &smtp.ca_file {
                Some(file) => shared.trust.with_file(file.clone()),
                None => shared.trust.clone(),
            },
            sender: email.sender.clone(),
            recipients: email.recipients.clone(),
            helo_name: smtp.helo_name.clone(),
        }
    }

    /// The name given in EHLO: `SMTP_HELO_NAME`, else this host's fully
    /// qualified name when it has one (mail servers often refuse a bare
    /// one, as Postfix's reject_non_fqdn_helo_hostname does), else its name.
    async fn hello(&self) -> ClientId {
        if let Some(name) = &self.helo_name {
            return ClientId::Domain(name.clone());
        }
        let lookup = tokio::task::spawn_blocking(crate::net::fully_qualified_host_name);
        match tokio::time::timeout(NAME_LOOKUP_LIMIT, lookup).await {
            Ok(Ok(Some(name))) => ClientId::Domain(name),
            _ => ClientId::default(),
        }
    }

    /// `host:port`, as failure messages name the server tried.
    fn tried(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// TLS for the SMTP server, trusting [`Smtp::trust`].
    fn tls_parameters(&self) -> Result<Option<TlsParameters>, String> {
        if self.tls == SmtpTls::None {
            return Ok(None);
        }
        // lettre's rustls takes the process-wide provider: make sure it is ring.
        tls::provider();
        let pem = self.trust.pem().map_err(|e| e.to_string())?;
        let mut builder =
            TlsParameters::builder(self.host.clone()).certificate_store(CertificateStore::None);
        for der in tls::usable_roots(&pem) {
            let cert = Certificate::from_der(der.to_vec()).map_err(|e| chain_text(&e))?;
            builder = builder.add_root_certificate(cert);
        }
        builder
            .build_rustls()
            .map(Some)
            .map_err(|e| format!("SMTP TLS set-up failed: {}", chain_text(&e)))
    }

    /// Connects, secures the connection as configured and logs in.
    async fn connect(
        &self,
        tls: Option<&TlsParameters>,
        hello: &ClientId,
        timeout: Duration,
    ) -> Result<AsyncSmtpConnection, Rejection> {
        let wrapped = match self.tls {
            SmtpTls::Implicit => tls.cloned(),
            SmtpTls::StartTls | SmtpTls::None => None,
        };
        // lettre itself says QUIT when EHLO is refused.
        let mut conn = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(timeout),
            hello,
            wrapped,
            None,
        )
        .await
        .map_err(|e| Rejection::from_smtp(&e, "EHLO"))?;
        if self.tls == SmtpTls::StartTls {
            let Some(params) = tls.filter(|_| conn.can_starttls()) else {
                conn.abort().await;
                return Err(Rejection::permanent(
                    "the server does not offer STARTTLS; refusing to continue unencrypted \
                     (SMTP_TLS=starttls)",
                ));
            };
            conn.starttls(params.clone(), hello)
                .await
                .map_err(|e| Rejection::from_smtp(&e, "STARTTLS"))?;
        }
        if let Some((user, password)) = &self.credentials {
            // Checked on the live connection, whatever the configuration allowed:
            // plain-text AUTH only when SMTP_TLS=none was asked for a loopback host.
            let plain_allowed = self.tls == SmtpTls::None && is_loopback(&self.host);
            if !conn.is_encrypted() && !plain_allowed {
                conn.abort().await;
                return Err(Rejection::permanent(
                    "refusing to send SMTP credentials over an unencrypted connection",
                ));
            }
            let credentials = Credentials::new(user.clone(), password.expose().to_owned());
            if let Err(e) = conn
                .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
            {
                conn.abort().await;
                return Err(Rejection::from_smtp(&e, "AUTH"));
            }
        }
        Ok(conn)
    }

    /// One session: a single message, one RCPT per recipient, a result for
    /// each; it ends with QUIT whatever happened, as long as the server listens.
    async fn session(
        &self,
        tls: Option<&TlsParameters>,
        hello: &ClientId,
        message: &[u8],
        from: &Address,
        to: &[Address],
        timeout: Duration,
    ) -> Result<Vec<Step<Accepted>>, Rejection> {
        let mut conn = self.connect(tls, hello, timeout).await?;
        let steps = transaction(&mut conn, message, from, to).await;
        match &steps {
            Ok(_) => {
                let _ = conn.quit().await;
            }
            Err(_) => conn.abort().await,
        }
        steps
    }
    fn message(
        &self,
        content: &EmailContent,
        from: &Address,
        to: &[Address],
    ) -> Result<Vec<u8>, String> {
        let mut builder = lettre::Message::builder()
            .from(Mailbox::new(None, from.clone()))
            .subject(content.subject.clone());
        if let Some(thread) = &content.thread {
            builder = builder.message_id(Some(thread.message_id.clone()));
            if let Some(first) = &thread.in_reply_to {
                builder = builder
                    .in_reply_to(first.clone())
                    .references(first.clone());
            }
        }
        for address in to {
            builder = builder.to(Mailbox::new(None, address.clone()));
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                content.text.clone(),
                content.html.clone(),
            ))
            .map(|m| m.formatted())
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    /// Retries with the same [`Schedule`] as `retry::run`, but not through it:
    /// one SMTP session answers for every recipient at once, each with its own
    /// result, and a retry is one new session for the recipients still
    /// pending, while `retry::run` retries one request with one result.
    pub async fn deliver(&self, content: &EmailContent, policy: &Policy) -> Vec<Delivery> {
        let mut targets: Vec<Target> = self
            .recipients
            .iter()
            .map(|r| Target {
                shown: r.clone(),
                address: r.parse().ok(),
                history: Vec::new(),
                result: None,
                last_error: String::new(),
            })
            .collect();
        for t in targets.iter_mut().filter(|t| t.address.is_none()) {
            t.result = Some(Err("not a valid e-mail address".to_owned()));
        }
        let valid: Vec<Address> = targets.iter().filter_map(|t| t.address.clone()).collect();
        let prepared = self
            .sender
            .parse::<Address>()
            .map_err(|_| "ALERT_SENDER_EMAIL is not a valid e-mail address".to_owned());
        let prepared = prepared.and_then(|from| {
            let message = self.message(content, &from, &valid)?;
            Ok((from, message, self.tls_parameters()?))
        });
        let (from, message, tls) = match prepared {
            Ok(p) => p,
            Err(e) => return finish(targets, Some(&e)),
        };

        let hello = self.hello().await;
        let mut schedule = Schedule::new(policy);
        loop {
            let pending: Vec<usize> = (0..targets.len())
                .filter(|&i| targets[i].result.is_none())
                .collect();
            if pending.is_empty() {
                break;
            }
            let Some(timeout) = schedule.next() else {
                return finish(targets, Some("out of time"));
            };
            let to: Vec<Address> = pending
                .iter()
                .filter_map(|&i| targets[i].address.clone())
                .collect();
            let at = Timestamp::now();
            let started = Instant::now();
            let steps = match tokio::time::timeout(
                timeout,
                self.session(tls.as_ref(), &hello, &message, &from, &to, timeout),
            )
            .await
            {
                Ok(Ok(steps)) => steps,
                Ok(Err(rejection)) => vec![rejection.step(); pending.len()],
                Err(_) => {
                    vec![
                        Rejection::transient(HttpError::Timeout(timeout).to_string()).step();
                        pending.len()
                    ]
                }
            };
            // Every failure the server had a part in names it.
            let steps = steps.into_iter().map(|mut step| {
                if let Err(f) = &mut step.result {
                    f.error = format!("{}: {}", self.tried(), f.error);
                }
                step
            });
            let duration_ms = millis(started.elapsed());
            let mut retry = false;
            for (&i, step) in pending.iter().zip(steps) {
                let target = &mut targets[i];
                target.history.push(Attempt::new(
                    at,
                    duration_ms,
                    step.status,
                    step.result.as_ref().err().map(|f| f.error.as_str()),
                ));
                match step.result {
                    Ok(accepted) => target.result = Some(Ok(accepted)),
                    Err(f) if !f.retryable => target.result = Some(Err(f.error)),
                    Err(f) => {
                        target.last_error = f.error;
                        retry = true;
                    }
                }
            }
            if retry && let Err(why) = schedule.pause(None).await {
                return finish(targets, Some(&why.to_string()));
            }
        }
        finish(targets, None)
    }
}

/// MAIL, one RCPT per recipient and, when any was accepted, DATA: a step per recipient.
async fn transaction(
    conn: &mut AsyncSmtpConnection,
    message: &[u8],
    from: &Address,
    to: &[Address],
) -> Result<Vec<Step<Accepted>>, Rejection> {
    conn.command(Mail::new(Some(from.clone()), Vec::new()))
        .await
        .map_err(|e| Rejection::from_smtp(&e, "MAIL"))?;
    let mut steps: Vec<Option<Step<Accepted>>> = Vec::with_capacity(to.len());
    let mut accepted = Vec::new();
    for (i, rcpt) in to.iter().enumerate() {
        match conn.command(Rcpt::new(rcpt.clone(), Vec::new())).await {
            Ok(_) => {
                accepted.push(i);
                steps.push(None);
            }
            // A reply about this one address; anything else ends the session.
            Err(e) if e.status().is_some() => {
                steps.push(Some(Rejection::from_smtp(&e, "RCPT").step()));
            }
            Err(e) => return Err(Rejection::from_smtp(&e, "RCPT")),
        }
    }
    if accepted.is_empty() {
        let _ = conn.command(Rset).await;
    } else {
        let sent = match conn.command(Data).await {
            Ok(_) => conn.command(DataPayload::new(message)).await,
            Err(e) => Err(e),
        };
        for &i in &accepted {
            steps[i] = Some(match &sent {
                Ok(reply) => Step {
                    status: Some(reply.code().into()),
                    result: Ok(Accepted {
                        id: None,
                        status: Some(
                            format!(
                                "{} {}",
                                reply.code(),
                                reply.message().collect::<Vec<_>>().join(" ")
                            )
                            .trim()
                            .to_owned(),
                        ),
                    }),
                },
                Err(e) => Rejection::from_smtp(e, "DATA").step(),
            });
        }
    }
    Ok(steps
        .into_iter()
        .map(|s| s.unwrap_or_else(|| Rejection::transient("no reply from the server").step()))
        .collect())
}

/// How long the search for this host's fully qualified name may take.
const NAME_LOOKUP_LIMIT: Duration = Duration::from_secs(2);

/// The message after `DATA`, dot-stuffed (RFC 5321 4.5.2) and terminated,
/// in one buffer so it leaves in one write: lettre writes the body and the
/// terminator separately, and the second small write waits for a delayed ACK
/// (Nagle), 40 ms per message on Linux.
struct DataPayload(String);

impl DataPayload {
    fn new(message: &[u8]) -> DataPayload {
        let text = String::from_utf8_lossy(message);
        let mut out = String::with_capacity(text.len() + 8);
        for line in text.split_inclusive("\r\n") {
            if line.starts_with('.') {
                out.push('.');
            }
            out.push_str(line);
        }
        if !out.ends_with("\r\n") {
            out.push_str("\r\n");
        }
        out.push_str(".\r\n");
        DataPayload(out)
    }
}

impl std::fmt::Display for DataPayload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One recipient's progress through the attempts.
struct Target {
    shown: String,
    address: Option<Address>,
    history: Vec<Attempt>,
    result: Option<Result<Accepted, String>>,
    last_error: String,
}

/// The records; recipients still pending fail with their last error and `why`.
fn finish(targets: Vec<Target>, why: Option<&str>) -> Vec<Delivery> {
    targets
        .into_iter()
        .map(|t| {
            let result = t.result.unwrap_or_else(|| {
                Err(match (t.last_error.is_empty(), why) {
                    (true, Some(why)) => why.to_owned(),
                    (false, Some(why)) => format!("{}; {why}", t.last_error),
                    (_, None) => t.last_error,
                })
            });
            Delivery::finished(CHANNEL.id(), PROVIDER, t.shown, result, t.history)
        })
        .collect()
}

/// A failed SMTP step: the reply code when there was one, and whether to retry.
#[derive(Debug, Clone)]
struct Rejection {
    status: Option<u16>,
    failure: Failure,
}

impl Rejection {
    fn permanent(error: &str) -> Rejection {
        Rejection {
            status: None,
            failure: Failure::permanent(error),
        }
    }

    fn transient(error: impl Into<String>) -> Rejection {
        Rejection {
            status: None,
            failure: Failure::transient(error),
        }
    }

    /// 4xx replies and network trouble are worth another attempt; 5xx
    /// replies, TLS failures and client-side refusals are not. `command` is
    /// the step that failed, as a reply names it ("AUTH refused: 535 …").
    fn from_smtp(error: &lettre::transport::smtp::Error, command: &str) -> Rejection {
        let tls_error = find_cause::<rustls::Error>(error);
        let text = match tls_error {
            Some(tls_error) => tls::describe(tls_error),
            None => smtp_reason(error, command),
        };
        // A certificate that is not trusted now will not be in a second either.
        let permanent =
            error.is_permanent() || error.is_tls() || error.is_client() || tls_error.is_some();
        Rejection {
            status: error.status().map(u16::from),
            failure: if permanent {
                Failure::permanent(text)
            } else {
                Failure::transient(text)
            },
        }
    }

    fn step<T>(&self) -> Step<T> {
        Step {
            status: self.status,
            result: Err(self.failure.clone()),
        }
    }
}

/// An SMTP failure in words: the server's reply with its code, or what
/// happened to the connection. lettre's own text is logged (`-v`), not shown.
fn smtp_reason(error: &lettre::transport::smtp::Error, command: &str) -> String {
    let chain = chain_text(error);
    if let Some(code) = error.status() {
        // The reply's own lines are the error's source.
        let said = std::error::Error::source(error)
            .map(|s| s.to_string())
            .unwrap_or_default();
        let said = format!("{command} refused: {code} {said}").trim_end().to_owned();
        // Refused at EHLO, or later for it (Postfix delays its HELO checks to RCPT).
        return if said.to_ascii_lowercase().contains("helo") {
            format!("{said} (SMTP_HELO_NAME sets the name vitals gives)")
        } else {
            said
        };
    }
    let words = if chain.contains("failed to lookup address") {
        "could not resolve the host name"
    } else if let Some(io) = find_cause::<std::io::Error>(error) {
        use std::io::ErrorKind as K;
        match io.kind() {
            K::ConnectionRefused => "connection refused",
            K::TimedOut => "connection timed out",
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => {
                "the server closed the connection"
            }
            _ => "the SMTP conversation failed (vitals -v shows the client's report)",
        }
    } else if chain.contains("No compatible authentication mechanism") {
        "the server offers no AUTH mechanism vitals can use (PLAIN or LOGIN)"
    } else if error.is_response() {
        "the server did not answer as an SMTP server does"
    } else {
        "the SMTP conversation failed (vitals -v shows the client's report)"
    };
    tracing::info!("smtp: {command}: {words} (client: {chain})");
    words.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_dot_stuffed_and_terminated_once() {
        assert_eq!(
            DataPayload::new(b"Subject: x\r\n\r\n.hidden\r\nok\r\n.").0,
            "Subject: x\r\n\r\n..hidden\r\nok\r\n..\r\n.\r\n"
        );
        assert_eq!(DataPayload::new(b"a\r\n").0, "a\r\n.\r\n");
    }
}
