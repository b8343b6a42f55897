//! The client value (base URL, credentials, timeout, retry policy) and the one
//! place where requests are sent, repeated when safe, and their answers decoded.

use std::fmt;
use std::time::Duration;

use reqwest::header::{HeaderValue, RETRY_AFTER};
use reqwest::{RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use url::Url;

use crate::error::{ApiError, Error};
use crate::operations::{Operation, Verb};
use crate::retry::{self, RetryPolicy};

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
    http: reqwest::Client,
    base: Url,
    token: Option<String>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The token is a credential: never in logs.
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
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
    /// assert_eq!(client.base_url().as_str(), "http://127.0.0.1:8080/");
    /// assert!(tocsin_client::Client::new("not a url").is_err());
    /// # Ok::<(), tocsin_client::Error>(())
    /// ```
    pub fn new(base_url: &str) -> Result<Self, Error> {
        let base = Url::parse(base_url).map_err(|e| Error::InvalidRequest(format!("base URL {base_url:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(Error::InvalidRequest(format!("base URL {base_url:?}: must be an http or https URL")));
        }
        Ok(Client { http: http_client()?, base, token: None, timeout: DEFAULT_TIMEOUT, retry: RetryPolicy::default() })
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
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The token sent with each request, if any.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A request for `operation`, its path parameters filled in order.
    pub(crate) fn call(&self, operation: &Operation, params: &[&str]) -> Call<'_> {
        let builder = fill_path(&self.base, operation.path, params).map(|url| {
            let builder = self.http.request(operation.verb.method(), url).timeout(self.timeout);
            match &self.token {
                Some(token) => builder.bearer_auth(token),
                None => builder,
            }
        });
        Call { client: self, builder, repeatable: operation.verb == Verb::Get }
    }

    /// A request to a path outside the document (the RedFlash routes), given
    /// as segments; never repeated.
    pub(crate) fn call_path(&self, segments: &[&str]) -> Call<'_> {
        let builder = path_url(&self.base, segments)
            .map(|url| self.http.request(reqwest::Method::POST, url).timeout(self.timeout));
        Call { client: self, builder, repeatable: false }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn http_client() -> Result<reqwest::Client, Error> {
    // reqwest is built without a TLS crypto provider of its own (as in the
    // server): use ring's, unless the program already chose one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("tocsin-client/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(DEFAULT_TIMEOUT)
        .build()
        .map_err(|e| Error::InvalidRequest(format!("cannot set up HTTP: {e}")))
}

#[cfg(target_arch = "wasm32")]
fn http_client() -> Result<reqwest::Client, Error> {
    reqwest::Client::builder().build().map_err(|e| Error::InvalidRequest(format!("cannot set up HTTP: {e}")))
}

/// The URL of a path template (`/api/v1/groups/{slug}/members/{contact}`)
/// under the base URL, each parameter escaped as one path segment.
fn fill_path(base: &Url, template: &str, params: &[&str]) -> Result<Url, Error> {
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
    path_url(base, &segments)
}

fn path_url(base: &Url, segments: &[&str]) -> Result<Url, Error> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|()| Error::InvalidRequest(format!("base URL {base}: cannot hold a path")))?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
}

/// One request on its way: built from an [`Operation`], sent by one of the
/// `decode`/`no_content`/`text` methods.
pub(crate) struct Call<'c> {
    client: &'c Client,
    builder: Result<RequestBuilder, Error>,
    /// Whether sending it twice has the effect of sending it once.
    repeatable: bool,
}

