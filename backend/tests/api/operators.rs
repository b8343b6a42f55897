use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, ADMIN_PASSWORD};

on_both_backends!(
    a_wrong_password_or_unknown_user_gets_the_same_refusal,
    repeated_failed_logins_are_rate_limited,
    an_operator_changes_their_own_password,
    the_last_enabled_admin_cannot_be_removed,
    two_admins_removed_at_once_leave_one_enabled,
    operators_round_trip_and_every_change_is_audited,
);

async fn a_wrong_password_or_unknown_user_gets_the_same_refusal(app: TestApp) {
    let wrong = app
        .call(Method::POST, "/api/v1/session", None, Some(json!({"username": "admin", "password": "nope-nope-nope"})))
        .await
        .expect_error(401, "unauthorized");
    let unknown = app
        .call(Method::POST, "/api/v1/session", None, Some(json!({"username": "ghost", "password": "nope-nope-nope"})))
        .await
        .expect_error(401, "unauthorized");
    assert_eq!(wrong, unknown);
    let session = app
        .call(Method::POST, "/api/v1/session", None, Some(json!({"username": "ADMIN", "password": ADMIN_PASSWORD})))
        .await
        .expect(200);
    assert_eq!(session["role"], "admin");
    assert_eq!(session["username"], "admin");
    assert!(session["expires_at"].is_string());
}

async fn repeated_failed_logins_are_rate_limited(app: TestApp) {
    // The test server allows 3 failures.
    for _ in 0..3 {
        app.call(Method::POST, "/api/v1/session", None, Some(json!({"username": "admin", "password": "guess-guess"})))
            .await
            .expect_error(401, "unauthorized");
    }
    let answer = app
        .call(Method::POST, "/api/v1/session", None, Some(json!({"username": "admin", "password": ADMIN_PASSWORD})))
        .await;
    let retry_after: u64 = answer.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry_after > 0);
    answer.expect_error(429, "rate_limited");
    // Sessions already open keep working.
    app.get("/api/v1/me").await.expect(200);
}

async fn an_operator_changes_their_own_password(app: TestApp) {
    let token = app.operator_token("ana", "viewer").await;
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    app.call(Method::PUT, "/api/v1/me/password", Some(&token), Some(change("wrong-password", "brand-new-password")))
        .await
        .expect_error(403, "forbidden");
    app.call(Method::PUT, "/api/v1/me/password", Some(&token), Some(change("ana-password-long", "short")))
        .await
        .expect_error(422, "validation_failed");
    app.call(Method::PUT, "/api/v1/me/password", Some(&token), Some(change("ana-password-long", "brand-new-password")))
        .await
        .expect(204);
    // The change ended the session it was made with (and every other one).
    app.call(Method::GET, "/api/v1/me", Some(&token), None).await.expect_error(401, "unauthorized");
    let fresh = app.login("ana", "brand-new-password").await;
    app.call(Method::POST, "/api/v1/session", None, Some(json!({"username": "ana", "password": "ana-password-long"})))
        .await
        .expect_error(401, "unauthorized");
    let me = app.call(Method::GET, "/api/v1/me", Some(&fresh), None).await.expect(200);
    assert_eq!(me, json!({"kind": "operator", "name": "ana", "role": "viewer", "scopes": []}));
}

async fn the_last_enabled_admin_cannot_be_removed(app: TestApp) {
    app.delete("/api/v1/operators/admin").await.expect_error(409, "conflict");
    app.patch("/api/v1/operators/admin", json!({"role": "operator"})).await.expect_error(409, "conflict");
    app.patch("/api/v1/operators/admin", json!({"enabled": false})).await.expect_error(409, "conflict");
    // With a second admin, the first may go.
    let second = app.operator_token("second", "admin").await;
    app.call(Method::DELETE, "/api/v1/operators/admin", Some(&second), None).await.expect(204);
    app.call(Method::DELETE, "/api/v1/operators/second", Some(&second), None).await.expect_error(409, "conflict");
}

