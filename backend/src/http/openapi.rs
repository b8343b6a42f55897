//! The OpenAPI document. Paths come from the handlers themselves (registered
//! with `.service()`, so none can be missed); this module adds what is common to
//! every operation: the bearer scheme, the shared error responses, and the
//! examples of lists, and it names the schemas utoipa writes out inline.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};
use utoipa_actix_web::AppExt;

use tocsin_types::{ErrorBody, Page};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tocsin API",
        description = "Tocsin is a self-hosted notification hub: monitoring systems, scripts and people raise an alert in one place; Tocsin decides who must hear about it, reaches them on the channels they chose, and records what happened to every message.\n\nAuthenticate with `Authorization: Bearer <token>`, where the token is an operator session from `POST /api/v1/session` or an API key. The security requirement of each operation names the API key scope it needs (`read`, `send`, `admin`; `admin` implies the others). Operators: `viewer` may read, `operator` may also send and edit the directory, `admin` may do everything.\n\nErrors have one shape: `{\"error\": \"<code>\", \"message\": \"<text>\", \"details\": …}`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "contacts", description = "People and team mailboxes"),
        (name = "destinations", description = "The ways to reach a contact"),
        (name = "groups", description = "Ordered lists of contacts"),
        (name = "schedules", description = "Duty schedules: when contacts and groups take notifications"),
        (name = "events", description = "Named notifications with targets and templates"),
        (name = "firing", description = "Firing events and notifying contacts or groups"),
        (name = "notifications", description = "What was fired, who it reached, acknowledging it"),
        (name = "receipts", description = "Delivery receipts posted by SMS providers"),
        (name = "media", description = "Supported delivery media"),
        (name = "api-keys", description = "Keys for scripts and monitoring systems"),
        (name = "operators", description = "Accounts of the web app"),
        (name = "session", description = "Logging in and one's own profile"),
        (name = "audit", description = "Who changed what"),
        (name = "system", description = "Health and metrics"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions)
)]
struct ApiDoc;

/// The complete document, as served at `/api/openapi.json` and committed in
/// `openapi/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, paths) = actix_web::App::new().into_utoipa_app().configure(super::routes).split_for_parts();
    let mut doc = ApiDoc::openapi().merge_from(paths);
    Conventions.modify(&mut doc);
    doc
}

struct Conventions;

/// Shared error responses: (name, status, description).
const ERRORS: [(&str, &str, &str); 7] = [
    ("BadRequest", "400", "Malformed JSON, path or query string"),
    ("Unauthorized", "401", "Missing, invalid or expired credentials"),
    ("Forbidden", "403", "The credentials do not allow this"),
    ("PayloadTooLarge", "413", "The body is too large"),
    ("UnsupportedMediaType", "415", "The body is not JSON"),
    ("ValidationFailed", "422", "Well-formed input with invalid values"),
    ("Internal", "500", "Something failed on the server; the cause is in its log"),
];

impl Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An operator session token (from POST /api/v1/session) or an API key"))
                    .build(),
            ),
        );
        components.schemas.insert(ErrorBody::name().into_owned(), ErrorBody::schema());
        for (name, _, description) in ERRORS {
            let response = ResponseBuilder::new()
                .description(description)
                .content("application/json", Content::new(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))))
                .build();
            components.responses.insert(name.into(), RefOr::T(response));
        }
        refer_to_named_schemas(&mut components.schemas);
        add_page_examples(&mut components.schemas);
        let schemas = components.schemas.clone();
        for (path, item) in doc.paths.paths.iter_mut() {
            let api = path.starts_with("/api/");
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                no_credentials_as_empty_list(op);
                add_errors(op, api);
                add_array_examples(op, &schemas);
            }
        }
    }
}

/// utoipa writes the schema of a generic argument out in full (the items of
/// `Page<Contact>` are a copy of `Contact`), and client generators then make an
/// anonymous model of every copy. Each copy becomes a reference to the named schema.
fn refer_to_named_schemas(schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    let named: Vec<(String, Value)> =
        schemas.iter().filter_map(|(name, schema)| Some((name.clone(), serde_json::to_value(schema).ok()?))).collect();
    for schema in schemas.values_mut() {
        let Ok(mut value) = serde_json::to_value(&*schema) else { continue };
        if replace_copies(&mut value, &named, true) {
            if let Ok(rewritten) = serde_json::from_value(value) {
                *schema = rewritten;
            }
        }
    }
}

