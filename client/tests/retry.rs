#![allow(clippy::unwrap_used, clippy::expect_used)]

//! Repeats happen only where they are safe, against a scripted server on loopback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tocsin_client::types::{FireRequest, NewContact};
use tocsin_client::{Client, Error, RetryPolicy};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Answers each request with the next scripted status (0: never answer), then
/// 200 `{}`; records the request line and headers of each.
struct Scripted {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

async fn scripted(statuses: &[u16]) -> Scripted {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let script = Arc::new(Mutex::new(statuses.to_vec()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (record, script) = (record.clone(), script.clone());
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut head = String::new();
                    let mut length = 0;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        if line.trim().is_empty() {
                            break;
                        }
                        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                            length = v.trim().parse().unwrap();
                        }
                        head.push_str(&line);
                    }
                    let mut body = vec![0; length];
                    reader.read_exact(&mut body).await.unwrap();
                    record.lock().unwrap().push(head);
                    let status = {
                        let mut script = script.lock().unwrap();
                        if script.is_empty() {
                            200
                        } else {
                            script.remove(0)
                        }
                    };
                    if status == 0 {
                        std::future::pending::<()>().await;
                    }
                    let body = if status == 200 {
                        r#"{"notification_id":"0123456789abcdef0123456789abcdef","deliveries":1,"skipped":[],"attached":false}"#
                    } else {
                        r#"{"error":"unavailable","message":"busy"}"#
                    };
                    let answer = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    reader.get_mut().write_all(answer.as_bytes()).await.unwrap();
                }
            });
        }
    });
    Scripted { url, seen }
}

fn quick() -> RetryPolicy {
    RetryPolicy { max_retries: 3, initial_delay: Duration::from_millis(5), max_delay: Duration::from_millis(20) }
}

#[tokio::test]
async fn a_read_is_repeated_while_the_server_is_busy() {
    let server = scripted(&[503, 502]).await;
    let client = Client::new(&server.url).unwrap().with_retry_policy(quick());
    // The body is not a Me: what matters is that the third attempt got through.
    let err = client.get_me().await.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert_eq!(server.seen.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn repeats_stop_after_the_maximum_and_the_last_error_is_returned() {
    let server = scripted(&[503, 503, 503, 503, 503]).await;
    let client = Client::new(&server.url).unwrap().with_retry_policy(quick());
    let err = client.get_me().await.unwrap_err();
    assert_eq!((err.status(), err.code()), (Some(503), Some("unavailable")));
    assert_eq!(server.seen.lock().unwrap().len(), 4);
}

#[tokio::test]
async fn a_change_without_idempotency_key_is_never_repeated() {
    let server = scripted(&[503]).await;
    let client = Client::new(&server.url).unwrap().with_retry_policy(quick());
    let contact = NewContact {
        slug: "ana".into(),
        name: "Ana".into(),
        enabled: None,
        timezone: None,
        availability: None,
        operator: None,
        schedule: None,
    };
    let err = client.create_contact(&contact).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    let fired = client.fire_event("e", &FireRequest::default(), None).await;
    assert!(fired.is_ok(), "the second request got the scripted 200: {fired:?}");
    assert_eq!(server.seen.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn a_fire_with_an_idempotency_key_is_repeated_with_the_same_key() {
    let server = scripted(&[502, 503]).await;
    let client = Client::new(&server.url).unwrap().with_token("tsk_x").with_retry_policy(quick());
    let fired = client.fire_event("disk-full", &FireRequest::default(), Some("key-1")).await.unwrap();
    assert_eq!(fired.deliveries, 1);
    let seen = server.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    for head in seen.iter() {
        assert!(head.starts_with("POST /api/v1/events/disk-full/fire "), "{head}");
        assert!(head.to_ascii_lowercase().contains("idempotency-key: key-1"), "{head}");
        assert!(head.to_ascii_lowercase().contains("authorization: bearer tsk_x"), "{head}");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let server = scripted(&[0]).await;
    let client = Client::new(&server.url)
        .unwrap()
        .with_timeout(Duration::from_millis(200))
        .with_retry_policy(RetryPolicy::never());
    assert_eq!(client.get_healthz().await.unwrap_err(), Error::Timeout);
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    let port = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let client = Client::new(&format!("http://127.0.0.1:{port}")).unwrap().with_retry_policy(RetryPolicy::never());
    let err = client.get_healthz().await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}
