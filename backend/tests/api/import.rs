//! `tocsin import redflash`: the original project's own dump moves over in one
//! step, its keys keep working, and a second run changes nothing.

use serde_json::json;
use tocsin_server::startup::import_redflash;

use crate::helpers::{test_settings, TestApp};

on_both_backends!(a_redflash_dump_is_imported_once_and_its_keys_keep_working);

const DUMP: &str = include_str!("../fixtures/redflash-testdata.json");

async fn a_redflash_dump_is_imported_once_and_its_keys_keep_working(app: TestApp) {
    let settings = test_settings(&app.database_url);
    let (report, warnings) = import_redflash(&settings, DUMP).await.unwrap();
    assert_eq!((report.contacts, report.groups, report.api_keys, report.events), ((3, 0), (2, 0), (2, 0), (2, 0)));
    assert_eq!(report.destinations, 3);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings[0].contains("demo-user") && warnings[0].contains("imported disabled"), "{warnings:?}");

    let (again, _) = import_redflash(&settings, DUMP).await.unwrap();
    assert_eq!((again.contacts, again.groups, again.api_keys, again.events), ((0, 3), (0, 2), (0, 2), (0, 2)));
    assert_eq!(app.get("/api/v1/contacts").await.expect(200)["total"], 3);

    let group = app.get("/api/v1/groups/demo-group").await.expect(200);
    let members: Vec<&str> = group["members"].as_array().unwrap().iter().map(|m| m["slug"].as_str().unwrap()).collect();
    assert_eq!(members, ["demo-user", "disabled-user", "jon-doe"]);
    let event = app.get("/api/v1/events/server-overload").await.expect(200);
    assert_eq!(event["escape"], "html");
    assert_eq!(event["templates"]["body"], "Test server overload event {{y}}: {{x}}");
    assert_eq!(app.get("/api/v1/events/disabled-event").await.expect(200)["enabled"], false);
    let sms = &app.get("/api/v1/contacts/demo-user").await.expect(200)["destinations"][0];
    assert_eq!((sms["medium"].as_str(), sms["enabled"].as_bool()), (Some("sms"), Some(false)));

    // The legacy keys work unchanged: the non-admin one sends, the admin one also reads.
    let post = |path: &str, form: &str| {
        app.client
            .post(app.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form.to_owned())
            .send()
    };
    let fired = post("/event/server-overload/", "api_key=12345678901234567890&x=1&y=2").await.unwrap();
    assert_eq!(fired.status(), 201);
    let refused = app.client.get(app.url("/group/demo-group/?api_key=12345678901234567890")).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let described = app.client.get(app.url("/group/demo-group/?api_key=1af89877901234567890")).send().await.unwrap();
    assert_eq!(described.status(), 200);
    assert_eq!(
        described.text().await.unwrap(),
        r#"{"short_contacts":["demo-user","disabled-user","jon-doe"],"name":"Demo Group","slug":"demo-group"}"#
    );
    let keys = app.get("/api/v1/api-keys").await.expect(200);
    let scopes: Vec<_> = keys.as_array().unwrap().iter().map(|k| (k["name"].clone(), k["scopes"].clone())).collect();
    assert_eq!(scopes, [(json!("Admin"), json!(["read", "send"])), (json!("Non admin"), json!(["send"]))]);
}
