//! A webhook receiver on loopback that records every request and answers with
//! scripted statuses; it can also stall (hold requests without answering).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

#[derive(Clone)]
pub struct Sink {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
    stall: watch::Sender<bool>,
    stall_after: Arc<Mutex<Option<usize>>>,
    body: Arc<Mutex<Option<String>>>,
}

impl Sink {
    pub async fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let (stall, _) = watch::channel(false);
        let sink = Sink {
            url,
            received: Arc::default(),
            script: Arc::default(),
            stall,
            stall_after: Arc::default(),
            body: Arc::default(),
        };
        let server = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move {
                    let _ = server.handle(stream).await;
                });
            }
        });
        sink
    }

    /// The next requests get these statuses, in order; then 200.
    pub fn answer_with(&self, statuses: &[u16]) {
        self.script.lock().unwrap().extend(statuses);
    }

    /// While stalled, requests are read and recorded but never answered.
    pub fn set_stalled(&self, stalled: bool) {
        self.stall.send_replace(stalled);
    }

    /// Answers with this JSON body; `{n}` becomes the request's number (1, 2, …).
    pub fn json_body(&self, body: &str) {
        *self.body.lock().unwrap() = Some(body.to_owned());
    }

    /// Answers the first `n` requests, then stalls every later one.
    pub fn stall_after(&self, n: usize) {
        *self.stall_after.lock().unwrap() = Some(n);
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (polling, generous timeout) until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(tokio::time::Instant::now() < deadline, "the sink got {} of {n} requests", got.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn handle(&self, stream: tokio::net::TcpStream) -> std::io::Result<()> {
        let mut reader = BufReader::new(stream);
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
            let mut headers = HashMap::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).await?;
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                if let Some((k, v)) = h.split_once(':') {
                    headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                }
            }
            let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
            let mut body = vec![0; length];
            reader.read_exact(&mut body).await?;
            let count = {
                let mut received = self.received.lock().unwrap();
                received.push(Received { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() });
                received.len()
            };
            if self.stall_after.lock().unwrap().is_some_and(|n| count > n) {
                self.stall.send_replace(true);
            }
            let mut stalled = self.stall.subscribe();
            while *stalled.borrow_and_update() {
                if stalled.changed().await.is_err() {
                    return Ok(());
                }
            }
            let status = self.script.lock().unwrap().pop_front().unwrap_or(200);
            let (kind, text) = match self.body.lock().unwrap().as_ref() {
                Some(body) => ("application/json", body.replace("{n}", &count.to_string())),
                None => ("text/plain", "ok".to_owned()),
            };
            let response =
                format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: {kind}\r\n\r\n{text}", text.len());
            reader.get_mut().write_all(response.as_bytes()).await?;
        }
    }
}
