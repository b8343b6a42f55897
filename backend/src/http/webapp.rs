//! The operators' web app (`frontend/`), compiled into the binary: its files
//! are embedded at build time from `frontend/dist` (`scripts/build-web`), so
//! one file is the whole product and the working directory does not matter.
//!
//! Every GET outside `/api/` that no other route takes gets the app's
//! `index.html`, so deep links (`/notifications/<id>`) open the app, whose
//! router then shows the page. Paths naming a file the app does not have stay
//! 404s.

use actix_web::http::{header, Method};
use actix_web::{HttpRequest, HttpResponse};

/// One embedded file of the built app.
pub struct Asset {
    /// Relative to the app's root, e.g. `tocsin_web_bg.wasm`.
    pub path: &'static str,
    pub content_type: &'static str,
    /// A content hash, for conditional requests.
    pub etag: &'static str,
    pub bytes: &'static [u8],
    /// The same, gzipped at build time, when that is smaller.
    pub gzip: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// Whether this binary was built with the web app.
pub fn is_embedded() -> bool {
    ASSETS.iter().any(|a| a.path == INDEX)
}

const INDEX: &str = "index.html";

/// The web app's answer to `req`, or `None` when the path is not the app's
/// (the API, other methods, an unknown file).
pub fn respond(req: &HttpRequest) -> Option<HttpResponse> {
    if !matches!(*req.method(), Method::GET | Method::HEAD) {
        return None;
    }
    let path = req.path();
    if path == "/api" || path.starts_with("/api/") {
        return None;
    }
    let relative = path.trim_start_matches('/');
    if let Some(asset) = ASSETS.iter().find(|a| a.path == relative && a.path != INDEX) {
        return Some(send(req, asset));
    }
    if relative.rsplit('/').next().is_some_and(|last| last.contains('.')) {
        return None;
    }
    Some(match ASSETS.iter().find(|a| a.path == INDEX) {
        Some(index) => send(req, index),
        None => not_built(),
    })
}

fn send(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let gzip = asset.gzip.filter(|_| accepts_gzip(req));
    // Each form has its own tag, as HTTP asks of representations.
    let etag = match gzip {
        Some(_) => format!("\"{}-gz\"", asset.etag),
        None => format!("\"{}\"", asset.etag),
    };
    // The file names carry no hash, so browsers revalidate every time; an
    // unchanged file costs a 304.
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut answer = if unchanged { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    answer
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::VARY, "Accept-Encoding"));
    if unchanged {
        return answer.finish();
    }
    answer.content_type(asset.content_type);
    match gzip {
        Some(packed) => answer.insert_header((header::CONTENT_ENCODING, "gzip")).body(packed),
        None => answer.body(asset.bytes),
    }
}

/// Whether the request's `Accept-Encoding` takes gzip (and does not refuse it with `q=0`).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(accepted) = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    accepted.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|p| p.replace(' ', "").trim_start_matches("q=").parse::<f32>() == Ok(0.0));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// What `/` says when the binary was built without the app (unstyled: the
/// Content-Security-Policy allows no inline style).
fn not_built() -> HttpResponse {
    HttpResponse::NotFound().content_type("text/html; charset=utf-8").body(NOT_BUILT)
}

const NOT_BUILT: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tocsin: web app not built</title></head>
<body>
<h1>The web app is not part of this build</h1>
<p>This Tocsin server was compiled without its web app. Build the app, then the server:</p>
<pre>./scripts/build-web
cargo build --release -p tocsin-server</pre>
<p>or simply run <code>./scripts/run</code>, which does both. The API works without it:
see <a href="/api/docs/">/api/docs/</a>.</p>
</body></html>
"#;