impl Call<'_> {
    fn map(mut self, f: impl FnOnce(RequestBuilder) -> RequestBuilder) -> Self {
        self.builder = self.builder.map(f);
        self
    }

    pub(crate) fn query(self, query: &(impl Serialize + ?Sized)) -> Self {
        self.map(|b| b.query(query))
    }

    pub(crate) fn json(self, body: &(impl Serialize + ?Sized)) -> Self {
        self.map(|b| b.json(body))
    }

    pub(crate) fn form(self, fields: &(impl Serialize + ?Sized)) -> Self {
        self.map(|b| b.form(fields))
    }

    pub(crate) fn header(mut self, name: &'static str, value: &str) -> Self {
        self.builder = match (self.builder, HeaderValue::from_str(value)) {
            (Ok(b), Ok(value)) => Ok(b.header(name, value)),
            (Ok(_), Err(_)) => Err(Error::InvalidRequest(format!("{name}: not a valid header value"))),
            (Err(e), _) => Err(e),
        };
        self
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
    pub(crate) async fn send(self) -> Result<Response, Error> {
        let request = self.builder?.build().map_err(Error::from_transport)?;
        let policy = self.client.retry;
        let mut retry = 0;
        loop {
            // A copy while another attempt may follow; the last attempt sends
            // the request itself.
            let again = if self.repeatable && retry < policy.max_retries { request.try_clone() } else { None };
            let attempt = match again {
                Some(copy) => self.client.http.execute(copy).await,
                None => return answer(self.client.http.execute(request).await).await,
            };
            let retry_after = attempt.as_ref().ok().and_then(retry_after);
            match answer(attempt).await {
                Err(e) if e.is_transient() => {
                    retry::sleep(policy.delay(retry, retry_after)).await;
                    retry += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends the request and decodes the JSON answer.
    pub(crate) async fn decode<T: DeserializeOwned>(self) -> Result<T, Error> {
        let (status, bytes) = self.body().await?;
        serde_json::from_slice(&bytes).map_err(|e| Error::decode(status, e))
    }

    /// Sends the request and reads the whole answer. Apart from `decode`,
    /// which is copied for every answer type, so that the sending is not.
    async fn body(self) -> Result<(u16, bytes::Bytes), Error> {
        let response = self.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.bytes().await.map_err(Error::from_transport)?))
    }

    /// Sends the request; the answer has no body worth reading.
    pub(crate) async fn no_content(self) -> Result<(), Error> {
        self.send().await.map(drop)
    }

    /// Sends the request and returns the answer as text.
    pub(crate) async fn text(self) -> Result<String, Error> {
        self.send().await?.text().await.map_err(Error::from_transport)
    }
}

/// A success as it is; an error status read and decoded.
async fn answer(attempt: Result<Response, reqwest::Error>) -> Result<Response, Error> {
    let response = attempt.map_err(Error::from_transport)?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let text = response.text().await.unwrap_or_default();
    Err(Error::Api(ApiError::from_answer(status.as_u16(), &text)))
}

/// `Retry-After` in seconds (the API never sends the date form).
fn retry_after(response: &Response) -> Option<Duration> {
    let seconds = response.headers().get(RETRY_AFTER)?.to_str().ok()?.trim().parse().ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_filled_in_order_and_escaped() {
        let base = Url::parse("http://h:1").unwrap();
        let url = fill_path(&base, "/api/v1/groups/{slug}/members/{contact}/move", &["ops", "a b/c"]).unwrap();
        assert_eq!(url.as_str(), "http://h:1/api/v1/groups/ops/members/a%20b%2Fc/move");
        assert!(fill_path(&base, "/api/v1/groups/{slug}", &[]).is_err());
        assert!(fill_path(&base, "/api/v1/groups", &["x"]).is_err());
    }

    #[test]
    fn a_base_path_prefix_is_kept() {
        for base in ["https://h/tocsin", "https://h/tocsin/"] {
            let url = fill_path(&Url::parse(base).unwrap(), "/api/v1/me", &[]).unwrap();
            assert_eq!(url.as_str(), "https://h/tocsin/api/v1/me");
        }
    }

    #[test]
    fn the_token_stays_out_of_debug_output() {
        let client = Client::new("http://127.0.0.1:1").unwrap().with_token("tsk_secret");
        assert!(!format!("{client:?}").contains("tsk_secret"));
    }
}
