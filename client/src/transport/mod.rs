//! How a request reaches the server and its answer comes back: reqwest
//! natively (`native.rs`), the browser's `fetch` in wasm32 (`browser.rs`). A
//! [`Request`] is plain data, built the same way on both targets, so that
//! repeating one is sending it again and the browser needs no HTTP stack of
//! its own (reqwest, http, url and idna would add about a tenth to the web
//! app's bundle for what `fetch` already does).

use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::Serialize;

use crate::operations::Verb;
use crate::Error;

#[cfg(target_arch = "wasm32")]
mod browser;
#[cfg(not(target_arch = "wasm32"))]
mod native;

#[cfg(target_arch = "wasm32")]
pub(crate) use browser::Transport;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::Transport;

/// A request, ready to be sent as many times as it takes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Request {
    pub verb: Verb,
    /// The whole URL, its path segments and query already escaped.
    pub url: String,
    /// Validated header values ([`header_value_ok`]).
    pub headers: Vec<(&'static str, String)>,
    /// The body and its `Content-Type`.
    pub body: Option<(&'static str, String)>,
    /// Bounds sending, waiting and reading the answer.
    pub timeout: Duration,
}

/// An answer, read whole (the API's answers are small).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Answer {
    pub status: u16,
    /// `Retry-After` in seconds (the API never sends the date form).
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

/// What a path segment must escape: the `url` crate's path-segment set
/// (controls, space, `"#<>` and `` ` ``, `?{}`, `/` and `%`); bytes outside
/// ASCII are always escaped.
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'?')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'%');

/// `base` (no query, no fragment) followed by `segments`, each escaped as one
/// path segment. An empty last segment leaves a trailing `/`.
pub(crate) fn join(base: &str, segments: &[&str]) -> String {
    let mut url = base.trim_end_matches('/').to_owned();
    for segment in segments {
        url.push('/');
        url.extend(utf8_percent_encode(segment, PATH_SEGMENT));
    }
    url
}

/// `url` with `query` appended as `?name=value&…`, nothing when it is empty.
pub(crate) fn with_query(mut url: String, query: &(impl Serialize + ?Sized)) -> Result<String, Error> {
    let query = form(query)?;
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    Ok(url)
}

/// `fields` as `application/x-www-form-urlencoded`.
pub(crate) fn form(fields: &(impl Serialize + ?Sized)) -> Result<String, Error> {
    serde_urlencoded::to_string(fields).map_err(|e| Error::InvalidRequest(format!("cannot encode the form: {e}")))
}

/// Whether HTTP allows `value` in a header: visible ASCII, spaces and tabs,
/// and bytes above ASCII (no control characters, so no header injection).
pub(crate) fn header_value_ok(value: &str) -> bool {
    value.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// `Retry-After` as a number of seconds.
pub(crate) fn retry_after(value: &str) -> Option<Duration> {
    value.trim().parse().ok().map(Duration::from_secs)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_escaped_one_by_one_and_the_base_path_is_kept() {
        assert_eq!(join("http://h:1/", &["api", "v1", "a b/c"]), "http://h:1/api/v1/a%20b%2Fc");
        assert_eq!(join("https://h/tocsin", &["api"]), "https://h/tocsin/api");
        assert_eq!(join("https://h/tocsin/", &["group", "ops", ""]), "https://h/tocsin/group/ops/");
        assert_eq!(join("http://h", &["é?#%{}`\"<>"]), "http://h/%C3%A9%3F%23%25%7B%7D%60%22%3C%3E");
        assert_eq!(join("http://h", &["a-b_c.d~e:f@g!$&'()*+,;="]), "http://h/a-b_c.d~e:f@g!$&'()*+,;=");
    }

    #[test]
    fn a_query_is_appended_only_when_there_is_one() {
        assert_eq!(with_query("http://h/x".into(), &[("q", "a b&c")]).unwrap(), "http://h/x?q=a+b%26c");
        let none: [(&str, &str); 0] = [];
        assert_eq!(with_query("http://h/x".into(), &none).unwrap(), "http://h/x");
    }

    #[test]
    fn control_characters_cannot_enter_a_header() {
        assert!(header_value_ok("Bearer tsk_abc\t1"));
        assert!(!header_value_ok("x\r\nSet-Cookie: y"));
        assert!(!header_value_ok("x\u{7f}"));
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
