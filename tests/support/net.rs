//! Free ports and fake TCP servers that misbehave on purpose.

use std::collections::HashSet;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A port on 127.0.0.1 that was free a moment ago. Never hands out the same
/// port twice in one process, so parallel tests cannot pick the same one;
/// another process still might, which is why servers retry on a clash.
pub fn free_port() -> u16 {
    static GIVEN: Mutex<Option<HashSet<u16>>> = Mutex::new(None);
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    let given = given.get_or_insert_with(HashSet::new);
    loop {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("bind 127.0.0.1:0 to find a free port")
            .port();
        if given.insert(port) {
            return port;
        }
    }
}

/// Accepts every connection, writes the given bytes and keeps the socket open
/// (never reads, never closes) until dropped: a server that speaks the wrong
/// protocol, or with no bytes, one that never answers.
pub struct GarbageServer {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GarbageServer {
    pub fn start(bytes: impl Into<Vec<u8>>) -> Self {
        let bytes = bytes.into();
        // Binding port 0 directly: no window for another process to take it.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake server");
        let addr = listener.local_addr().expect("fake server address");
        let (accepted, stop) = (
            Arc::new(AtomicUsize::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (count, stopping) = (accepted.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut open = Vec::new();
            for mut conn in listener.incoming().flatten() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                count.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(&bytes);
                open.push(conn);
            }
        });
        GarbageServer {
            addr,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Connections accepted so far: proves the binary really connected.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for GarbageServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept() so the thread sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Accepts connections and never sends a byte: for timeout tests.
pub struct SilentServer(GarbageServer);

impl SilentServer {
    pub fn start() -> Self {
        SilentServer(GarbageServer::start(Vec::new()))
    }

    pub fn port(&self) -> u16 {
        self.0.port()
    }

    pub fn connections(&self) -> usize {
        self.0.connections()
    }
}

type Hook = Box<dyn FnOnce() + Send>;

/// A TCP proxy in front of a real server that runs a hook once, when the
/// client's bytes first contain `marker`, before passing them on: a fault
/// injected at an exact point of a conversation (after the login, before the
/// query, say), where a timer could only guess.
pub struct Proxy {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: u16, marker: &[u8], hook: impl FnOnce() + Send + 'static) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let marker = marker.to_vec();
        let hook: Arc<Mutex<Option<Hook>>> = Arc::new(Mutex::new(Some(Box::new(hook))));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let (marker, hook) = (marker.clone(), hook.clone());
                std::thread::spawn(move || relay(client, server, &marker, &hook));
            }
        });
        Proxy { port, stop }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies both ways; the client's bytes are watched for the marker (also
/// across reads) and held until the hook has run. An empty marker is a plain relay.
fn relay(client: TcpStream, server: TcpStream, marker: &[u8], hook: &Mutex<Option<Hook>>) {
    let (Ok(mut from_server), Ok(mut to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = to_client.shutdown(std::net::Shutdown::Both);
    });
    let (mut from_client, mut to_server) = (client, server);
    let mut seen: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match std::io::Read::read(&mut from_client, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        seen.extend_from_slice(&buf[..n]);
        if !marker.is_empty() && seen.windows(marker.len()).any(|w| w == marker) {
            let pending = hook.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(hook) = pending {
                hook();
            }
        }
        // Only the tail can still start a marker split across reads.
        let keep = seen.len().saturating_sub(marker.len());
        seen.drain(..keep);
        if to_server.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to_server.shutdown(std::net::Shutdown::Write);
}

/// Accepts connections on a free port of 127.0.0.1 and hands each to
/// `serve` on a thread of its own, until dropped.
struct Listener {
    port: u16,
    stop: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
}

impl Listener {
    fn start(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> Listener {
        // Binding port 0 directly: no window for another process to take it.
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test listener");
        let port = listener.local_addr().expect("listener address").port();
        let (stop, accepted) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicUsize::new(0)),
        );
        let (stopping, count) = (stop.clone(), accepted.clone());
        let serve = Arc::new(serve);
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                count.fetch_add(1, Ordering::SeqCst);
                let serve = serve.clone();
                std::thread::spawn(move || serve(conn));
            }
        });
        Listener {
            port,
            stop,
            accepted,
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept() so the thread sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A TCP proxy that holds each new connection for `delay` before it opens
/// its own to the upstream server and relays both ways: a slow connection
/// set-up (a far-away or overloaded server), as the client sees it. The delay
/// is the behaviour under test, not a wait.
pub struct DelayProxy(Listener);

impl DelayProxy {
    pub fn start(upstream: u16, delay: std::time::Duration) -> DelayProxy {
        DelayProxy(Listener::start(move |client| {
            std::thread::sleep(delay);
            if let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) {
                relay(client, server, &[], &Mutex::new(None));
            }
        }))
    }

    pub fn port(&self) -> u16 {
        self.0.port
    }

    /// Connections accepted so far: proves the client went through the proxy.
    pub fn connections(&self) -> usize {
        self.0.accepted.load(Ordering::SeqCst)
    }
}

/// A server of another protocol on a free port, as such servers behave when
/// a client speaks PostgreSQL (or anything else) to them: it sends its
/// `greeting` on accept (MySQL/MariaDB, NATS), reads what the client sends,
/// answers `reply` (an error, or its own protocol header as AMQP brokers do)
/// and closes.
pub struct Impostor(Listener);

impl Impostor {
    /// The first packet of a MySQL/MariaDB server (protocol 10): a 3-byte
    /// length, sequence 0, the protocol number and a version string.
    pub const MYSQL_GREETING: &'static [u8] =
        b"J\x00\x00\x00\x0a10.11.6-MariaDB\x00\x2a\x00\x00\x00abcdefgh\x00\xfe\xf7\x2d\x02\x00\xff\x81\x15\x00\x00\x00\x00\x00\x00\x1d\x00\x00\x00ijklmnopqrst\x00mysql_native_password\x00";
    /// What an AMQP 0-9-1 broker (RabbitMQ) answers a foreign protocol header with.
    pub const AMQP_HEADER: &'static [u8] = b"AMQP\x00\x00\x09\x01";

    pub fn start(greeting: &'static [u8], reply: &'static [u8]) -> Impostor {
        Impostor(Listener::start(move |mut conn| {
            let _ = conn.write_all(greeting);
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(10)));
            let mut buf = [0u8; 1024];
            let _ = std::io::Read::read(&mut conn, &mut buf);
            let _ = conn.write_all(reply);
            let _ = conn.shutdown(std::net::Shutdown::Both);
        }))
    }

    pub fn port(&self) -> u16 {
        self.0.port
    }

    pub fn connections(&self) -> usize {
        self.0.accepted.load(Ordering::SeqCst)
    }
}
