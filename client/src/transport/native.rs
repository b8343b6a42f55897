//! Requests sent with reqwest (rustls with ring, as in the server).

use reqwest::header::RETRY_AFTER;

use super::{retry_after, Answer, Request};
use crate::operations::Verb;
use crate::{Error, DEFAULT_TIMEOUT};

/// reqwest's client: clones share its connections.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
}

impl Transport {
    pub(crate) fn new() -> Result<Self, Error> {
        // reqwest is built without a TLS crypto provider of its own (as in the
        // server): use ring's, unless the program already chose one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .user_agent(concat!("tocsin-client/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(|e| Error::InvalidRequest(format!("cannot set up HTTP: {e}")))?;
        Ok(Transport { http })
    }

    pub(crate) async fn execute(&self, request: &Request) -> Result<Answer, Error> {
        let mut builder = self.http.request(method(request.verb), &request.url).timeout(request.timeout);
        for (name, value) in &request.headers {
            builder = builder.header(*name, value);
        }
        if let Some((content_type, body)) = &request.body {
            builder = builder.header(reqwest::header::CONTENT_TYPE, *content_type).body(body.clone());
        }
        let response = builder.send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(retry_after);
        let body = match response.bytes().await {
            Ok(body) => body.to_vec(),
            // An error status is an answer even when its body breaks off.
            Err(_) if status >= 400 => Vec::new(),
            Err(e) => return Err(transport_error(e)),
        };
        Ok(Answer { status, retry_after, body })
    }
}

fn method(verb: Verb) -> reqwest::Method {
    match verb {
        Verb::Get => reqwest::Method::GET,
        Verb::Post => reqwest::Method::POST,
        Verb::Put => reqwest::Method::PUT,
        Verb::Patch => reqwest::Method::PATCH,
        Verb::Delete => reqwest::Method::DELETE,
    }
}

fn transport_error(e: reqwest::Error) -> Error {
    if e.is_timeout() {
        return Error::Timeout;
    }
    if e.is_builder() {
        return Error::InvalidRequest(chain(&e));
    }
    Error::Transport(chain(&e))
}

/// The error with its causes: reqwest's own message rarely names the cause
/// (e.g. "connection refused") on its own.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
