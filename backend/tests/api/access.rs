//! The access table of DESIGN.md, checked route by route from the OpenAPI
//! document itself, so that a new route cannot escape it.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::{json, Value};
use tocsin_server::domain::tokens::TokenKeys;
use tocsin_types::Role;

use crate::helpers::{TestApp, JWT_SECRET};

on_both_backends!(
    every_protected_route_refuses_missing_or_bad_credentials,
    every_route_enforces_roles_and_scopes,
    an_expired_session_token_is_refused_as_expired,
    a_tampered_or_foreign_token_is_refused,
    a_deleted_or_disabled_operator_loses_access_at_once,
);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Need {
    Read,
    Send,
    DirectoryWrite,
    Admin,
    OwnProfile,
    Anyone,
}

/// Whether a caller may do what a route needs.
type Allowed = fn(Need) -> bool;

struct Route {
    method: Method,
    path: String,
    has_body: bool,
    need: Need,
    operation_id: String,
}

/// Every operation that requires credentials, with what it needs.
fn protected_routes() -> Vec<Route> {
    let doc = serde_json::to_value(tocsin_server::http::openapi::document()).unwrap();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let security = op["security"].as_array().cloned().unwrap_or_default();
            let Some(bearer) = security.iter().find_map(|s| s.get("bearer")) else { continue };
            let scopes: Vec<&str> = bearer.as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
            let tag = op["tags"][0].as_str().unwrap_or_default();
            let operation_id = op["operationId"].as_str().unwrap().to_owned();
            let need = match (scopes.as_slice(), tag, operation_id.as_str()) {
                (["read"], _, _) => Need::Read,
                (["send"], _, _) => Need::Send,
                (["admin"], "api-keys" | "operators" | "audit", _) => Need::Admin,
                (["admin"], _, _) => Need::DirectoryWrite,
                ([], _, "change_my_password") => Need::OwnProfile,
                ([], _, "get_me") => Need::Anyone,
                other => panic!("{operation_id}: no rule for {other:?}"),
            };
            let concrete = path
                .replace("{slug}", "nobody")
                .replace("{contact}", "nobody")
                .replace("{username}", "nobody")
                .replace("{id}", "999999");
            routes.push(Route {
                method: Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: concrete,
                has_body: op.get("requestBody").is_some(),
                need,
                operation_id,
            });
        }
    }
    assert!(routes.len() >= 35, "only {} protected routes found", routes.len());
    routes
}

async fn call(app: &TestApp, route: &Route, token: Option<&str>) -> (u16, Value) {
    let body = route.has_body.then(|| json!({}));
    let answer = app.call(route.method.clone(), &route.path, token, body).await;
    (answer.status.as_u16(), answer.body)
}

async fn every_protected_route_refuses_missing_or_bad_credentials(app: TestApp) {
    for route in protected_routes() {
        for token in [None, Some("tsk_notarealkey0000000000000000000000000000"), Some("a.b.c"), Some("")] {
            let (status, body) = call(&app, &route, token).await;
            assert_eq!(status, 401, "{} {} with {token:?}: {body}", route.method, route.path);
            assert_eq!(body["error"], "unauthorized", "{}", route.operation_id);
        }
    }
}

async fn every_route_enforces_roles_and_scopes(app: TestApp) {
    let viewer = app.operator_token("viewer1", "viewer").await;
    let operator = app.operator_token("operator1", "operator").await;
    let read_key = app.api_key("reader", &["read"]).await;
    let send_key = app.api_key("sender", &["send"]).await;
    let both_key = app.api_key("reader-sender", &["read", "send"]).await;
    let admin_key = app.api_key("administrator", &["admin"]).await;
    let callers: [(&str, &str, Allowed); 7] = [
        ("viewer", &viewer, |n| matches!(n, Need::Read | Need::OwnProfile | Need::Anyone)),
        ("operator", &operator, |n| n != Need::Admin),
        ("admin", &app.admin_token, |_| true),
        ("read key", &read_key, |n| matches!(n, Need::Read | Need::Anyone)),
        ("send key", &send_key, |n| matches!(n, Need::Send | Need::Anyone)),
        ("read+send key", &both_key, |n| matches!(n, Need::Read | Need::Send | Need::Anyone)),
        ("admin key", &admin_key, |n| n != Need::OwnProfile),
    ];
    for route in protected_routes() {
        for (who, token, allowed) in &callers {
            let (status, body) = call(&app, &route, Some(token)).await;
            if allowed(route.need) {
                assert!(status != 401 && status != 403, "{who} refused {} ({status}): {body}", route.operation_id);
            } else {
                assert_eq!(status, 403, "{who} allowed {}: {body}", route.operation_id);
                assert_eq!(body["error"], "forbidden");
            }
        }
    }
}

async fn an_expired_session_token_is_refused_as_expired(app: TestApp) {
    let keys = TokenKeys::new(JWT_SECRET.as_bytes());
    let admin_id = app.get("/api/v1/operators/admin").await.expect(200)["id"].as_i64().unwrap();
    let (expired, _) =
        keys.mint(admin_id, "admin", Role::Admin, 0, Utc::now() - Duration::hours(13), Duration::hours(12)).unwrap();
    let err = app.call(Method::GET, "/api/v1/contacts", Some(&expired), None).await.expect_error(401, "unauthorized");
    assert!(err["message"].as_str().unwrap().contains("expired"), "{err}");
    let (fresh, _) = keys.mint(admin_id, "admin", Role::Admin, 0, Utc::now(), Duration::minutes(5)).unwrap();
    app.call(Method::GET, "/api/v1/contacts", Some(&fresh), None).await.expect(200);
}

async fn a_tampered_or_foreign_token_is_refused(app: TestApp) {
    let viewer = app.operator_token("viewer1", "viewer").await;
    // Swap the payload for one claiming the admin role, keeping the signature.
    let parts: Vec<&str> = viewer.split('.').collect();
    let admin_parts: Vec<&str> = app.admin_token.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], admin_parts[1], parts[2]);
    app.call(Method::GET, "/api/v1/operators", Some(&forged), None).await.expect_error(401, "unauthorized");

    let foreign = TokenKeys::new(b"some other installation's secret!!");
    let (token, _) = foreign.mint(1, "admin", Role::Admin, 0, Utc::now(), Duration::hours(1)).unwrap();
    app.call(Method::GET, "/api/v1/operators", Some(&token), None).await.expect_error(401, "unauthorized");
    app.call(Method::GET, "/api/v1/operators", Some(&viewer), None).await.expect_error(403, "forbidden");
}

async fn a_deleted_or_disabled_operator_loses_access_at_once(app: TestApp) {
    let ana = app.operator_token("ana", "operator").await;
    app.call(Method::GET, "/api/v1/contacts", Some(&ana), None).await.expect(200);
    app.patch("/api/v1/operators/ana", json!({"enabled": false})).await.expect(200);
    app.call(Method::GET, "/api/v1/contacts", Some(&ana), None).await.expect_error(401, "unauthorized");

    let bob = app.operator_token("bob", "operator").await;
    app.patch("/api/v1/operators/bob", json!({"role": "viewer"})).await.expect(200);
    // The role is read at each request, not taken from the token.
    app.call(Method::POST, "/api/v1/contacts", Some(&bob), Some(json!({"slug": "x", "name": "X"})))
        .await
        .expect_error(403, "forbidden");
    app.delete("/api/v1/operators/bob").await.expect(204);
    app.call(Method::GET, "/api/v1/contacts", Some(&bob), None).await.expect_error(401, "unauthorized");
}
