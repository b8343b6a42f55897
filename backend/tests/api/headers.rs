//! Security headers on every answer: the web app, the API, errors and 404s,
//! the API documentation with its own policy; HSTS only behind https.

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use tocsin_server::http::security_headers::{APP_POLICY, DOCS_POLICY, HSTS};
use tocsin_server::http::webapp;

use crate::helpers::{spawn_with, test_settings, TestApp, TestDb};

on_both_backends!(every_answer_carries_the_security_headers, hsts_is_sent_only_when_the_public_url_is_https);

async fn headers_of(app: &TestApp, method: Method, path: &str, token: Option<&str>) -> (StatusCode, HeaderMap) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.headers().clone())
}

fn assert_secured(headers: &HeaderMap, policy: &str, what: &str) {
    assert_eq!(headers.get("content-security-policy").map(|v| v.to_str().unwrap()), Some(policy), "{what}");
    assert_eq!(headers.get("x-frame-options").map(|v| v.to_str().unwrap()), Some("DENY"), "{what}");
    assert_eq!(headers.get("referrer-policy").map(|v| v.to_str().unwrap()), Some("no-referrer"), "{what}");
    assert_eq!(headers.get("x-content-type-options").map(|v| v.to_str().unwrap()), Some("nosniff"), "{what}");
}

async fn every_answer_carries_the_security_headers(app: TestApp) {
    let token = app.admin_token.clone();
    let cases = [
        (Method::GET, "/", None, APP_POLICY),
        (Method::GET, "/notifications/1c2e86001ca247c41b89b1754be2cc2d", None, APP_POLICY),
        (Method::GET, "/api/v1/contacts", Some(token.as_str()), APP_POLICY),
        (Method::GET, "/api/v1/contacts", None, APP_POLICY),
        (Method::GET, "/api/v1/contacts/nobody", Some(token.as_str()), APP_POLICY),
        (Method::GET, "/api/v1/nothing-here", None, APP_POLICY),
        (Method::GET, "/favicon.ico", None, APP_POLICY),
        (Method::GET, "/event/anything/", None, APP_POLICY),
        (Method::GET, "/healthz", None, APP_POLICY),
        (Method::GET, "/api/docs", None, DOCS_POLICY),
        (Method::GET, "/api/docs/", None, DOCS_POLICY),
        (Method::GET, "/api/docs/swagger-ui-bundle.js", None, DOCS_POLICY),
    ];
    let mut statuses = Vec::new();
    for (method, path, token, policy) in cases {
        let (status, headers) = headers_of(&app, method.clone(), path, token).await;
        assert_secured(&headers, policy, &format!("{method} {path} ({status})"));
        assert!(headers.get("strict-transport-security").is_none(), "{path}: no HSTS over http");
        statuses.push(status.as_u16());
    }
    // The cases cover successes, refusals, errors and 404s.
    for expected in [200, 401, 404, 500] {
        assert!(statuses.contains(&expected), "{expected} in {statuses:?}");
    }

    // The web app has no inline script left for the policy to refuse.
    if webapp::is_embedded() {
        let page = app.client.get(app.url("/")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains(r#"<script type="module" src="/boot.js"></script>"#), "{page}");
        assert!(!page.contains("<script type=\"module\">") && !page.contains("style="), "{page}");
        let boot = app.client.get(app.url("/boot.js")).send().await.unwrap();
        assert_eq!(boot.headers()["content-type"], "text/javascript; charset=utf-8");
        assert!(boot.text().await.unwrap().contains("tocsin_web_bg.wasm"));
    }
}

async fn hsts_is_sent_only_when_the_public_url_is_https(app: TestApp) {
    let (_, plain) = headers_of(&app, Method::GET, "/healthz", None).await;
    assert!(plain.get("strict-transport-security").is_none());

    let (db, url) = TestDb::create(app.backend).await;
    let mut settings = test_settings(&url);
    settings.public_url = Some("https://tocsin.example.com".into());
    let secure = spawn_with(app.backend, db, settings).await;
    for path in ["/healthz", "/", "/api/v1/nothing-here", "/api/docs/"] {
        let (_, headers) = headers_of(&secure, Method::GET, path, None).await;
        assert_eq!(headers.get("strict-transport-security").map(|v| v.to_str().unwrap()), Some(HSTS), "{path}");
    }
}
