use serde_json::{json, Value};

use crate::helpers::TestApp;

on_both_backends!(
    a_schedule_round_trips_in_opennms_notation,
    bad_windows_zones_and_exceptions_are_422_naming_the_field,
    contacts_and_groups_take_a_schedule_that_cannot_be_deleted_while_used,
    duty_follows_the_local_clock_across_a_clock_change,
);

fn office() -> Value {
    json!({
        "slug": "office",
        "name": "Office hours",
        "timezone": "Europe/London",
        "windows": ["MoTuWeThFr800-1700", "Sa2200-0600"],
        "exceptions": [{"from": "2026-12-24T00:00:00Z", "to": "2026-12-27T00:00:00Z", "note": "Christmas"}]
    })
}

async fn a_schedule_round_trips_in_opennms_notation(app: TestApp) {
    let created = app.post("/api/v1/schedules", office()).await.expect(201);
    assert_eq!(created["windows"], json!(["MoTuWeThFr0800-1700", "Sa2200-0600"]));
    assert_eq!(created["exceptions"][0]["on_duty"], false);
    assert_eq!(created["exceptions"][0]["note"], "Christmas");
    app.post("/api/v1/schedules", json!({"slug": "OFFICE", "name": "x", "timezone": "UTC"}))
        .await
        .expect_error(409, "conflict");

    let got = app.get("/api/v1/schedules/OFFICE").await.expect(200);
    assert_eq!(got["timezone"], "Europe/London");
    let changed = app
        .patch("/api/v1/schedules/office", json!({"windows": ["SuMo0000-2359"], "exceptions": []}))
        .await
        .expect(200);
    assert_eq!(changed["windows"], json!(["MoSu0000-2359"]));
    assert_eq!(changed["exceptions"], json!([]));
    assert_eq!(changed["name"], "Office hours");
    let listed = app.get("/api/v1/schedules?q=offi").await.expect(200);
    assert_eq!(listed["total"], 1);
    app.delete("/api/v1/schedules/office").await.expect(204);
    app.get("/api/v1/schedules/office").await.expect_error(404, "not_found");
}

async fn bad_windows_zones_and_exceptions_are_422_naming_the_field(app: TestApp) {
    let cases = [
        (json!({"windows": ["MoTuWeThFr0900-1700", "MoXy0900-1700"]}), "windows[1]", "position 3"),
        (json!({"windows": ["Mo0900-2400"]}), "windows[0]", "position 8"),
        (json!({"windows": ["Mo0900"]}), "windows[0]", "position 7"),
        (json!({"timezone": "Europe/Atlantis"}), "timezone", "Europe/Atlantis"),
        (
            json!({"exceptions": [{"from": "2026-12-27T00:00:00Z", "to": "2026-12-24T00:00:00Z"}]}),
            "exceptions[0].to",
            "after",
        ),
    ];
    for (change, field, said) in cases {
        let mut body = office();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let err = app.post("/api/v1/schedules", body).await.expect_error(422, "validation_failed");
        assert_eq!(err["details"]["field"], field, "{err}");
        assert!(err["message"].as_str().unwrap().contains(said), "{err}");
    }
    let err = app
        .post("/api/v1/contacts", json!({"slug": "ana", "name": "Ana", "timezone": "Mars/Olympus"}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(err["details"]["field"], "timezone");
    // Nothing half-written.
    assert_eq!(app.get("/api/v1/schedules").await.expect(200)["total"], 0);
    assert_eq!(app.get("/api/v1/contacts").await.expect(200)["total"], 0);
}

async fn contacts_and_groups_take_a_schedule_that_cannot_be_deleted_while_used(app: TestApp) {
    app.post("/api/v1/schedules", office()).await.expect(201);
    let err = app
        .post("/api/v1/contacts", json!({"slug": "ana", "name": "Ana", "schedule": "nights"}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(err["details"]["field"], "schedule");
    let ana = app.post("/api/v1/contacts", json!({"slug": "ana", "name": "Ana", "schedule": "OFFICE"})).await;
    assert_eq!(ana.expect(201)["schedule"], "office");
    let ops = app.post("/api/v1/groups", json!({"slug": "ops", "name": "Ops", "schedule": "office"})).await;
    assert_eq!(ops.expect(201)["schedule"], "office");

    let err = app.delete("/api/v1/schedules/office").await.expect_error(409, "conflict");
    assert_eq!(err["details"]["used_by"], json!(["contact ana", "group ops"]));
    assert!(err["message"].as_str().unwrap().contains("contact ana, group ops"), "{err}");
    app.get("/api/v1/schedules/office").await.expect(200);

    let ana = app.patch("/api/v1/contacts/ana", json!({"schedule": ""})).await.expect(200);
    assert_eq!(ana["schedule"], Value::Null);
    let ops = app.patch("/api/v1/groups/ops", json!({"name": "Operations"})).await.expect(200);
    assert_eq!(ops["schedule"], "office", "a patch without the field keeps it");
    app.patch("/api/v1/groups/ops", json!({"schedule": ""})).await.expect(200);
    app.delete("/api/v1/schedules/office").await.expect(204);
}

async fn duty_follows_the_local_clock_across_a_clock_change(app: TestApp) {
    app.post(
        "/api/v1/schedules",
        json!({"slug": "days", "name": "Days", "timezone": "Europe/London", "windows": ["MoTuWeThFr0900-1700"]}),
    )
    .await
    .expect(201);
    // Friday 23 October (BST) to Tuesday 27 October 2026 (GMT).
    let duty =
        app.get("/api/v1/schedules/days/duty?from=2026-10-23T00:00:00Z&to=2026-10-27T00:00:00Z").await.expect(200);
    assert_eq!(
        duty["spans"],
        json!([
            {"from": "2026-10-23T08:00:00Z", "to": "2026-10-23T16:01:00Z"},
            {"from": "2026-10-26T09:00:00Z", "to": "2026-10-26T17:01:00Z"},
        ])
    );
    assert_eq!(duty["on_duty_at_from"], false);
    assert_eq!(duty["next_on_duty"], "2026-10-23T08:00:00Z");
    app.get("/api/v1/schedules/days/duty?from=2026-10-23T00:00:00Z&to=2026-10-22T00:00:00Z")
        .await
        .expect_error(422, "validation_failed");
    app.get("/api/v1/schedules/days/duty?from=2026-01-01T00:00:00Z&to=2027-01-01T00:00:00Z")
        .await
        .expect_error(422, "validation_failed");
    app.get("/api/v1/schedules/nope/duty").await.expect_error(404, "not_found");
}
