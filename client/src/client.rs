//! The client value (base URL, credentials, timeout, retry policy) and the one
//! place where requests are sent, repeated when safe, and their answers decoded.

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{ApiError, Error};
use crate::operations::{Operation, Verb};
use crate::retry::{self, RetryPolicy};
use crate::transport::{self, Answer, Request, Transport};

/// How long a request may take by default, from sending to the end of the answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// A client of one Tocsin server. Cheap to clone; clones share connections.
///
/// Every operation of the API is a method named after its `operationId`
/// (see [`OPERATIONS`](crate::OPERATIONS)); the RedFlash calls are the
/// `redflash_*` methods.
///
/// # Timeouts
///
/// Each request (sending, waiting and reading the answer) is bounded by the
/// timeout, [`DEFAULT_TIMEOUT`] unless [`Client::with_timeout`] says otherwise.
/// Natively, connecting is also bounded by it. In the browser (wasm32) the
/// request is aborted when the timeout is up; the browser applies its own
/// connection limits underneath, which the client cannot change.
///
/// ```no_run
/// # async fn demo() -> Result<(), tocsin_client::Error> {
/// use std::time::Duration;
/// use tocsin_client::{Client, RetryPolicy};
///
/// let client = Client::new("https://tocsin.example.org")?
///     .with_token("tsk_4fK9aQ2zR8mW1xV7cB3nL6pT0yH5jD2s")
///     .with_timeout(Duration::from_secs(10))
///     .with_retry_policy(RetryPolicy::never());
/// let me = client.get_me().await?;
/// println!("calling as {}", me.name);
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    /// Absolute, http or https, without query or fragment.
    base: String,
    token: Option<String>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a credential: never in logs.
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Client {
    /// A client of the server at `base_url` (e.g. `https://tocsin.example.org`,
    /// or with a path prefix when a proxy serves Tocsin under one), without
    /// credentials.
    ///
    /// ```
    /// let client = tocsin_client::Client::new("http://127.0.0.1:8080")?;
    /// assert_eq!(client.base_url(), "http://127.0.0.1:8080/");
    /// assert!(tocsin_client::Client::new("not a url").is_err());
    /// # Ok::<(), tocsin_client::Error>(())
    /// ```
    pub fn new(base_url: &str) -> Result<Self, Error> {
        Ok(Client {
            transport: Transport::new()?,
            base: parse_base(base_url)?,
            token: None,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
        })
    }

    /// Sends `Authorization: Bearer <token>`: an operator session token (from
    /// [`Client::create_session`]) or an API key secret (`tsk_…`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Bounds each request (and each repeat of it) to `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How requests that are safe to repeat are repeated (see [`RetryPolicy`]).
    pub fn with_retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The token sent with each request, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request for `operation`, its path parameters filled in order.
    pub(crate) fn call(&self, operation: &Operation, params: &[&str]) -> Call<'_> {
        let request = fill_path(&self.base, operation.path, params).and_then(|url| {
            let mut request = self.request(operation.verb, url);
            if let Some(token) = &self.token {
                if !transport::header_value_ok(token) {
                    return Err(Error::InvalidRequest("the token is not a valid header value".into()));
                }
                request.headers.push(("Authorization", format!("Bearer {token}")));
            }
            Ok(request)
        });
        Call { client: self, request, repeatable: operation.verb == Verb::Get }
    }

    /// A request to a path outside the document (the RedFlash routes), given
    /// as segments; never repeated.
    pub(crate) fn call_path(&self, segments: &[&str]) -> Call<'_> {
        let request = Ok(self.request(Verb::Post, transport::join(&self.base, segments)));
        Call { client: self, request, repeatable: false }
    }

    fn request(&self, verb: Verb, url: String) -> Request {
        Request { verb, url, headers: Vec::new(), body: None, timeout: self.timeout }
    }
}

/// The base URL, checked: natively by the `url` crate; in the browser, where
/// it is the page's own origin, by its scheme.
#[cfg(not(target_arch = "wasm32"))]
fn parse_base(base_url: &str) -> Result<String, Error> {
    let base = url::Url::parse(base_url).map_err(|e| Error::InvalidRequest(format!("base URL {base_url:?}: {e}")))?;
    if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
        return Err(Error::InvalidRequest(format!("base URL {base_url:?}: must be an http or https URL")));
    }
    if base.query().is_some() || base.fragment().is_some() {
        return Err(Error::InvalidRequest(format!("base URL {base_url:?}: must have no query or fragment")));
    }
    Ok(base.into())
}

#[cfg(target_arch = "wasm32")]
fn parse_base(base_url: &str) -> Result<String, Error> {
    let rest = base_url.strip_prefix("https://").or_else(|| base_url.strip_prefix("http://"));
    match rest {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') && !rest.contains(['?', '#', ' ']) => {
            Ok(base_url.to_owned())
        }
        _ => Err(Error::InvalidRequest(format!("base URL {base_url:?}: must be an http or https URL"))),
    }
}

/// The URL of a path template (`/api/v1/groups/{slug}/members/{contact}`)
/// under the base URL, each parameter escaped as one path segment.
fn fill_path(base: &str, template: &str, params: &[&str]) -> Result<String, Error> {
    let mut params = params.iter();
    let mut segments = Vec::new();
    for segment in template.trim_start_matches('/').split('/') {
        if segment.starts_with('{') {
            let value = params
                .next()
                .ok_or_else(|| Error::InvalidRequest(format!("{template}: missing a value for {segment}")))?;
            segments.push(*value);
        } else {
            segments.push(segment);
        }
    }
    if params.next().is_some() {
        return Err(Error::InvalidRequest(format!("{template}: too many path parameters")));
    }
    Ok(transport::join(base, &segments))
}

