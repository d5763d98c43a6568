//! A local HTTP/1.1 server (plain or TLS) for provider tests: it records every
//! request so tests can check the wire format, and answers as the test says,
//! including the ways real servers misbehave (hang, reset, slowloris).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::certs::{ServerCert, install_crypto_provider};

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn query(&self, name: &str) -> Option<String> {
        let query = self.target.split_once('?')?.1;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; panics with the body if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("request body is not JSON ({e}): {}", self.text()))
    }

    /// The body decoded as `application/x-www-form-urlencoded`, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        delay: Duration,
    },
    /// Reads the request and never answers.
    Hang,
    /// Closes the connection without a response.
    Close,
    /// Sends half of a response, then resets the connection.
    ResetMidway,
    /// Sends a full response one byte at a time.
    Slowloris {
        response: Box<Reply>,
        per_byte: Duration,
    },
    /// Sends these bytes and closes.
    Raw(Vec<u8>),
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply::Respond {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
        }
    }

    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply::status(status)
            .header("content-type", "text/plain")
            .body(body.into().into_bytes())
    }

    pub fn json(status: u16, body: &serde_json::Value) -> Reply {
        Reply::status(status)
            .header("content-type", "application/json")
            .body(body.to_string().into_bytes())
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    pub fn body(mut self, bytes: Vec<u8>) -> Reply {
        if let Reply::Respond { body, .. } = &mut self {
            *body = bytes;
        }
        self
    }

    pub fn after(mut self, wait: Duration) -> Reply {
        if let Reply::Respond { delay, .. } = &mut self {
            *delay = wait;
        }
        self
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Reply::Respond {
                status,
                headers,
                body,
                ..
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(*status));
                for (n, v) in headers {
                    head.push_str(&format!("{n}: {v}\r\n"));
                }
                head.push_str(&format!(
                    "content-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                ));
                let mut out = head.into_bytes();
                out.extend_from_slice(body);
                out
            }
            Reply::Raw(bytes) => bytes.clone(),
            Reply::Slowloris { response, .. } => response.bytes(),
            Reply::Hang | Reply::Close | Reply::ResetMidway => Vec::new(),
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct HttpServer {
    port: u16,
    tls: bool,
    requests: Arc<Mutex<Vec<Request>>>,
    stopping: Arc<AtomicBool>,
}

impl HttpServer {
    /// A plain HTTP server on 127.0.0.1.
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> HttpServer {
        Self::spawn(None, Arc::new(handler))
    }

    /// An HTTPS server presenting `cert` (issued for `localhost`).
    pub fn start_tls(
        cert: &ServerCert,
        handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
    ) -> HttpServer {
        install_crypto_provider();
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert.cert_path)
            .expect("read server certificate")
            .collect::<Result<_, _>>()
            .expect("parse server certificate");
        let key = PrivateKeyDer::from_pem_file(&cert.key_path).expect("read server key");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server TLS config");
        Self::spawn(Some(Arc::new(config)), Arc::new(handler))
    }

    /// Always the same reply.
    pub fn replying(reply: Reply) -> HttpServer {
        Self::start(move |_| reply.clone())
    }

    /// These replies in turn, one per request; the last one repeats.
    pub fn sequence(replies: Vec<Reply>) -> HttpServer {
        assert!(!replies.is_empty(), "HttpServer::sequence needs a reply");
        let next = std::sync::atomic::AtomicUsize::new(0);
        Self::start(move |_| {
            let i = next.fetch_add(1, Ordering::SeqCst);
            replies[i.min(replies.len() - 1)].clone()
        })
    }

    fn spawn(tls: Option<Arc<rustls::ServerConfig>>, handler: Arc<Handler>) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind HTTP test server");
        let port = listener.local_addr().expect("local addr").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let server = HttpServer {
            port,
            tls: tls.is_some(),
            requests: requests.clone(),
            stopping: stopping.clone(),
        };
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (tls, handler, requests, stopping) = (
                    tls.clone(),
                    handler.clone(),
                    requests.clone(),
                    stopping.clone(),
                );
                thread::spawn(move || {
                    let _ = stream.set_nodelay(true);
                    match tls {
                        Some(config) => {
                            let Ok(conn) = rustls::ServerConnection::new(config) else {
                                return;
                            };
                            let tcp = stream.try_clone().ok();
                            let mut tls_stream = rustls::StreamOwned::new(conn, stream);
                            serve(&mut tls_stream, tcp, &handler, &requests, &stopping);
                        }
                        None => {
                            let tcp = stream.try_clone().ok();
                            let mut plain = stream;
                            serve(&mut plain, tcp, &handler, &requests, &stopping);
                        }
                    }
                });
            }
        });
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, or `https://localhost:PORT` for TLS.
    pub fn url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.port)
        } else {
            format!("http://127.0.0.1:{}", self.port)
        }
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("requests lock").clone()
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().expect("requests lock").len()
    }

    /// The only request received; panics if there were none or several.
    pub fn only_request(&self) -> Request {
        let requests = self.requests();
        assert_eq!(
            requests.len(),
            1,
            "expected exactly one request: {requests:#?}"
        );
        requests.into_iter().next().expect("one request")
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept so the listener thread sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve<S: Read + Write>(
    stream: &mut S,
    tcp: Option<TcpStream>,
    handler: &Arc<Handler>,
    requests: &Mutex<Vec<Request>>,
    stopping: &AtomicBool,
) {
    let Some(request) = read_request(stream) else {
        return;
    };
    requests
        .lock()
        .expect("requests lock")
        .push(request.clone());
    let reply = handler(&request);
    match &reply {
        Reply::Hang => {
            while !stopping.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
        }
        Reply::Close => {}
        Reply::ResetMidway => {
            let _ =
                stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"partial\":");
            let _ = stream.flush();
            if let Some(tcp) = &tcp {
                // SO_LINGER 0 turns the close into a reset.
                let _ = socket2::SockRef::from(tcp).set_linger(Some(Duration::ZERO));
            }
            return;
        }
        Reply::Slowloris { per_byte, .. } => {
            for byte in reply.bytes() {
                if stopping.load(Ordering::SeqCst) || stream.write_all(&[byte]).is_err() {
                    break;
                }
                let _ = stream.flush();
                thread::sleep(*per_byte);
            }
        }
        Reply::Respond { delay, .. } => {
            thread::sleep(*delay);
            let _ = stream.write_all(&reply.bytes());
            let _ = stream.flush();
        }
        Reply::Raw(_) => {
            let _ = stream.write_all(&reply.bytes());
            let _ = stream.flush();
        }
    }
    if let Some(tcp) = tcp {
        let _ = tcp.shutdown(Shutdown::Write);
    }
}

fn read_request<S: Read>(stream: &mut S) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        reader.read_exact(&mut body).ok()?;
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}
