//! Security headers on every answer: the web app, the API, errors, 404s, the
//! RedFlash routes. One middleware, outermost, so no route can miss them.
//!
//! - `Content-Security-Policy`: the web app loads only its own files. Its
//!   script is a module file (`boot.js`, no inline script), and instantiating
//!   its WebAssembly needs `'wasm-unsafe-eval'` (not `'unsafe-eval'`: no
//!   `eval` of JavaScript). No inline styles either. `frame-ancestors 'none'`
//!   (and `X-Frame-Options: DENY` for older browsers) forbids framing, so no
//!   click-jacking of the Acknowledge button.
//! - `/api/docs/` (the vendored Swagger UI, served offline by Tocsin itself)
//!   gets its own policy: its scripts are files too, but its React views set
//!   inline styles and its icons are `data:` images.
//! - `Referrer-Policy: no-referrer`: notification ids in the app's URLs never
//!   leave with a link.
//! - `X-Content-Type-Options: nosniff`: a body is only ever what its type says.
//! - `Strict-Transport-Security` only when `TOCSIN_PUBLIC_URL` is https: over
//!   plain HTTP it means nothing, and sent from a server reached by http it
//!   would only mislead.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::web;

use crate::settings::Settings;

/// The web app's policy, which is also every other answer's.
pub const APP_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The API documentation's policy: the app's, plus the inline styles Swagger UI sets.
pub const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// One year, as browsers' preload lists expect at least.
pub const HSTS: &str = "max-age=31536000";

/// What depends on the configuration, decided once at start-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecurityHeaders {
    /// Send `Strict-Transport-Security`.
    pub hsts: bool,
}

impl SecurityHeaders {
    pub fn for_settings(settings: &Settings) -> Self {
        let public = settings.public_url().unwrap_or_default();
        Self { hsts: public.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")) }
    }

    /// The headers for an answer to `path`.
    pub fn headers(self, path: &str) -> Vec<(HeaderName, &'static str)> {
        let docs = path == "/api/docs" || path.starts_with("/api/docs/");
        let mut headers = vec![
            (header::CONTENT_SECURITY_POLICY, if docs { DOCS_POLICY } else { APP_POLICY }),
            (header::X_FRAME_OPTIONS, "DENY"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ];
        if self.hsts {
            headers.push((header::STRICT_TRANSPORT_SECURITY, HSTS));
        }
        headers
    }
}

/// Middleware: sets the headers on the answer, whatever produced it. An error
/// that reaches this far (none should: handlers turn theirs into answers) is
/// given its answer here, with the headers, instead of a bare one later.
pub async fn set(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let config = req.app_data::<web::Data<SecurityHeaders>>().map(|c| *c.get_ref()).unwrap_or_default();
    let headers = config.headers(req.path());
    match next.call(req).await {
        Ok(mut res) => {
            insert(res.headers_mut(), &headers);
            Ok(res)
        }
        Err(e) => {
            let mut answer = e.error_response();
            insert(answer.headers_mut(), &headers);
            Err(InternalError::from_response(e, answer).into())
        }
    }
}

fn insert(map: &mut HeaderMap, headers: &[(HeaderName, &'static str)]) {
    for (name, value) in headers {
        map.insert(name.clone(), HeaderValue::from_static(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public_url: Option<&str>) -> Settings {
        Settings { public_url: public_url.map(str::to_owned), ..Settings::default() }
    }

    #[test]
    fn hsts_only_behind_an_https_public_url() {
        assert!(SecurityHeaders::for_settings(&settings(Some("https://tocsin.example.com"))).hsts);
        assert!(SecurityHeaders::for_settings(&settings(Some("HTTPS://tocsin.example.com/"))).hsts);
        assert!(!SecurityHeaders::for_settings(&settings(Some("http://tocsin.example.com"))).hsts);
        assert!(!SecurityHeaders::for_settings(&settings(None)).hsts);
    }

    #[test]
    fn the_docs_get_their_own_policy_and_everything_else_the_apps() {
        let policy = |path: &str| {
            SecurityHeaders { hsts: false }
                .headers(path)
                .into_iter()
                .find(|(name, _)| *name == header::CONTENT_SECURITY_POLICY)
                .map(|(_, value)| value)
        };
        assert_eq!(policy("/api/docs/"), Some(DOCS_POLICY));
        assert_eq!(policy("/api/docs/swagger-ui.css"), Some(DOCS_POLICY));
        for path in ["/", "/fire", "/api/v1/contacts", "/api/docsx", "/event/x/"] {
            assert_eq!(policy(path), Some(APP_POLICY), "{path}");
        }
        assert!(APP_POLICY.contains("'wasm-unsafe-eval'") && !APP_POLICY.contains("'unsafe-eval'"));
        assert!(!APP_POLICY.contains("unsafe-inline"));
    }
}
