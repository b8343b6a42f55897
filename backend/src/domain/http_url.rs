//! HTTP(S) endpoint URLs for webhook-style media.

use url::Url;

use super::ValidationError;

/// Longest accepted URL, in bytes of the input.
pub const MAX_LEN: usize = 2048;

/// A parsed `http`/`https` URL with a host and no credentials.
///
/// Only the syntax is checked here; whether the host may be contacted (SSRF)
/// is decided at send time, when the address is resolved.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(Url);

impl HttpUrl {
    /// Parses `raw`, reporting problems against `field`.
    pub fn parse(field: &str, raw: &str) -> Result<HttpUrl, ValidationError> {
        let input = raw.trim();
        if input.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if input.len() > MAX_LEN {
            return Err(ValidationError::new(field, format!("too long (at most {MAX_LEN} characters)")));
        }
        let url = Url::parse(input).map_err(|err| {
            let message = match err {
                url::ParseError::RelativeUrlWithoutBase => "must be an absolute http:// or https:// URL".to_owned(),
                url::ParseError::EmptyHost => "must include a host name".to_owned(),
                other => format!("not a valid URL ({other})"),
            };
            ValidationError::new(field, message)
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ValidationError::new(field, format!("must use http or https, not {}", url.scheme())));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(ValidationError::new(field, "must include a host name"));
        }
        // Credentials in a URL end up in logs and in the settings shown to
        // every operator; webhooks that need auth use the signing secret.
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ValidationError::new(field, "must not contain a username or password"));
        }
        Ok(HttpUrl(url))
    }

    /// The normalised URL text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host part (name or IP literal); always present.
    pub fn host_str(&self) -> &str {
        self.0.host_str().unwrap_or_default()
    }

    /// The underlying parsed URL.
    pub fn url(&self) -> &Url {
        &self.0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        let err = HttpUrl::parse("url", raw).unwrap_err();
        assert_eq!(err.field, "url");
        err.message
    }

    #[test]
    fn accepts_https_with_query() {
        let u = HttpUrl::parse("url", "https://hooks.example.com/a?b=c").unwrap();
        assert_eq!(u.as_str(), "https://hooks.example.com/a?b=c");
        assert_eq!(u.host_str(), "hooks.example.com");
        assert_eq!(u.url().scheme(), "https");
    }

    #[test]
    fn normalises() {
        let u = HttpUrl::parse("url", " HTTP://Example.COM:80 ").unwrap();
        assert_eq!(u.as_str(), "http://example.com/");
        let u = HttpUrl::parse("url", "http://[::1]:8080/x").unwrap();
        assert_eq!(u.host_str(), "[::1]");
    }

    #[test]
    fn rejects_other_schemes() {
        assert_eq!(err("ftp://example.com/"), "must use http or https, not ftp");
        assert_eq!(err("javascript:alert(1)"), "must use http or https, not javascript");
        assert_eq!(err("file:///etc/passwd"), "must use http or https, not file");
        assert_eq!(err("mailto:a@b.c"), "must use http or https, not mailto");
    }

    #[test]
    fn rejects_missing_host() {
        assert_eq!(err("http://"), "must include a host name");
        assert_eq!(err("https://?q"), "must include a host name");
        // WHATWG parsing reads the first path segment as the host here.
        assert_eq!(HttpUrl::parse("url", "https:///path").unwrap().host_str(), "path");
    }

    #[test]
    fn rejects_credentials() {
        assert_eq!(err("https://user:pw@x.y/"), "must not contain a username or password");
        assert_eq!(err("https://user@x.y/"), "must not contain a username or password");
        assert_eq!(err("https://:pw@x.y/"), "must not contain a username or password");
    }

    #[test]
    fn rejects_relative_empty_and_overlong() {
        assert_eq!(err(""), "must not be empty");
        assert_eq!(err("/hooks/1"), "must be an absolute http:// or https:// URL");
        assert_eq!(err("hooks.example.com"), "must be an absolute http:// or https:// URL");
        let long = format!("https://example.com/{}", "a".repeat(MAX_LEN));
        assert!(err(&long).starts_with("too long"));
        assert!(err("https://exa mple.com/").starts_with("not a valid URL"));
    }
}
