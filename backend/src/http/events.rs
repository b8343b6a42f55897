//! `/api/v1/events`: named notifications with targets and message templates.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{
    ErrorBody, Escaping, Event, EventUpdate, EventVariables, ListQuery, NewEvent, Page, TemplatePreview,
    TemplatePreviewRequest,
};

use crate::directory;
use crate::domain::inputs::events::{EventDraft, EventPatch};
use crate::domain::render;
use crate::domain::templates;
use crate::store::events;

use super::auth::{Authorized, DirectoryWrite, Read};
use super::error::ApiError;
use super::state::AppState;

/// List events.
#[utoipa::path(
    tag = "events", operation_id = "list_events", params(ListQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "A page of events", body = Page<Event>))
)]
#[get("/events")]
pub async fn list_events(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> Result<Json<Page<Event>>, ApiError> {
    let query = query.into_inner();
    Ok(Json(state.store.read(move |c| events::list(c, &query)).await?))
}

/// Create an event.
///
/// Templates are checked for syntax; targets must exist.
#[utoipa::path(
    tag = "events", operation_id = "create_event", request_body = NewEvent,
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "Created", body = Event),
        (status = 409, description = "The slug is taken", body = ErrorBody),
    )
)]
#[post("/events")]
pub async fn create_event(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    body: Json<NewEvent>,
) -> Result<HttpResponse, ApiError> {
    let draft = EventDraft::parse(body.into_inner())?;
    let event = directory::events::create(&state.store, auth.actor(), draft).await?;
    Ok(HttpResponse::Created().json(event))
}

/// Get an event.
#[utoipa::path(
    tag = "events", operation_id = "get_event", params(("slug" = String, Path, description = "Event slug (any case)")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The event", body = Event),
        (status = 404, description = "No such event", body = ErrorBody),
    )
)]
#[get("/events/{slug}")]
pub async fn get_event(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<Json<Event>, ApiError> {
    let slug = slug.into_inner();
    Ok(Json(state.store.read(move |c| events::get(c, &slug).and_then(|e| events::load(c, e))).await?))
}

/// List the variables of an event's templates.
///
/// The names its subject, body and SMS templates use, sorted and each once:
/// the fields a form should ask for before firing it.
#[utoipa::path(
    tag = "events", operation_id = "get_event_variables",
    params(("slug" = String, Path, description = "Event slug (any case)")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The variables", body = EventVariables),
        (status = 404, description = "No such event", body = ErrorBody),
    )
)]
#[get("/events/{slug}/variables")]
pub async fn get_event_variables(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<Json<EventVariables>, ApiError> {
    let slug = slug.into_inner();
    let event = state.store.read(move |c| events::get(c, &slug)).await?;
    let mut variables = Vec::new();
    for source in [&event.subject_template, &event.body_template, &event.sms_template] {
        // Stored templates passed the same check when they were saved.
        variables.extend(render::variables(source).map_err(|e| ApiError::internal(e.to_string()))?);
    }
    variables.sort();
    variables.dedup();
    Ok(Json(EventVariables { variables }))
}

/// Preview templates.
///
/// Renders templates that are not saved yet with sample arguments, as a fire
/// would: the message, the variables the templates use, and what is wrong
/// with each template that does not compile or render. Stores nothing.
#[utoipa::path(
    tag = "events", operation_id = "preview_templates", request_body = TemplatePreviewRequest,
    security(("bearer" = ["read"])),
    responses((status = 200, description = "The rendered message, or what is wrong with the templates", body = TemplatePreview))
)]
#[post("/templates/preview")]
pub async fn preview_templates(_auth: Authorized<Read>, body: Json<TemplatePreviewRequest>) -> Json<TemplatePreview> {
    let input = body.into_inner();
    let escaping = match input.escape.unwrap_or_default() {
        Escaping::None => render::Escaping::None,
        Escaping::Html => render::Escaping::Html,
    };
    let t = &input.templates;
    Json(templates::preview(&t.subject, &t.body, &t.sms, &input.args, escaping))
}

/// Update an event.
///
/// Only the fields present change; `targets` and `templates` are replaced whole.
#[utoipa::path(
    tag = "events", operation_id = "update_event", request_body = EventUpdate,
    params(("slug" = String, Path, description = "Event slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Updated", body = Event),
        (status = 404, description = "No such event", body = ErrorBody),
        (status = 409, description = "The new slug is taken", body = ErrorBody),
    )
)]
#[patch("/events/{slug}")]
pub async fn update_event(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
    body: Json<EventUpdate>,
) -> Result<Json<Event>, ApiError> {
    let patch = EventPatch::parse(body.into_inner())?;
    Ok(Json(directory::events::update(&state.store, auth.actor(), slug.into_inner(), patch).await?))
}

/// Delete an event.
///
/// Past notifications of the event are kept.
#[utoipa::path(
    tag = "events", operation_id = "delete_event", params(("slug" = String, Path, description = "Event slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such event", body = ErrorBody),
    )
)]
#[delete("/events/{slug}")]
pub async fn delete_event(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<HttpResponse, ApiError> {
    directory::events::delete(&state.store, auth.actor(), slug.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
