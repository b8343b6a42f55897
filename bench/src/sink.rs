//! The receivers on loopback: a webhook sink (HTTP/1.1, keep-alive, optionally
//! answering late) and an SMTP sink. Both record, for each delivery, the alert's
//! marker, the recipient and the arrival time, so missing and duplicate
//! deliveries can be counted and latency measured against the send time.
//!
//! Recipients are numbered: webhook URLs end in `/hook/c<i>`, email addresses
//! are `c<i>@example.com`, for both systems under test.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinHandle;

use crate::payload::find_marker;

/// Pending connections the listeners accept: a 10,000-recipient fan-out may
/// open that many connections at once, and a full backlog would add the
/// client's SYN retry (a second or more) to the latency.
const BACKLOG: u32 = 4096;

/// Arrivals of one (marker, recipient).
#[derive(Debug, Clone, Copy)]
pub struct Arrival {
    pub first: Instant,
    pub count: u32,
}

#[derive(Default)]
struct Arrivals {
    by_key: HashMap<(u64, u32), Arrival>,
    /// Deliveries without a marker or a recipient the sink understood.
    unknown: u64,
}

/// What a sink received.
#[derive(Default)]
pub struct Recorder {
    arrivals: Mutex<Arrivals>,
    distinct: AtomicU64,
    total: AtomicU64,
}

impl Recorder {
    fn record(&self, marker: Option<u64>, recipient: Option<u32>, at: Instant) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut arrivals = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        match (marker, recipient) {
            (Some(m), Some(r)) => {
                let entry = arrivals.by_key.entry((m, r)).or_insert_with(|| {
                    self.distinct.fetch_add(1, Ordering::Relaxed);
                    Arrival { first: at, count: 0 }
                });
                entry.count += 1;
            }
            _ => arrivals.unknown += 1,
        }
    }

    /// Distinct (marker, recipient) pairs received so far.
    pub fn distinct(&self) -> u64 {
        self.distinct.load(Ordering::Relaxed)
    }

    /// Every delivery received so far, duplicates and unknown ones included.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// A copy of the arrivals and the count of unknown deliveries.
    pub fn snapshot(&self) -> (HashMap<(u64, u32), Arrival>, u64) {
        let arrivals = self.arrivals.lock().unwrap_or_else(PoisonError::into_inner);
        (arrivals.by_key.clone(), arrivals.unknown)
    }
}

/// A running sink; dropping it stops accepting connections.
pub struct Sink {
    pub port: u16,
    pub recorder: Arc<Recorder>,
    accept: JoinHandle<()>,
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn listen() -> std::io::Result<tokio::net::TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    socket.listen(BACKLOG)
}

/// A webhook sink that answers `200` after `delay` (zero: at once).
pub fn webhook(delay: Duration) -> std::io::Result<Sink> {
    start(move |stream, recorder| async move { serve_http(stream, &recorder, delay).await })
}

/// An SMTP sink that accepts every message.
pub fn smtp() -> std::io::Result<Sink> {
    start(|stream, recorder| async move { serve_smtp(stream, &recorder).await })
}

/// Listens on loopback and serves each connection with `serve` on its own task.
fn start<F, Fut>(serve: F) -> std::io::Result<Sink>
where
    F: Fn(TcpStream, Arc<Recorder>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::io::Result<()>> + Send + 'static,
{
    let listener = listen()?;
    let port = listener.local_addr()?.port();
    let recorder = Arc::new(Recorder::default());
    let shared = recorder.clone();
    let accept = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            // A connection the client dropped mid-request only ends that connection.
            let connection = serve(stream, shared.clone());
            tokio::spawn(async move {
                let _ = connection.await;
            });
        }
    });
    Ok(Sink { port, recorder, accept })
}

/// `/hook/c42` → 42.
pub fn webhook_recipient(path: &str) -> Option<u32> {
    path.split('?').next()?.rsplit('/').next()?.strip_prefix('c')?.parse().ok()
}

/// `c42@example.com` (with or without angle brackets) → 42.
pub fn email_recipient(address: &str) -> Option<u32> {
    let address = address.trim().trim_start_matches('<').trim_end_matches('>');
    address.split('@').next()?.strip_prefix('c')?.parse().ok()
}

/// The marker of an email's data, after undoing quoted-printable soft line
/// breaks (which may fall inside it).
pub fn email_marker(data: &[u8]) -> Option<u64> {
    let mut unfolded = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'=' && data.get(i + 1) == Some(&b'\r') && data.get(i + 2) == Some(&b'\n') {
            i += 3;
        } else if data[i] == b'=' && data.get(i + 1) == Some(&b'\n') {
            i += 2;
        } else {
            unfolded.push(data[i]);
            i += 1;
        }
    }
    find_marker(&unfolded)
}

