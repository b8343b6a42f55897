//! A minimal SMTP server on loopback that records the mail it accepts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Clone)]
pub struct Mail {
    pub rcpt_to: Vec<String>,
    pub data: String,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default().replace("\r\n ", " ");
        head.split("\r\n").find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
        })
    }
}

#[derive(Clone, Default)]
pub struct SmtpSink {
    mails: Arc<Mutex<Vec<Mail>>>,
}

/// A loopback port nothing listens on (yet).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpSink {
    /// Listens on `port` (0 for any) and returns the sink with its port.
    pub async fn start(port: u16) -> (SmtpSink, u16) {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink::default();
        let server = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let server = server.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let mut rcpt_to = Vec::new();
                    if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                        return;
                    }
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.split([' ', ':']).next().unwrap_or_default().to_ascii_uppercase();
                        let reply = match verb.as_str() {
                            "RCPT" => {
                                rcpt_to
                                    .push(line.split('<').nth(1).unwrap_or_default().trim_end_matches('>').to_owned());
                                "250 Ok".to_owned()
                            }
                            "DATA" => {
                                let _ = write.write_all(b"354 go on\r\n").await;
                                let mut data = Vec::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    data.push(l);
                                }
                                let mut mails = server.mails.lock().unwrap();
                                mails.push(Mail { rcpt_to: std::mem::take(&mut rcpt_to), data: data.join("\r\n") });
                                format!("250 Ok: queued as SINK{}", mails.len())
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 Bye\r\n").await;
                                return;
                            }
                            _ => "250 Ok".to_owned(),
                        };
                        if write.write_all(format!("{reply}\r\n").as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        (sink, port)
    }

    pub async fn wait_for(&self, n: usize) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let mails = self.mails.lock().unwrap().clone();
            if mails.len() >= n {
                return mails;
            }
            assert!(tokio::time::Instant::now() < deadline, "the SMTP sink got {} of {n} mails", mails.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
