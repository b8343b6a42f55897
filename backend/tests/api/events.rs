use serde_json::json;

use crate::helpers::TestApp;

on_both_backends!(
    an_event_round_trips_with_targets_templates_and_severity,
    a_broken_template_is_refused_with_where_it_breaks,
    an_event_with_an_unknown_target_is_not_created,
    the_variables_of_an_event_are_those_its_templates_use,
    unsaved_templates_preview_with_sample_arguments_or_say_what_is_wrong,
);

async fn an_event_round_trips_with_targets_templates_and_severity(app: TestApp) {
    app.create_contact("ana").await;
    app.create_contact("bob").await;
    app.post("/api/v1/groups", json!({"slug": "ops", "name": "Ops", "members": ["bob"]})).await.expect(201);
    let templates = json!({"subject": "Disk full on {{ host }}", "body": "{{ host }}: {{ mount }} is {{ percent }}% full", "sms": "{{ host|upper }} disk"});
    let created = app
        .post(
            "/api/v1/events",
            json!({"slug": "disk-full", "name": "Disk full", "severity": "major",
                   "targets": {"contacts": ["ANA"], "groups": ["ops"]}, "templates": templates, "escape": "html"}),
        )
        .await
        .expect(201);
    assert_eq!(created["targets"], json!({"contacts": ["ana"], "groups": ["ops"]}));
    assert_eq!(created["templates"], templates);
    assert_eq!(created["severity"], "major");
    assert_eq!(created["escape"], "html");
    assert_eq!(created["enabled"], true);
    assert_eq!(app.get("/api/v1/events/DISK-FULL").await.expect(200), created);

    let updated = app
        .patch(
            "/api/v1/events/disk-full",
            json!({"targets": {"contacts": ["bob"]}, "enabled": false, "uei": "uei.opennms.org/nodes/nodeDown"}),
        )
        .await
        .expect(200);
    assert_eq!(updated["targets"], json!({"contacts": ["bob"], "groups": []}));
    assert_eq!(updated["templates"], templates);
    assert_eq!(updated["uei"], "uei.opennms.org/nodes/nodeDown");
    assert_eq!(app.get("/api/v1/events?enabled=false").await.expect(200)["total"], 1);

    // A contact that is a target can be deleted; the event then no longer lists it.
    app.delete("/api/v1/contacts/bob").await.expect(204);
    assert_eq!(app.get("/api/v1/events/disk-full").await.expect(200)["targets"]["contacts"], json!([]));
    app.delete("/api/v1/events/disk-full").await.expect(204);
    app.get("/api/v1/events/disk-full").await.expect_error(404, "not_found");
}

async fn a_broken_template_is_refused_with_where_it_breaks(app: TestApp) {
    let err = app
        .post("/api/v1/events", json!({"slug": "e", "name": "E", "templates": {"body": "ok\n{% if x %}never closed"}}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(err["details"]["field"], "templates.body");
    assert!(err["message"].as_str().unwrap().contains("line"), "{err}");
    app.get("/api/v1/events/e").await.expect_error(404, "not_found");

    app.post("/api/v1/events", json!({"slug": "e", "name": "E"})).await.expect(201);
    app.patch("/api/v1/events/e", json!({"templates": {"subject": "{{ oops"}}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(app.get("/api/v1/events/e").await.expect(200)["templates"]["subject"], "");
}

async fn an_event_with_an_unknown_target_is_not_created(app: TestApp) {
    let err = app
        .post("/api/v1/events", json!({"slug": "e", "name": "E", "targets": {"groups": ["nobody"]}}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(err["details"]["field"], "targets.groups");
    app.get("/api/v1/events/e").await.expect_error(404, "not_found");
}

async fn the_variables_of_an_event_are_those_its_templates_use(app: TestApp) {
    app.post(
        "/api/v1/events",
        json!({"slug": "disk-full", "name": "Disk full", "templates": {
            "subject": "Disk full on {{ host }}",
            "body": "{{ host }}: {{ mount }} is {{ percent }}% full{% for d in disks %} {{ d }}{% endfor %}",
            "sms": "{{ host|upper }} {{ percent }}% {% for i in range(2) %}!{% endfor %}"}}),
    )
    .await
    .expect(201);
    let answer = app.get("/api/v1/events/DISK-FULL/variables").await.expect(200);
    assert_eq!(answer, json!({"variables": ["disks", "host", "mount", "percent"]}));

    app.post("/api/v1/events", json!({"slug": "plain", "name": "Plain", "templates": {"body": "no variables"}}))
        .await
        .expect(201);
    assert_eq!(app.get("/api/v1/events/plain/variables").await.expect(200), json!({"variables": []}));
    app.get("/api/v1/events/nope/variables").await.expect_error(404, "not_found");
}

async fn unsaved_templates_preview_with_sample_arguments_or_say_what_is_wrong(app: TestApp) {
    let viewer = app.operator_token("vera", "viewer").await;
    let audited = app.audit_total().await;
    let good = json!({"templates": {"subject": "Down: {{ host|upper }}", "body": "{{ host }} & {{ what }}"},
                      "escape": "html", "args": {"host": "db1", "what": "<disk>"}});
    let answer =
        app.call(reqwest::Method::POST, "/api/v1/templates/preview", Some(&viewer), Some(good)).await.expect(200);
    assert_eq!(
        answer,
        json!({"rendered": {"subject": "Down: DB1", "body": "db1 & &lt;disk&gt;",
                            "sms": {"text": "db1 & &lt;disk&gt;", "encoding": "gsm7", "segments": 1}},
               "variables": ["host", "what"], "errors": []})
    );

    let broken = json!({"templates": {"subject": "ok", "body": "line one\n{% if x %}never closed", "sms": "{{ a }}"}});
    let answer = app.post("/api/v1/templates/preview", broken).await.expect(200);
    assert_eq!(answer["rendered"], serde_json::Value::Null);
    assert_eq!(answer["variables"], json!(["a"]));
    assert_eq!(answer["errors"].as_array().unwrap().len(), 1);
    assert_eq!(answer["errors"][0]["field"], "templates.body");
    assert!(answer["errors"][0]["message"].as_str().unwrap().contains("line"), "{answer}");

    app.post("/api/v1/templates/preview", json!({"templates": {"subject": "x"}, "extra": 1}))
        .await
        .expect_error(422, "validation_failed");
    assert_eq!(app.audit_total().await, audited, "a preview changes nothing");
}
