//! A tiny HTTP/1.1 receiver on loopback for tests: records every request and
//! answers each with one canned reply, or never answers at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// Generous bound for waiting on something the test has already caused.
const PATIENCE: Duration = Duration::from_secs(10);

/// How the fake answers every request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// Send this response, then close the connection.
    Canned(Canned),
    /// Read the request, then keep the connection open without answering.
    Stall,
}

/// A fixed HTTP response.
#[derive(Debug, Clone)]
pub(crate) struct Canned {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// A response with this status and an empty body.
    pub(crate) fn status(status: u16) -> Canned {
        Canned { status, headers: Vec::new(), body: Vec::new() }
    }
}

impl Canned {
    /// Adds a response header.
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the response body.
    pub(crate) fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }
}

impl From<Canned> for Reply {
    fn from(canned: Canned) -> Self {
        Reply::Canned(canned)
    }
}

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    /// Path and query, as sent in the request line.
    pub(crate) path: String,
    /// Header names lower-cased, in the order received.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Recorded {
    /// The first value of header `name` (lower-case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8.
    pub(crate) fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// A running fake receiver; stops when dropped.
pub(crate) struct FakeServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    count: watch::Receiver<usize>,
    task: JoinHandle<()>,
}

impl FakeServer {
    /// Listens on an ephemeral loopback port.
    pub(crate) async fn start(reply: impl Into<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (count_tx, count) = watch::channel(0);
        let task = tokio::spawn(serve(listener, Arc::new(reply.into()), Arc::clone(&requests), count_tx));
        Self { addr, requests, count, task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub(crate) fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The requests received so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests have arrived; panics after a generous timeout.
    pub(crate) async fn wait_for_requests(&self, n: usize) -> Vec<Recorded> {
        let mut count = self.count.clone();
        tokio::time::timeout(PATIENCE, count.wait_for(|c| *c >= n)).await.unwrap().unwrap();
        self.requests()
    }

    /// A loopback port that nothing listens on (bound, then released).
    pub(crate) async fn unused_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts the
        // connection tasks, stalled ones included.
        self.task.abort();
    }
}

async fn serve(
    listener: TcpListener,
    reply: Arc<Reply>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    count: watch::Sender<usize>,
) {
    let count = Arc::new(count);
    let mut connections = JoinSet::new();
    while let Ok((stream, _)) = listener.accept().await {
        connections.spawn(handle(stream, Arc::clone(&reply), Arc::clone(&requests), Arc::clone(&count)));
    }
}

async fn handle(
    mut stream: TcpStream,
    reply: Arc<Reply>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    count: Arc<watch::Sender<usize>>,
) {
    let Some(request) = read_request(&mut stream).await else {
        // Like a real plain-HTTP server given e.g. a TLS ClientHello.
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
        return;
    };
    requests.lock().unwrap().push(request);
    count.send_modify(|c| *c += 1);
    match &*reply {
        Reply::Stall => {
            // `stream` stays alive (and open) for as long as this waits.
            std::future::pending::<()>().await;
        }
        Reply::Canned(canned) => {
            let mut head = format!(
                "HTTP/1.1 {} Fake\r\ncontent-length: {}\r\nconnection: close\r\n",
                canned.status,
                canned.body.len()
            );
            for (name, value) in &canned.headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            // Write errors are expected when the client stops reading early.
            if stream.write_all(head.as_bytes()).await.is_ok() && stream.write_all(&canned.body).await.is_ok() {
                let _ = stream.shutdown().await;
            }
        }
    }
}

/// Reads one request: the head up to the blank line, then Content-Length
/// bytes; `None` for anything that is not HTTP/1.1 or ends early.
async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos;
        }
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if !buf[0].is_ascii_uppercase() {
            return None; // not an HTTP request line
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let length: usize = headers.iter().find(|(n, _)| n == "content-length").map_or(Some(0), |(_, v)| v.parse().ok())?;
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = vec![0u8; length - body.len()];
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded { method, path, headers, body })
}