/// One request on its way: built from an [`Operation`], sent by one of the
/// `decode`/`no_content`/`text` methods.
pub(crate) struct Call<'c> {
    client: &'c Client,
    request: Result<Request, Error>,
    /// Whether sending it twice has the effect of sending it once.
    repeatable: bool,
}

impl Call<'_> {
    fn map(mut self, f: impl FnOnce(Request) -> Result<Request, Error>) -> Self {
        self.request = self.request.and_then(f);
        self
    }

    pub(crate) fn query(self, query: &(impl Serialize + ?Sized)) -> Self {
        self.map(|mut r| {
            r.url = transport::with_query(r.url, query)?;
            Ok(r)
        })
    }

    pub(crate) fn json(self, body: &(impl Serialize + ?Sized)) -> Self {
        self.map(|mut r| {
            let json = serde_json::to_string(body)
                .map_err(|e| Error::InvalidRequest(format!("cannot encode the body: {e}")))?;
            r.body = Some(("application/json", json));
            Ok(r)
        })
    }

    pub(crate) fn form(self, fields: &(impl Serialize + ?Sized)) -> Self {
        self.map(|mut r| {
            r.body = Some(("application/x-www-form-urlencoded", transport::form(fields)?));
            Ok(r)
        })
    }

    pub(crate) fn header(self, name: &'static str, value: &str) -> Self {
        self.map(|mut r| {
            if !transport::header_value_ok(value) {
                return Err(Error::InvalidRequest(format!("{name}: not a valid header value")));
            }
            r.headers.push((name, value.to_owned()));
            Ok(r)
        })
    }

    /// Sends `Idempotency-Key`, which makes the request safe to repeat: the
    /// server answers a repeat with its first answer.
    pub(crate) fn idempotency_key(self, key: Option<&str>) -> Self {
        match key {
            Some(key) => self.header("Idempotency-Key", key).repeatable(),
            None => self,
        }
    }

    /// Marks a request that changes nothing on the server as safe to repeat.
    pub(crate) fn repeatable(mut self) -> Self {
        self.repeatable = true;
        self
    }

    /// Sends the request, repeating it when safe and worthwhile; an error
    /// status becomes [`Error::Api`].
    pub(crate) async fn send(self) -> Result<Answer, Error> {
        let request = self.request?;
        let policy = self.client.retry;
        let mut retry = 0;
        loop {
            let last = !self.repeatable || retry >= policy.max_retries;
            let attempt = self.client.transport.execute(&request).await;
            let retry_after = attempt.as_ref().ok().and_then(|a| a.retry_after);
            match answer(attempt) {
                Err(e) if !last && e.is_transient() => {
                    retry::sleep(policy.delay(retry, retry_after)).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends the request and decodes the JSON answer.
    pub(crate) async fn decode<T: DeserializeOwned>(self) -> Result<T, Error> {
        let answer = self.send().await?;
        serde_json::from_slice(&answer.body).map_err(|e| Error::decode(answer.status, e))
    }

    /// Sends the request; the answer has no body worth reading.
    pub(crate) async fn no_content(self) -> Result<(), Error> {
        self.send().await.map(drop)
    }

    /// Sends the request and returns the answer as text.
    pub(crate) async fn text(self) -> Result<String, Error> {
        self.send().await.map(|a| String::from_utf8_lossy(&a.body).into_owned())
    }
}

/// A success as it is; an error status decoded.
fn answer(attempt: Result<Answer, Error>) -> Result<Answer, Error> {
    let answer = attempt?;
    if (200..300).contains(&answer.status) {
        return Ok(answer);
    }
    Err(Error::Api(ApiError::from_answer(answer.status, &String::from_utf8_lossy(&answer.body))))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_filled_in_order_and_escaped() {
        let base = parse_base("http://h:1").unwrap();
        let url = fill_path(&base, "/api/v1/groups/{slug}/members/{contact}/move", &["ops", "a b/c"]).unwrap();
        assert_eq!(url, "http://h:1/api/v1/groups/ops/members/a%20b%2Fc/move");
        assert!(fill_path(&base, "/api/v1/groups/{slug}", &[]).is_err());
        assert!(fill_path(&base, "/api/v1/groups", &["x"]).is_err());
    }

    #[test]
    fn a_base_path_prefix_is_kept() {
        for base in ["https://h/tocsin", "https://h/tocsin/"] {
            let url = fill_path(&parse_base(base).unwrap(), "/api/v1/me", &[]).unwrap();
            assert_eq!(url, "https://h/tocsin/api/v1/me");
        }
    }

    #[test]
    fn a_base_url_is_http_or_https_without_query_or_fragment() {
        assert_eq!(Client::new("https://h/tocsin").unwrap().base_url(), "https://h/tocsin");
        for bad in ["not a url", "ftp://h/", "mailto:ops@h", "http://h/?x=1", "http://h/#top"] {
            assert!(matches!(Client::new(bad), Err(Error::InvalidRequest(_))), "{bad}");
        }
    }

    #[test]
    fn the_token_stays_out_of_debug_output() {
        let client = Client::new("http://127.0.0.1:1").unwrap().with_token("tsk_secret");
        assert!(!format!("{client:?}").contains("tsk_secret"));
    }
}
