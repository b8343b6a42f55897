//! Every directory write leaves exactly one audit entry naming the change,
//! the kind of thing changed, the thing and who did it; a refused write
//! leaves none.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::TestApp;

/// A write: method, path, body, then the action, kind and target it records.
type Write = (Method, &'static str, Option<Value>, &'static str, &'static str, &'static str);

/// The newest entry, after checking the write added exactly one.
async fn one_more(app: &TestApp, before: &mut i64) -> Value {
    let page = app.get("/api/v1/audit?limit=1").await.expect(200);
    assert_eq!(page["total"].as_i64().unwrap(), *before + 1, "one entry per write: {page:#}");
    *before += 1;
    page["items"][0].clone()
}

fn check(entry: &Value, action: &str, kind: &str, target: &str, actor: &str) {
    assert_eq!(entry["action"], action, "{entry:#}");
    assert_eq!(entry["target_kind"], kind, "{entry:#}");
    assert_eq!(entry["target"], target, "{entry:#}");
    assert_eq!(entry["actor"], actor, "{entry:#}");
}

async fn every_directory_write_is_audited_once_with_its_action(app: TestApp) {
    let admin = "operator:admin";
    let mut n = app.audit_total().await;
    let steps: Vec<Write> = vec![
        (
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"slug": "ana", "name": "Ana"})),
            "contact.create",
            "contact",
            "ana",
        ),
        (Method::PATCH, "/api/v1/contacts/ana", Some(json!({"name": "Ana L."})), "contact.update", "contact", "ana"),
        (
            Method::POST,
            "/api/v1/contacts",
            Some(json!({"slug": "bob", "name": "Bob"})),
            "contact.create",
            "contact",
            "bob",
        ),
        (Method::POST, "/api/v1/groups", Some(json!({"slug": "ops", "name": "Ops"})), "group.create", "group", "ops"),
        (Method::PATCH, "/api/v1/groups/ops", Some(json!({"enabled": false})), "group.update", "group", "ops"),
        (
            Method::PUT,
            "/api/v1/groups/ops/members",
            Some(json!({"members": ["ana"]})),
            "group.members.set",
            "group",
            "ops",
        ),
        (
            Method::POST,
            "/api/v1/groups/ops/members",
            Some(json!({"contact": "bob"})),
            "group.members.add",
            "group",
            "ops",
        ),
        (
            Method::POST,
            "/api/v1/groups/ops/members/bob/move",
            Some(json!({"position": 0})),
            "group.members.move",
            "group",
            "ops",
        ),
        (Method::DELETE, "/api/v1/groups/ops/members/ana", None, "group.members.remove", "group", "ops"),
        (
            Method::POST,
            "/api/v1/events",
            Some(json!({"slug": "disk", "name": "Disk", "targets": {"groups": ["ops"]}})),
            "event.create",
            "event",
            "disk",
        ),
        (Method::PATCH, "/api/v1/events/disk", Some(json!({"severity": "critical"})), "event.update", "event", "disk"),
        (Method::DELETE, "/api/v1/events/disk", None, "event.delete", "event", "disk"),
        (Method::DELETE, "/api/v1/groups/ops", None, "group.delete", "group", "ops"),
        (
            Method::POST,
            "/api/v1/schedules",
            Some(json!({"slug": "days", "name": "Days", "timezone": "UTC", "windows": ["MoFr0900-1700"]})),
            "schedule.create",
            "schedule",
            "days",
        ),
        (
            Method::PATCH,
            "/api/v1/schedules/days",
            Some(json!({"name": "Day shift"})),
            "schedule.update",
            "schedule",
            "days",
        ),
        (Method::DELETE, "/api/v1/schedules/days", None, "schedule.delete", "schedule", "days"),
        (
            Method::POST,
            "/api/v1/operators",
            Some(json!({"username": "eve", "password": "a long passphrase", "role": "viewer"})),
            "operator.create",
            "operator",
            "eve",
        ),
        (
            Method::PATCH,
            "/api/v1/operators/eve",
            Some(json!({"role": "operator"})),
            "operator.update",
            "operator",
            "eve",
        ),
        (Method::DELETE, "/api/v1/operators/eve", None, "operator.delete", "operator", "eve"),
    ];
    for (method, path, body, action, kind, target) in steps {
        let answer = app.call(method.clone(), path, Some(&app.admin_token), body).await;
        assert!(answer.status.is_success(), "{method} {path}: {}", answer.body);
        check(&one_more(&app, &mut n).await, action, kind, target, admin);
    }

    // Destinations are addressed by id.
    let dest = app
        .post(
            "/api/v1/contacts/ana/destinations",
            json!({"medium": "email", "settings": {"address": "ana@example.com"}}),
        )
        .await
        .expect(201);
    let id = dest["id"].as_i64().unwrap().to_string();
    check(&one_more(&app, &mut n).await, "destination.create", "destination", &id, admin);
    for (method, suffix, body, action) in [
        (Method::PATCH, "", Some(json!({"label": "work"})), "destination.update"),
        (Method::POST, "/disable", None, "destination.disable"),
        (Method::POST, "/enable", None, "destination.enable"),
        (Method::DELETE, "", None, "destination.delete"),
    ] {
        let path = format!("/api/v1/destinations/{id}{suffix}");
        let answer = app.call(method, &path, Some(&app.admin_token), body.or(Some(json!({})))).await;
        assert!(answer.status.is_success(), "{path}: {}", answer.body);
        check(&one_more(&app, &mut n).await, action, "destination", &id, admin);
    }

    // A key is named by its prefix, and what it changes is put down to it.
    let created = app.post("/api/v1/api-keys", json!({"name": "ci", "scopes": ["admin", "read"]})).await.expect(201);
    let prefix = created["prefix"].as_str().unwrap();
    check(&one_more(&app, &mut n).await, "api_key.create", "api_key", prefix, admin);
    let key = created["secret"].as_str().unwrap();
    let by_key = app.call(Method::DELETE, "/api/v1/contacts/bob", Some(key), None).await;
    assert_eq!(by_key.status.as_u16(), 204, "{}", by_key.body);
    check(&one_more(&app, &mut n).await, "contact.delete", "contact", "bob", &format!("key:{prefix}"));
    app.delete(&format!("/api/v1/api-keys/{}", created["id"])).await.expect(200);
    check(&one_more(&app, &mut n).await, "api_key.revoke", "api_key", prefix, admin);

    // Refused writes change nothing and record nothing.
    app.post("/api/v1/contacts", json!({"slug": "ANA", "name": "again"})).await.expect_error(409, "conflict");
    app.post("/api/v1/contacts", json!({"slug": "a b", "name": "x"})).await.expect_error(422, "validation_failed");
    app.post("/api/v1/groups", json!({"slug": "g", "name": "G", "members": ["nobody"]}))
        .await
        .expect_error(422, "validation_failed");
    app.post("/api/v1/groups/missing/members", json!({"contact": "ana"})).await.expect_error(404, "not_found");
    app.patch("/api/v1/operators/admin", json!({"role": "viewer"})).await.expect_error(409, "conflict");
    app.post("/api/v1/schedules", json!({"slug": "s", "name": "S", "timezone": "UTC", "windows": ["Mo9-17"]}))
        .await
        .expect_error(422, "validation_failed");
    app.post("/api/v1/schedules", json!({"slug": "t", "name": "T", "timezone": "UTC"})).await.expect(201);
    n += 1;
    app.post("/api/v1/contacts", json!({"slug": "cy", "name": "Cy", "schedule": "t"})).await.expect(201);
    n += 1;
    app.delete("/api/v1/schedules/t").await.expect_error(409, "conflict");
    assert_eq!(app.audit_total().await, n);
    app.get("/api/v1/groups/g").await.expect_error(404, "not_found");
}

on_both_backends!(every_directory_write_is_audited_once_with_its_action);
