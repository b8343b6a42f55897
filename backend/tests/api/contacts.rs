use serde_json::json;

use crate::helpers::TestApp;

on_both_backends!(
    a_contact_round_trips_through_create_get_update_and_delete,
    contacts_are_paged_searched_and_filtered,
    a_slug_taken_in_another_case_is_a_conflict,
    invalid_contact_input_is_refused_and_nothing_is_written,
    a_contact_can_be_linked_to_an_operator_account,
);

async fn a_contact_round_trips_through_create_get_update_and_delete(app: TestApp) {
    let created = app
        .post("/api/v1/contacts", json!({"slug": "Ana-Lima", "name": "Ana Lima", "timezone": "Europe/Lisbon"}))
        .await
        .expect(201);
    assert_eq!(created["slug"], "Ana-Lima");
    assert_eq!(created["enabled"], true);
    assert_eq!(created["availability"], "always");
    assert_eq!(created["destinations"], json!([]));

    // Looked up without regard to case.
    let got = app.get("/api/v1/contacts/ana-lima").await.expect(200);
    assert_eq!(got, created);

    let updated = app
        .patch(
            "/api/v1/contacts/ANA-LIMA",
            json!({"name": "Ana Lima-Santos", "enabled": false, "availability": "business_hours"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["name"], "Ana Lima-Santos");
    assert_eq!(updated["enabled"], false);
    assert_eq!(updated["availability"], "business_hours");
    assert_eq!(updated["timezone"], "Europe/Lisbon");

    let renamed = app.patch("/api/v1/contacts/ana-lima", json!({"slug": "ana"})).await.expect(200);
    assert_eq!(renamed["slug"], "ana");
    app.get("/api/v1/contacts/ana-lima").await.expect_error(404, "not_found");

    app.delete("/api/v1/contacts/ana").await.expect(204);
    app.get("/api/v1/contacts/ana").await.expect_error(404, "not_found");
    app.delete("/api/v1/contacts/ana").await.expect_error(404, "not_found");
}

async fn contacts_are_paged_searched_and_filtered(app: TestApp) {
    for i in 0..7 {
        app.post(
            "/api/v1/contacts",
            json!({"slug": format!("c{i}"), "name": format!("Person {i}"), "enabled": i % 2 == 0}),
        )
        .await
        .expect(201);
    }
    app.post("/api/v1/contacts", json!({"slug": "night_desk", "name": "Night 100% desk"})).await.expect(201);

    let page = app.get("/api/v1/contacts?limit=3&offset=2").await.expect(200);
    assert_eq!(page["total"], 8);
    assert_eq!(page["limit"], 3);
    assert_eq!(page["offset"], 2);
    let slugs: Vec<&str> = page["items"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
    assert_eq!(slugs, ["c2", "c3", "c4"]);

    let found = app.get("/api/v1/contacts?q=PERSON%203").await.expect(200);
    assert_eq!(found["total"], 1);
    assert_eq!(found["items"][0]["slug"], "c3");

    // `%` and `_` in the search are literal characters, not wildcards.
    let literal = app.get("/api/v1/contacts?q=100%25").await.expect(200);
    assert_eq!(literal["total"], 1);
    assert_eq!(app.get("/api/v1/contacts?q=_").await.expect(200)["total"], 1);

    let disabled = app.get("/api/v1/contacts?enabled=false").await.expect(200);
    assert_eq!(disabled["total"], 3);

    // Out-of-range paging is clamped rather than refused.
    let clamped = app.get("/api/v1/contacts?limit=100000&offset=-5").await.expect(200);
    assert_eq!(clamped["limit"], 500);
    assert_eq!(clamped["offset"], 0);
}

async fn a_slug_taken_in_another_case_is_a_conflict(app: TestApp) {
    app.create_contact("ops-desk").await;
    let body =
        app.post("/api/v1/contacts", json!({"slug": "OPS-DESK", "name": "Again"})).await.expect_error(409, "conflict");
    assert!(body["message"].as_str().unwrap().contains("OPS-DESK"));
    app.create_contact("other").await;
    app.patch("/api/v1/contacts/other", json!({"slug": "Ops-Desk"})).await.expect_error(409, "conflict");
    assert_eq!(app.get("/api/v1/contacts").await.expect(200)["total"], 2);
}

async fn invalid_contact_input_is_refused_and_nothing_is_written(app: TestApp) {
    let audit_before = app.audit_total().await;
    let cases = [
        (json!({"slug": "has space", "name": "x"}), "slug"),
        (json!({"slug": "", "name": "x"}), "slug"),
        (json!({"slug": "ok", "name": "   "}), "name"),
        (json!({"slug": "ok", "name": "x", "timezone": "../etc/passwd"}), "timezone"),
        (json!({"slug": "ok", "name": "x", "operator": "nobody"}), "operator"),
    ];
    for (body, field) in cases {
        let err = app.post("/api/v1/contacts", body.clone()).await.expect_error(422, "validation_failed");
        assert_eq!(err["details"]["field"], field, "for {body}");
    }
    assert_eq!(app.get("/api/v1/contacts").await.expect(200)["total"], 0);
    assert_eq!(app.audit_total().await, audit_before);
}

async fn a_contact_can_be_linked_to_an_operator_account(app: TestApp) {
    app.operator_token("ana.ops", "operator").await;
    let created =
        app.post("/api/v1/contacts", json!({"slug": "ana", "name": "Ana", "operator": "ANA.OPS"})).await.expect(201);
    assert_eq!(created["operator"], "ana.ops");
    let unlinked = app.patch("/api/v1/contacts/ana", json!({"operator": ""})).await.expect(200);
    assert_eq!(unlinked["operator"], serde_json::Value::Null);
}
