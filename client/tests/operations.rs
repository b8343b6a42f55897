#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The client keeps up with the API: every operation of `openapi/openapi.json`
//! has a client method of the same name calling the same method and path, and
//! the client calls nothing the document does not have.

use std::collections::BTreeSet;
use std::path::Path;

use tocsin_client::OPERATIONS;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn document_operations() -> BTreeSet<(String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/openapi.json");
    let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if METHODS.contains(&method.as_str()) {
                let id =
                    operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
                found.insert((id.to_owned(), method.clone(), path.clone()));
            }
        }
    }
    found
}

fn client_operations() -> BTreeSet<(String, String, String)> {
    OPERATIONS.iter().map(|op| (op.id.to_owned(), op.verb.as_str().to_owned(), op.path.to_owned())).collect()
}

#[test]
fn every_documented_operation_is_in_the_client_table_and_nothing_else() {
    let document = document_operations();
    let client = client_operations();
    let missing: Vec<_> = document.difference(&client).collect();
    let stale: Vec<_> = client.difference(&document).collect();
    assert!(missing.is_empty(), "operations of openapi.json without a client entry: {missing:#?}");
    assert!(stale.is_empty(), "client entries the document does not have (or with another method/path): {stale:#?}");
    assert_eq!(OPERATIONS.len(), client.len(), "an operation is listed twice");
}

#[test]
fn every_operation_has_a_client_method_named_after_its_operation_id() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut source = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        source.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    let without: Vec<&str> =
        OPERATIONS.iter().map(|op| op.id).filter(|id| !source.contains(&format!("pub async fn {id}("))).collect();
    assert!(without.is_empty(), "operations without a client method: {without:?}");
}
