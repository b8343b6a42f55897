//! The OpenAPI document. Paths come from the handlers themselves (registered
//! with `.service()`, so none can be missed); this module adds what is common to
//! every operation: the bearer scheme and the shared error responses.

use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};
use utoipa_actix_web::AppExt;

use tocsin_types::ErrorBody;

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
        for (path, item) in doc.paths.paths.iter_mut() {
            let api = path.starts_with("/api/");
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                add_errors(op, api);
            }
        }
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