/// Replaces, below `value` itself, every copy of a named schema by a reference to
/// it; examples are data, not schemas, and are left alone. True if anything changed.
fn replace_copies(value: &mut Value, named: &[(String, Value)], root: bool) -> bool {
    if !root {
        if let Some((name, _)) = named.iter().find(|(_, schema)| schema == value) {
            *value = json!({ "$ref": format!("#/components/schemas/{name}") });
            return true;
        }
    }
    match value {
        Value::Object(fields) => fields
            .iter_mut()
            .filter(|(key, _)| !matches!(key.as_str(), "example" | "examples"))
            .fold(false, |changed, (_, v)| replace_copies(v, named, false) | changed),
        Value::Array(items) => items.iter_mut().fold(false, |changed, v| replace_copies(v, named, false) | changed),
        _ => false,
    }
}

fn example_of(schemas: &BTreeMap<String, RefOr<Schema>>, name: &str) -> Option<Value> {
    match schemas.get(name) {
        Some(RefOr::T(Schema::Object(object))) => object.example.clone().or_else(|| object.examples.first().cloned()),
        Some(RefOr::T(Schema::OneOf(one_of))) => one_of.example.clone().or_else(|| one_of.examples.first().cloned()),
        _ => None,
    }
}

/// `Page<T>` is generic, so it cannot carry an example of its own: each page
/// schema gets one made from its item's example, which keeps the two in step.
fn add_page_examples(schemas: &mut BTreeMap<String, RefOr<Schema>>) {
    let prefix = format!("{}_", <Page<()> as ToSchema>::name());
    let pages: Vec<(String, Value)> = schemas
        .keys()
        .filter_map(|name| {
            let item = name.strip_prefix(&prefix)?;
            Some((name.clone(), example_of(schemas, item)?))
        })
        .collect();
    for (name, item) in pages {
        if let Some(RefOr::T(Schema::Object(page))) = schemas.get_mut(&name) {
            page.example.get_or_insert_with(|| json!({ "items": [item], "total": 1, "limit": 50, "offset": 0 }));
        }
    }
}

/// A JSON answer that is an array of a named schema gets an example of one item.
fn add_array_examples(op: &mut Operation, schemas: &BTreeMap<String, RefOr<Schema>>) {
    let answers = op.responses.responses.iter_mut().filter(|(status, _)| status.starts_with('2'));
    for (_, response) in answers {
        let RefOr::T(response) = response else { continue };
        let Some(content) = response.content.get_mut("application/json") else { continue };
        let Some(RefOr::T(Schema::Array(array))) = &content.schema else { continue };
        let ArrayItems::RefOrSchema(items) = &array.items else { continue };
        let RefOr::Ref(item) = items.as_ref() else { continue };
        let name = item.ref_location.rsplit('/').next().unwrap_or_default();
        if content.example.is_none() {
            content.example = example_of(schemas, name).map(|example| json!([example]));
        }
    }
}

/// `security(())` writes `[{}]`, which OpenAPI reads as "credentials optional" and
/// client generators as "needs an authenticated client". The operations that say
/// it take no credentials at all, which is `[]`.
fn no_credentials_as_empty_list(op: &mut Operation) {
    let anonymous = op.security.as_ref().is_some_and(|reqs| {
        !reqs.is_empty() && reqs.iter().all(|r| serde_json::to_value(r).is_ok_and(|v| v == json!({})))
    });
    if anonymous {
        op.security = Some(Vec::new());
    }
}

fn add_errors(op: &mut Operation, api: bool) {
    let secured = op
        .security
        .as_ref()
        .is_some_and(|reqs| reqs.iter().any(|r| serde_json::to_value(r).is_ok_and(|v| v != serde_json::json!({}))));
    let has_body = op.request_body.is_some();
    let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    for (name, status, _) in ERRORS {
        let wanted = match status {
            "400" => has_body || has_params,
            "401" | "403" => secured,
            "413" | "415" | "422" => has_body,
            "500" => api,
            _ => false,
        };
        if wanted {
            op.responses
                .responses
                .entry(status.into())
                .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
        }
    }
}
