//! `openapi/openapi.json` is committed for integrators; it must be exactly what
//! the code generates. Run with `UPDATE_OPENAPI=1` to rewrite it after an API change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let generated = tocsin_server::http::openapi::document().to_pretty_json().unwrap() + "\n";
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/openapi.json differs from what the code generates; run `UPDATE_OPENAPI=1 cargo nextest run -E 'test(openapi)'` and commit the result"
    );
}

#[test]
fn every_operation_has_an_id_a_tag_a_summary_security_and_error_responses() {
    let doc = serde_json::to_value(tocsin_server::http::openapi::document()).unwrap();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let id = op["operationId"].as_str().unwrap_or_else(|| panic!("{name}: operationId"));
            assert!(ids.insert(id.to_owned()), "{name}: duplicate operationId {id}");
            assert!(op["tags"].as_array().is_some_and(|t| !t.is_empty()), "{name}: tag");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{name}: summary");
            assert!(op["security"].is_array(), "{name}: security requirement");
            let responses = op["responses"].as_object().unwrap();
            if path.starts_with("/api/v1") {
                assert!(responses.contains_key("500"), "{name}: 500 response");
                if op["security"].as_array().unwrap().iter().any(|s| s.get("bearer").is_some()) {
                    assert!(responses.contains_key("401") && responses.contains_key("403"), "{name}: 401/403");
                }
                if op.get("requestBody").is_some() {
                    for status in ["400", "413", "415", "422"] {
                        assert!(responses.contains_key(status), "{name}: {status}");
                    }
                }
            }
        }
    }
}

/// True if `schema` (a media type's schema) shows an example: its own, that of the
/// schema it refers to, or, for a choice, one for each alternative.
fn exemplified(schema: &serde_json::Value, schemas: &serde_json::Value) -> bool {
    if schema.get("example").is_some() || schema.get("examples").is_some() {
        return true;
    }
    if let Some(location) = schema["$ref"].as_str() {
        let name = location.trim_start_matches("#/components/schemas/");
        return exemplified(&schemas[name], schemas);
    }
    ["oneOf", "anyOf"].iter().any(|choice| {
        schema[choice].as_array().is_some_and(|alternatives| alternatives.iter().all(|a| exemplified(a, schemas)))
    })
}

#[test]
fn every_request_body_and_json_answer_has_a_schema_and_an_example() {
    let doc = serde_json::to_value(tocsin_server::http::openapi::document()).unwrap();
    let schemas = &doc["components"]["schemas"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            let bodies = op["requestBody"]["content"].as_object().into_iter().flatten();
            for (media_type, content) in bodies {
                assert!(content.get("schema").is_some(), "{name}: request body {media_type} has no schema");
                let shown = content.get("example").is_some() || exemplified(&content["schema"], schemas);
                assert!(shown, "{name}: request body {media_type} has no example");
            }
            let answers = op["responses"].as_object().unwrap().iter().filter(|(status, _)| status.starts_with('2'));
            for (status, answer) in answers {
                let Some(content) = answer["content"].get("application/json") else { continue };
                assert!(content.get("schema").is_some(), "{name}: {status} has no schema");
                let shown = content.get("example").is_some() || exemplified(&content["schema"], schemas);
                assert!(shown, "{name}: {status} has no example");
            }
        }
    }
}
