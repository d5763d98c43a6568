//! Which instance runs the scheduled rounds and alerting. On a shared
//! PostgreSQL store, the one holding a session advisory lock on a
//! connection of its own: the lock lives as long as that connection, so a
//! leader that dies (even by SIGKILL) lets it go as soon as PostgreSQL sees
//! the connection close, and the next contender to ask takes it. No table:
//! who leads is read from `pg_locks` and the holder's `application_name`.
//! With an SQLite store (or none), one instance per file, held by a lock
//! file (`flock`), and it leads alone.

use std::fs::File;
use std::io::Write as _;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_postgres::Client;

use crate::config::SecretUrl;
use crate::net::pg::Target;
use crate::net::tls::Trust;

/// The first key of the leadership lock: past the store's own lock kinds
/// (`0x7669 + kind`, kinds below 16), so it never waits on a writer's lock.
const LEAD_LOCK: i32 = 0x7669 + 16;

/// The second key is `hashtext` of this and `VITALS_INSTANCE`: one leader
/// per deployment, several deployments on one store.
const LEAD_KEY_PREFIX: &str = "vitals serve ";

/// `application_name` of a contender's connection: the prefix and its node.
const APPLICATION_PREFIX: &str = "vitals serve ";

/// What leadership means for this server, shared by its scheduler and handlers.
pub struct Leadership {
    leading: watch::Receiver<bool>,
    leader: Arc<Mutex<Option<String>>>,
}

impl Leadership {
    /// Whether this instance leads now.
    pub fn leading(&self) -> bool {
        *self.leading.borrow()
    }