async fn serve_http(stream: TcpStream, recorder: &Recorder, delay: Duration) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let path = line.split(' ').nth(1).unwrap_or("").to_owned();
        let (mut length, mut chunked) = (0usize, false);
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                } else if name.eq_ignore_ascii_case("transfer-encoding")
                    && value.to_ascii_lowercase().contains("chunked")
                {
                    chunked = true;
                }
            }
        }
        let body = if chunked {
            read_chunked(&mut reader).await?
        } else {
            let mut body = vec![0; length];
            reader.read_exact(&mut body).await?;
            body
        };
        recorder.record(find_marker(&body), webhook_recipient(&path), Instant::now());
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        reader.get_mut().write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await?;
    }
}

async fn read_chunked(reader: &mut BufReader<TcpStream>) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 || line.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await?;
        line.clear();
        reader.read_line(&mut line).await?;
    }
}

async fn serve_smtp(stream: TcpStream, recorder: &Recorder) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream);
    reader.get_mut().write_all(b"220 sink ESMTP\r\n").await?;
    let mut recipients: Vec<Option<u32>> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line);
        let verb = text.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 sink\r\n",
            "MAIL" | "RSET" => {
                recipients.clear();
                b"250 OK\r\n"
            }
            "RCPT" => {
                recipients.push(text.split_once(':').and_then(|(_, a)| email_recipient(a)));
                b"250 OK\r\n"
            }
            "DATA" => {
                reader.get_mut().write_all(b"354 go on\r\n").await?;
                let mut data = Vec::new();
                loop {
                    let from = data.len();
                    if reader.read_until(b'\n', &mut data).await? == 0 {
                        return Ok(());
                    }
                    if &data[from..] == b".\r\n" || &data[from..] == b".\n" {
                        data.truncate(from);
                        break;
                    }
                }
                let at = Instant::now();
                let marker = email_marker(&data);
                for recipient in recipients.drain(..) {
                    recorder.record(marker, recipient, at);
                }
                b"250 OK queued\r\n"
            }
            "QUIT" => {
                reader.get_mut().write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"250 OK\r\n",
        };
        reader.get_mut().write_all(reply).await?;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn recipients_are_read_from_paths_and_addresses() {
        assert_eq!(webhook_recipient("/hook/c42"), Some(42));
        assert_eq!(webhook_recipient("/hook/c7?x=1"), Some(7));
        assert_eq!(webhook_recipient("/other"), None);
        assert_eq!(email_recipient(" <c9999@example.com>"), Some(9999));
        assert_eq!(email_recipient("ops@example.com"), None);
    }

    #[test]
    fn a_soft_line_break_inside_the_marker_is_undone() {
        assert_eq!(email_marker(b"Subject: x\r\n\r\ntitle (bm-12=\r\n34) more"), Some(1234));
    }

    #[tokio::test]
    async fn the_webhook_sink_counts_duplicates_per_marker_and_recipient() {
        let sink = webhook(Duration::ZERO).unwrap();
        let mut stream = TcpStream::connect(("127.0.0.1", sink.port)).await.unwrap();
        let body = br#"{"subject":"x [bm-5]"}"#;
        let request = format!("POST /hook/c3 HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n", body.len());
        for _ in 0..2 {
            stream.write_all(request.as_bytes()).await.unwrap();
            stream.write_all(body).await.unwrap();
            let mut answer = [0u8; 38];
            stream.read_exact(&mut answer).await.unwrap();
            assert!(answer.starts_with(b"HTTP/1.1 200 OK"));
        }
        let (arrivals, unknown) = sink.recorder.snapshot();
        assert_eq!(unknown, 0);
        assert_eq!(arrivals[&(5, 3)].count, 2);
        assert_eq!(sink.recorder.distinct(), 1);
    }

    #[tokio::test]
    async fn the_smtp_sink_records_each_recipient_of_a_message() {
        let sink = smtp().unwrap();
        let stream = TcpStream::connect(("127.0.0.1", sink.port)).await.unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        for command in ["EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c1@example.com>", "RCPT TO:<c2@example.com>", "DATA"] {
            line.clear();
            reader.read_line(&mut line).await.unwrap();
            reader.get_mut().write_all(format!("{command}\r\n").as_bytes()).await.unwrap();
        }
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("354"), "{line}");
        reader.get_mut().write_all(b"Subject: down [bm-8]\r\n\r\nbody\r\n.\r\nQUIT\r\n").await.unwrap();
        line.clear();
        reader.read_line(&mut line).await.unwrap();
        assert!(line.starts_with("250"), "{line}");
        let (arrivals, _) = sink.recorder.snapshot();
        assert_eq!(arrivals.len(), 2);
        assert!(arrivals.contains_key(&(8, 1)) && arrivals.contains_key(&(8, 2)));
    }
}