async fn two_admins_removed_at_once_leave_one_enabled(app: TestApp) {
    // Two admins, the only enabled ones once the first admin is disabled; an
    // admin key (which is no operator) makes every change.
    app.operator_token("alba", "admin").await;
    app.operator_token("bruno", "admin").await;
    let key = app.api_key("race", &["admin"]).await;
    let change = |name: &str, body: serde_json::Value| {
        let path = format!("/api/v1/operators/{name}");
        let (app, key) = (&app, &key);
        async move { app.call(Method::PATCH, &path, Some(key), Some(body)).await }
    };
    change("admin", json!({"enabled": false})).await.expect(200);
    // Each round races two removals, one disabling and one demoting, a few
    // times over so that an unguarded check would let both through.
    for round in 0..20 {
        let (first, second) = if round % 2 == 0 { ("alba", "bruno") } else { ("bruno", "alba") };
        let (disabled, demoted) =
            tokio::join!(change(first, json!({"enabled": false})), change(second, json!({"role": "operator"})));
        let mut statuses = [disabled.status.as_u16(), demoted.status.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "round {round}: {} / {}", disabled.body, demoted.body);
        let all = app.call(Method::GET, "/api/v1/operators", Some(&key), None).await.expect(200);
        let admins: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["role"] == "admin" && o["enabled"] == true)
            .map(|o| o["username"].as_str().unwrap())
            .collect();
        assert_eq!(admins.len(), 1, "round {round}: {admins:?}");
        change(first, json!({"enabled": true})).await.expect(200);
        change(second, json!({"role": "admin"})).await.expect(200);
    }
}

async fn operators_round_trip_and_every_change_is_audited(app: TestApp) {
    let created = app
        .post("/api/v1/operators", json!({"username": "ana", "password": "ana-password-long", "role": "operator"}))
        .await;
    let created = created.expect(201);
    assert_eq!(created["role"], "operator");
    assert!(created.get("password_hash").is_none() && !created.to_string().contains("argon2"));
    app.post("/api/v1/operators", json!({"username": "ANA", "password": "ana-password-long", "role": "viewer"}))
        .await
        .expect_error(409, "conflict");
    app.post("/api/v1/operators", json!({"username": "bad name", "password": "ana-password-long", "role": "viewer"}))
        .await
        .expect_error(422, "validation_failed");
    app.post("/api/v1/operators", json!({"username": "bob", "password": "short", "role": "viewer"}))
        .await
        .expect_error(422, "validation_failed");
    app.post("/api/v1/operators", json!({"username": "bob", "password": "long-enough-pw", "role": "root"}))
        .await
        .expect_error(422, "validation_failed");
    let updated = app.patch("/api/v1/operators/ana", json!({"role": "viewer", "password": "another-long-pw"})).await;
    assert_eq!(updated.expect(200)["role"], "viewer");
    app.login("ana", "another-long-pw").await;
    let all = app.get("/api/v1/operators").await.expect(200);
    let names: Vec<&str> = all.as_array().unwrap().iter().map(|o| o["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["admin", "ana"]);

    // Directory changes are audited with who, what and when.
    app.create_contact("zed").await;
    let audit = app.get("/api/v1/audit").await.expect(200);
    let newest = &audit["items"][0];
    assert_eq!(newest["actor"], "operator:admin");
    assert_eq!(newest["action"], "contact.create");
    assert_eq!(newest["target"], "zed");
    assert!(newest["at"].is_string());
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    // Logins are audited too: ana's just now, and the admin's when the test began.
    assert_eq!(actions, ["contact.create", "session.login", "operator.update", "operator.create", "session.login"]);
    assert!(!audit.to_string().contains("another-long-pw"));
    let only_ops = app.get("/api/v1/audit?target_kind=operator&actor=operator:admin").await.expect(200);
    assert_eq!(only_ops["total"], 3);
}
