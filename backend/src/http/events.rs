//! `/api/v1/events`: named notifications with targets and message templates.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpResponse};
use tocsin_types::{
    ErrorBody, Escaping, Event, EventTargets, EventTemplates, EventUpdate, EventVariables, ListQuery, NewEvent, Page,
    TemplatePreview, TemplatePreviewRequest,
};

use crate::domain::names::{display_name, free_text};
use crate::domain::render;
use crate::domain::slug::Slug;
use crate::domain::templates::{self, check_syntax};
use crate::domain::ValidationError;
use crate::store::events::{self, escaping_str, severity_str, EventChanges};
use crate::store::{audit, contacts, groups, DbConnection, StoreError};

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
    let input = body.into_inner();
    let detail = serde_json::to_value(&input).unwrap_or_default();
    check_templates(&input.templates)?;
    let row = EventChanges {
        slug: Some(Slug::parse("slug", &input.slug)?.into_inner()),
        name: Some(display_name("name", &input.name)?),
        description: Some(free_text("description", input.description.as_deref().unwrap_or(""), 2000)?),
        enabled: Some(input.enabled.unwrap_or(true)),
        severity: Some(severity_str(input.severity.unwrap_or_default()).into()),
        subject_template: Some(input.templates.subject),
        body_template: Some(input.templates.body),
        sms_template: Some(input.templates.sms),
        escaping: Some(escaping_str(input.escape.unwrap_or_default()).into()),
        uei: Some(uei(input.uei.as_deref())?),
        ..EventChanges::default()
    };
    let (targets, actor) = (input.targets, auth.actor());
    let event = state
        .store
        .write(move |c| {
            let created = events::insert(c, row)?;
            set_targets(c, created.id, &targets)?;
            audit::record(c, &actor, "event.create", "event", &created.slug, detail)?;
            events::load(c, created)
        })
        .await?;
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
    let input = body.into_inner();
    let detail = serde_json::to_value(&input).unwrap_or_default();
    if let Some(t) = &input.templates {
        check_templates(t)?;
    }
    let templates = input.templates.clone();
    let changes = EventChanges {
        slug: input.slug.as_deref().map(|s| Slug::parse("slug", s)).transpose()?.map(Slug::into_inner),
        name: input.name.as_deref().map(|n| display_name("name", n)).transpose()?,
        description: input.description.as_deref().map(|d| free_text("description", d, 2000)).transpose()?,
        enabled: input.enabled,
        severity: input.severity.map(|s| severity_str(s).into()),
        subject_template: templates.as_ref().map(|t| t.subject.clone()),
        body_template: templates.as_ref().map(|t| t.body.clone()),
        sms_template: templates.map(|t| t.sms),
        escaping: input.escape.map(|e| escaping_str(e).into()),
        uei: input.uei.as_deref().map(|u| uei(Some(u))).transpose()?,
        ..EventChanges::default()
    };
    let (slug, actor, targets) = (slug.into_inner(), auth.actor(), input.targets);
    let event = state
        .store
        .write(move |c| {
            let current = events::get(c, &slug)?;
            let updated = events::update(c, current.id, changes)?;
            if let Some(targets) = &targets {
                set_targets(c, current.id, targets)?;
            }
            audit::record(c, &actor, "event.update", "event", &updated.slug, detail)?;
            events::load(c, updated)
        })
        .await?;
    Ok(Json(event))
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
    let (slug, actor) = (slug.into_inner(), auth.actor());
    state
        .store
        .write(move |c| {
            let current = events::get(c, &slug)?;
            events::delete(c, current.id)?;
            audit::record(c, &actor, "event.delete", "event", &current.slug, serde_json::json!({"name": current.name}))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn check_templates(t: &EventTemplates) -> Result<(), ValidationError> {
    check_syntax("templates.subject", &t.subject)?;
    check_syntax("templates.body", &t.body)?;
    check_syntax("templates.sms", &t.sms)
}

/// A UEI is an opaque identifier (OpenNMS style, `uei.opennms.org/nodes/nodeDown`);
/// `""` means none.
fn uei(raw: Option<&str>) -> Result<Option<String>, ValidationError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(u) if u.len() > 512 => Err(ValidationError::new("uei", "must be at most 512 characters")),
        Some(u) if u.chars().any(char::is_whitespace) => Err(ValidationError::new("uei", "must not contain spaces")),
        Some(u) => Ok(Some(u.to_owned())),
    }
}

fn set_targets(c: &mut DbConnection, event_id: i64, targets: &EventTargets) -> Result<(), StoreError> {
    let contact_ids: Vec<i64> =
        contacts::resolve_slugs(c, "targets.contacts", &targets.contacts)?.iter().map(|r| r.id).collect();
    let group_ids: Vec<i64> =
        groups::resolve_slugs(c, "targets.groups", &targets.groups)?.iter().map(|r| r.id).collect();
    if has_duplicates(&contact_ids) || has_duplicates(&group_ids) {
        return Err(ValidationError::new("targets", "a target is listed twice").into());
    }
    events::set_targets(c, event_id, &contact_ids, &group_ids)
}

fn has_duplicates(ids: &[i64]) -> bool {
    let mut seen = std::collections::HashSet::new();
    !ids.iter().all(|id| seen.insert(id))
}
