//! The web app is served at `/` with deep links, without taking anything from
//! the API or the RedFlash routes. Whether this binary embeds the built app
//! depends on whether `scripts/build-web` ran before it was compiled; both
//! cases are checked for what they must answer.

use reqwest::{header, Method, StatusCode};
use serde_json::json;
use tocsin_server::http::webapp;

use crate::helpers::{spawn_app, Backend, TestApp};

async fn get_page(app: &TestApp, path: &str) -> (StatusCode, header::HeaderMap, String) {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_or_how_to_build_it_is_served_at_the_root_and_at_deep_links() {
    let app = spawn_app(Backend::Sqlite).await;
    let (status, headers, root) = get_page(&app, "/").await;
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    if webapp::is_embedded() {
        assert_eq!(status, StatusCode::OK);
        assert!(root.contains("tocsin_web"), "{root}");
    } else {
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(root.contains("./scripts/build-web"), "{root}");
    }
    for deep in ["/notifications/1c2e86001ca247c41b89b1754be2cc2d", "/fire", "/directory/contacts/ana"] {
        let (deep_status, _, page) = get_page(&app, deep).await;
        assert_eq!((deep_status, page.as_str()), (status, root.as_str()), "{deep}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_app_file_is_answered_with_not_modified() {
    let app = spawn_app(Backend::Sqlite).await;
    if !webapp::is_embedded() {
        return;
    }
    let (status, headers, _) = get_page(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    let etag = headers[header::ETAG].clone();
    let again = app.client.get(app.url("/")).header(header::IF_NONE_MATCH, etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_is_sent_gzipped_to_browsers_that_take_it() {
    let app = spawn_app(Backend::Sqlite).await;
    let Some(wasm) = webapp::ASSETS.iter().find(|a| a.path.ends_with(".wasm")) else { return };
    let path = format!("/{}", wasm.path);
    let plain = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(plain.headers()[header::CONTENT_TYPE], "application/wasm");
    assert!(plain.headers().get(header::CONTENT_ENCODING).is_none());
    assert_eq!(plain.bytes().await.unwrap().len(), wasm.bytes.len());

    let packed =
        app.client.get(app.url(&path)).header(header::ACCEPT_ENCODING, "gzip, deflate, br").send().await.unwrap();
    assert_eq!(packed.headers()[header::CONTENT_ENCODING], "gzip");
    assert_eq!(packed.headers()[header::VARY], "Accept-Encoding");
    let body = packed.bytes().await.unwrap();
    assert!(body.len() < wasm.bytes.len() / 2, "{} of {}", body.len(), wasm.bytes.len());
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");

    let refused = app.client.get(app.url(&path)).header(header::ACCEPT_ENCODING, "gzip;q=0").send().await.unwrap();
    assert!(refused.headers().get(header::CONTENT_ENCODING).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_unknown_files_and_other_methods_keep_their_json_404() {
    let app = spawn_app(Backend::Sqlite).await;
    app.get("/api/v1/nothing-here").await.expect_error(404, "not_found");
    app.call(Method::GET, "/api/elsewhere", None, None).await.expect_error(404, "not_found");
    app.call(Method::GET, "/favicon.ico", None, None).await.expect_error(404, "not_found");
    app.call(Method::DELETE, "/notifications/x", None, None).await.expect_error(404, "not_found");
    app.call(Method::POST, "/fire", None, Some(json!({}))).await.expect_error(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redflash_routes_and_the_api_documentation_still_answer_under_the_app() {
    let app = spawn_app(Backend::Sqlite).await;
    // RedFlash's own answer to a call without a key, not the app.
    let legacy = app.client.get(app.url("/event/anything/")).send().await.unwrap();
    assert_eq!(legacy.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(legacy.text().await.unwrap(), r#"{"message":"You must specify your API key"}"#);
    let prefixed = app
        .client
        .post(app.url("/redflash/contact/nobody/"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("message=hi")
        .send()
        .await
        .unwrap();
    assert_eq!(prefixed.text().await.unwrap(), r#"{"message":"You must specify your API key"}"#);
    let ack = app.client.get(app.url("/ack/")).send().await.unwrap();
    assert!(!ack.text().await.unwrap().contains("<html"));
    assert_eq!(app.call(Method::GET, "/healthz", None, None).await.status, StatusCode::OK);
    let docs = app.client.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
}
