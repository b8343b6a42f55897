use serde_json::{json, Value};

use crate::helpers::TestApp;

on_both_backends!(
    group_members_keep_their_order_through_every_edit,
    a_group_with_an_unknown_member_is_not_created,
    groups_round_trip_and_deleting_a_group_keeps_its_contacts,
);

fn members(group: &Value) -> Vec<String> {
    group["members"].as_array().unwrap().iter().map(|m| m["slug"].as_str().unwrap().to_owned()).collect()
}

async fn group_members_keep_their_order_through_every_edit(app: TestApp) {
    for slug in ["ana", "bob", "cid", "dee"] {
        app.create_contact(slug).await;
    }
    let g = app.post("/api/v1/groups", json!({"slug": "ops", "name": "Operations", "members": ["cid", "ANA"]})).await;
    assert_eq!(members(&g.expect(201)), ["cid", "ana"]);

    let g = app.post("/api/v1/groups/ops/members", json!({"contact": "bob", "position": 0})).await.expect(200);
    assert_eq!(members(&g), ["bob", "cid", "ana"]);
    let g = app.post("/api/v1/groups/ops/members", json!({"contact": "dee"})).await.expect(200);
    assert_eq!(members(&g), ["bob", "cid", "ana", "dee"]);
    app.post("/api/v1/groups/ops/members", json!({"contact": "dee"})).await.expect_error(409, "conflict");

    let g = app.post("/api/v1/groups/ops/members/dee/move", json!({"position": 1})).await.expect(200);
    assert_eq!(members(&g), ["bob", "dee", "cid", "ana"]);
    let g = app.delete("/api/v1/groups/ops/members/CID").await.expect(200);
    assert_eq!(members(&g), ["bob", "dee", "ana"]);
    app.delete("/api/v1/groups/ops/members/cid").await.expect_error(404, "not_found");

    let g = app.put("/api/v1/groups/ops/members", json!({"members": ["ana", "bob"]})).await.expect(200);
    assert_eq!(members(&g), ["ana", "bob"]);
    app.put("/api/v1/groups/ops/members", json!({"members": ["ana", "ana"]}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(members(&app.get("/api/v1/groups/OPS").await.expect(200)), ["ana", "bob"]);
}

async fn a_group_with_an_unknown_member_is_not_created(app: TestApp) {
    app.create_contact("ana").await;
    let err = app
        .post("/api/v1/groups", json!({"slug": "ops", "name": "Operations", "members": ["ana", "ghost"]}))
        .await
        .expect_error(422, "validation_failed");
    assert!(err["message"].as_str().unwrap().contains("ghost"));
    app.get("/api/v1/groups/ops").await.expect_error(404, "not_found");
    assert_eq!(app.get("/api/v1/groups").await.expect(200)["total"], 0);
}

async fn groups_round_trip_and_deleting_a_group_keeps_its_contacts(app: TestApp) {
    app.create_contact("ana").await;
    app.post("/api/v1/groups", json!({"slug": "ops", "name": "Operations", "members": ["ana"]})).await.expect(201);
    app.post("/api/v1/groups", json!({"slug": "OPS", "name": "Again"})).await.expect_error(409, "conflict");
    let g = app.patch("/api/v1/groups/ops", json!({"enabled": false, "description": "night shift"})).await.expect(200);
    assert_eq!(g["enabled"], false);
    assert_eq!(g["description"], "night shift");
    assert_eq!(members(&g), ["ana"]);
    let listed = app.get("/api/v1/groups?enabled=false").await.expect(200);
    assert_eq!(listed["total"], 1);
    app.delete("/api/v1/groups/ops").await.expect(204);
    app.get("/api/v1/groups/ops").await.expect_error(404, "not_found");
    app.get("/api/v1/contacts/ana").await.expect(200);
}