    /// The node that leads, as far as this instance knows.
    pub fn leader(&self) -> Option<String> {
        self.leader
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Resolves once this instance leads.
    pub async fn acquired(&self) {
        let mut leading = self.leading.clone();
        if leading.wait_for(|l| *l).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Resolves once this instance no longer leads.
    pub async fn lost(&self) {
        let mut leading = self.leading.clone();
        if leading.wait_for(|l| !*l).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Leading alone: no other instance shares the store.
pub fn sole(node: &str) -> Leadership {
    let (_, leading) = watch::channel(true);
    Leadership {
        leading,
        leader: Arc::new(Mutex::new(Some(node.to_owned()))),
    }
}

/// A lock file held for the life of the process: one `vitals serve` per
/// SQLite store.
#[derive(Debug)]
pub struct LockFile {
    _file: File,
}

/// Another instance holds the lock file, or it cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{store}: another vitals serve already uses this SQLite store{holder}; an SQLite store \
         takes one vitals serve (to run several, share a PostgreSQL store: VITALS_STATE=postgres://…)"
    )]
    Held { store: String, holder: String },
    #[error("{}: cannot take the lock of vitals serve", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Takes `STORE.serve.lock` beside the SQLite store, writing this process's id in it.
pub fn lock_file(store: &Path) -> Result<LockFile, LockError> {
    let mut name = store.as_os_str().to_owned();
    name.push(".serve.lock");
    let path = PathBuf::from(name);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    let mut file = std::fs::OpenOptions::new()
        .mode(0o600)
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .map_err(io)?;
    // SAFETY: flock on a descriptor this function owns; it only takes an
    // advisory lock, released when the file is closed (the process ends).
    let taken = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if taken != 0 {
        let error = std::io::Error::last_os_error();
        if error.kind() == std::io::ErrorKind::WouldBlock {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .map(|pid| pid.trim().to_owned())
                .filter(|pid| !pid.is_empty() && pid.chars().all(|c| c.is_ascii_digit()))
                .map(|pid| format!(" (process {pid})"))
                .unwrap_or_default();
            return Err(LockError::Held {
                store: store.display().to_string(),
                holder,
            });
        }
        return Err(io(error));
    }
    file.set_len(0)
        .and_then(|()| write!(file, "{}", std::process::id()))
        .map_err(io)?;
    Ok(LockFile { _file: file })
}

/// Contends for leadership on a shared PostgreSQL store.
pub struct Contender {
    target: Target,
    trust: Trust,
    timeout: Duration,
    /// How often a follower asks again, and a leader checks its connection.
    poll: Duration,
    key: String,
    node: String,
    tell: watch::Sender<bool>,
    leader: Arc<Mutex<Option<String>>>,
}

/// The store's URL is not one PostgreSQL takes.
#[derive(Debug, thiserror::Error)]
#[error("VITALS_STATE: {0}")]
pub struct BadUrl(#[from] crate::net::pg::TargetError);

/// A contender for the deployment `instance` (all its instances share it),
/// and the leadership it reports to.
pub fn shared(
    url: &SecretUrl,
    trust: Trust,
    timeout: Duration,
    poll: Duration,
    instance: &str,
    node: &str,
) -> Result<(Contender, Leadership), BadUrl> {
    let mut target = Target::parse(url.expose())?;
    target
        .config
        .application_name(format!("{APPLICATION_PREFIX}{node}"));
    let (tell, leading) = watch::channel(false);
    let leader = Arc::new(Mutex::new(None));
    Ok((
        Contender {
            target,
            trust,
            timeout,
            poll,
            key: format!("{LEAD_KEY_PREFIX}{instance}"),
            node: node.to_owned(),
            tell,
            leader: Arc::clone(&leader),
        },
        Leadership { leading, leader },
    ))
}

impl Contender {
    fn set_leader(&self, node: Option<String>) {
        *self.leader.lock().unwrap_or_else(|e| e.into_inner()) = node;
    }

    /// Asks for the lock, or (holding it) checks the connection still
    /// holds it; why not when the connection failed.
    async fn ask(&self, client: &Client, leading: bool) -> Result<bool, String> {
        let query = if leading {
            "SELECT true"
        } else {
            "SELECT pg_try_advisory_lock($1, hashtext($2))"
        };
        let asked = async {
            if leading {
                client.query_one(query, &[]).await
            } else {
                client.query_one(query, &[&LEAD_LOCK, &self.key]).await
            }
        };
        match tokio::time::timeout(self.timeout, asked).await {
            Ok(Ok(row)) => row
                .try_get::<_, bool>(0)
                .map_err(|e| crate::net::pg::describe(&e)),
            Ok(Err(e)) => Err(crate::net::pg::describe(&e)),
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        }
    }

    /// The node whose connection holds the lock, if any.
    async fn holder(&self, client: &Client) -> Option<String> {
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&LEAD_LOCK, &self.key];
        let asked = client.query_opt(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::int::oid \
             AND l.objid = hashtext($2)::oid AND l.objsubid = 2",
            &params,
        );
        let row = tokio::time::timeout(self.timeout, asked)
            .await
            .ok()?
            .ok()??;
        let name: String = row.try_get(0).ok()?;
        name.strip_prefix(APPLICATION_PREFIX).map(str::to_owned)
    }

    /// Contends until `release` is notified: then lets the lock go (closing
    /// its connection) and returns.
    pub async fn run(self, release: Arc<Notify>) {
        let mut client: Option<Client> = None;
        let mut leading = false;
        let released = release.notified();
        tokio::pin!(released);
        // Each problem is said once while it lasts, not once a poll.
        let mut said: Option<String> = None;
        loop {
            let mut problem = None;
            if client.is_none() {
                let connected = tokio::time::timeout(
                    self.timeout,
                    self.target.connect(&self.trust, self.timeout),
                )
                .await;
                match connected {
                    Ok(Ok(c)) => client = Some(c),
                    Ok(Err(e)) => {
                        problem = Some(crate::error::report(
                            &e as &(dyn std::error::Error + 'static),
                        ));
                    }
                    Err(_) => problem = Some(format!("no connection within {:?}", self.timeout)),
                }
            }
            let answer = match &client {
                Some(c) => self.ask(c, leading).await,
                None => Err(problem.take().unwrap_or_default()),
            };
            match answer {
                Ok(true) => {
                    if !leading {
                        tracing::warn!("leadership: {} leads", self.node);
                    }
                    leading = true;
                    self.set_leader(Some(self.node.clone()));
                }
                Ok(false) => {
                    let holder = match &client {
                        Some(c) => self.holder(c).await,
                        None => None,
                    };
                    self.set_leader(holder);
                }
                Err(why) => {
                    if leading {
                        tracing::warn!("leadership: {} no longer leads", self.node);
                    }
                    leading = false;
                    client = None;
                    self.set_leader(None);
                    problem = Some(why);
                }
            }
            if problem != said {
                if let Some(why) = &problem {
                    tracing::warn!("leadership: {why}");
                }
                said = problem;
            }
            self.tell.send_if_modified(|was| {
                let changed = *was != leading;
                *was = leading;
                changed
            });
            tokio::select! {
                biased;
                () = &mut released => break,
                () = tokio::time::sleep(self.poll) => {}
            }
        }
        self.tell.send_replace(false);
        if let (Some(c), true) = (&client, leading) {
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&LEAD_LOCK, &self.key];
            let unlock = c.query_one("SELECT pg_advisory_unlock($1, hashtext($2))", &params);
            let _ = tokio::time::timeout(self.timeout, unlock).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_store_is_refused_with_the_holder() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = dir.path().join("alerts.db");
        let first = lock_file(&store);
        assert!(first.is_ok(), "{first:?}");
        let second = lock_file(&store).err().map(|e| e.to_string());
        assert_eq!(
            second,
            Some(format!(
                "{}: another vitals serve already uses this SQLite store (process {}); an SQLite \
                 store takes one vitals serve (to run several, share a PostgreSQL store: \
                 VITALS_STATE=postgres://…)",
                store.display(),
                std::process::id()
            ))
        );
        drop(first);
        assert!(lock_file(&store).is_ok());
    }
}
