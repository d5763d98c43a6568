//! Whether an occurrence of an open alert is notified: the de-duplication,
//! repeat-interval and escalation rules, as pure decisions on what the store
//! holds and the time now.

use std::fmt;
use std::time::Duration;

use super::{Alert, AlertStatus, Held, Severity, Timestamp};
use crate::config::RateLimit;

/// How alerts are de-duplicated and notified.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// An open alert is notified again only this long after its last notification.
    pub repeat_interval: Duration,
    pub rate_limit: Option<RateLimit>,
    /// How long a claim to notify holds if its process never reports back.
    pub claim_for: Duration,
}

/// Why an occurrence is, or is not, notified.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    New,
    /// Earlier notifications reached nobody, so this one tries again.
    NeverDelivered,
    Escalated {
        from: Severity,
        to: Severity,
    },
    Repeat {
        since: Duration,
    },
    Acknowledged,
    Recent {
        ago: Duration,
        interval: Duration,
    },
    /// Another vitals is notifying this alert right now.
    Claimed,
    /// Held back (silenced, inhibited, flapping): recorded, not notified.
    Held {
        held: Held,
        why: String,
    },
    /// It was held back and no longer is: notified now, once.
    Released {
        was: Held,
    },
}

/// Why an occurrence is held back from notifications: what holds it, why,
/// and the id of what holds it (a silence, the alert that inhibits it).
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    pub held: Held,
    pub reason: String,
    pub by: Option<String>,
}

/// Whether an open alert `held` as it is, and `hold` now, is notified;
/// otherwise [`decide`]'s answer. A hold ends in one notification, unless
/// the alert was acknowledged or another vitals is notifying it.
pub fn decide_held(
    open: &Alert,
    notified: &Notified,
    hold: Option<&Hold>,
    now: Timestamp,
    rules: &Rules,
) -> (bool, Reason) {
    if let Some(hold) = hold {
        return (
            false,
            Reason::Held {
                held: hold.held,
                why: hold.reason.clone(),
            },
        );
    }
    let decided = decide(open, notified, open.severity, now, rules);
    match (open.held, &decided.1) {
        (_, Reason::Claimed | Reason::Acknowledged) => decided,
        (Some(was @ (Held::Silenced | Held::Inhibited | Held::Flapping)), _) => {
            (true, Reason::Released { was })
        }
        _ => decided,
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |d: &Duration| humantime::format_duration(Duration::from_secs(d.as_secs()));
        match self {
            Reason::New => f.write_str("new alert"),
            Reason::NeverDelivered => f.write_str("no earlier notification was delivered"),
            Reason::Escalated { from, to } => write!(f, "escalated from {from} to {to}"),
            Reason::Repeat { since } => write!(f, "still open, last notified {} ago", d(since)),
            Reason::Acknowledged => f.write_str("acknowledged: not notified again"),
            Reason::Recent { ago, interval } => write!(
                f,
                "notified {} ago; repeats once {} have passed",
                d(ago),
                d(interval)
            ),
            Reason::Claimed => f.write_str("another vitals is notifying it right now"),
            Reason::Held { held, why } => write!(f, "held back ({held}): {why}"),
            Reason::Released { was } => write!(f, "no longer {was}: notified once now"),
        }
    }
}

/// The notification state of an open alert, kept beside the alert itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Notified {
    /// The severity last delivered to someone.
    pub severity: Option<Severity>,
    pub claim_expires_at: Option<Timestamp>,
}

/// Whether this occurrence of an open alert is notified. `severity` is the
/// alert's severity after the occurrence (never lower than before).
pub fn decide(
    open: &Alert,
    notified: &Notified,
    severity: Severity,
    now: Timestamp,
    rules: &Rules,
) -> (bool, Reason) {
    if notified.claim_expires_at.is_some_and(|until| until > now) {
        return (false, Reason::Claimed);
    }
    if open.status == AlertStatus::Acknowledged {
        return (false, Reason::Acknowledged);
    }
    let (Some(last), Some(notified_severity)) = (open.last_notified_at, notified.severity) else {
        return (true, Reason::NeverDelivered);
    };
    if severity > notified_severity {
        return (
            true,
            Reason::Escalated {
                from: notified_severity,
                to: severity,
            },
        );
    }
    let ago = now.since(last);
    if ago >= rules.repeat_interval {
        (true, Reason::Repeat { since: ago })
    } else {
        (
            false,
            Reason::Recent {
                ago,
                interval: rules.repeat_interval,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    fn rules() -> Rules {
        Rules {
            repeat_interval: Duration::from_secs(4 * 3600),
            rate_limit: None,
            claim_for: Duration::from_secs(60),
        }
    }

    fn open(severity: Severity, last: Option<Timestamp>) -> Alert {
        let mut a =
            Alert::new("disk_full", severity, "m", Map::new()).unwrap_or_else(|e| panic!("{e}"));
        a.last_notified_at = last;
        a
    }

    fn notified(severity: Option<Severity>) -> Notified {
        Notified {
            severity,
            claim_expires_at: None,
        }
    }

    #[test]
    fn repeats_only_after_the_interval() {
        let now = Timestamp::now();
        let hour_ago = Timestamp::from_millis(now.millis() - 3_600_000);
        let five_hours_ago = Timestamp::from_millis(now.millis() - 5 * 3_600_000);
        let a = open(Severity::Error, hour_ago);
        assert_eq!(
            decide(
                &a,
                &notified(Some(Severity::Error)),
                Severity::Error,
                now,
                &rules()
            ),
            (
                false,
                Reason::Recent {
                    ago: Duration::from_secs(3600),
                    interval: Duration::from_secs(4 * 3600)
                }
            )
        );
        let a = open(Severity::Error, five_hours_ago);
        assert_eq!(
            decide(
                &a,
                &notified(Some(Severity::Error)),
                Severity::Error,
                now,
                &rules()
            ),
            (
                true,
                Reason::Repeat {
                    since: Duration::from_secs(5 * 3600)
                }
            )
        );
    }

    #[test]
    fn escalation_acknowledgement_claims_and_failed_notifications() {
        let now = Timestamp::now();
        let a = open(Severity::Critical, Some(now));
        assert_eq!(
            decide(
                &a,
                &notified(Some(Severity::Error)),
                Severity::Critical,
                now,
                &rules()
            )
            .1,
            Reason::Escalated {
                from: Severity::Error,
                to: Severity::Critical
            }
        );
        let mut acked = a.clone();
        acked.status = AlertStatus::Acknowledged;
        assert_eq!(
            decide(
                &acked,
                &notified(Some(Severity::Error)),
                Severity::Critical,
                now,
                &rules()
            ),
            (false, Reason::Acknowledged)
        );
        let claimed = Notified {
            severity: None,
            claim_expires_at: Some(now.plus(Duration::from_secs(1))),
        };
        assert_eq!(
            decide(&a, &claimed, Severity::Critical, now, &rules()),
            (false, Reason::Claimed)
        );
        let expired = Notified {
            severity: None,
            claim_expires_at: Some(now),
        };
        let never = open(Severity::Error, None);
        assert_eq!(
            decide(&never, &expired, Severity::Error, now, &rules()),
            (true, Reason::NeverDelivered)
        );
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(
            Reason::Recent {
                ago: Duration::from_millis(754_300),
                interval: Duration::from_secs(4 * 3600)
            }
            .to_string(),
            "notified 12m 34s ago; repeats once 4h have passed"
        );
        assert_eq!(
            Reason::Escalated {
                from: Severity::Warning,
                to: Severity::Critical
            }
            .to_string(),
            "escalated from warning to critical"
        );
    }
}
