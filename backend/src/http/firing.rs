//! Firing events and notifying contacts or groups, with `?dry_run=true` for the
//! plan and `Idempotency-Key` for safe retries.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{post, HttpResponse};
use serde::Deserialize;
use tocsin_types::{DryRunResponse, ErrorBody, FireOutcome, FireRequest, FireResponse, NotifyRequest};
use utoipa::IntoParams;

use crate::delivery::intake::{self, Accepted, FireCommand, FireTarget};
use crate::ingest::native;

use super::auth::{Authorized, Send};
use super::error::ApiError;
use super::idempotency::Idempotency;
use super::state::AppState;

/// `?dry_run=true`: answer with the plan, store and send nothing.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FireOptions {
    /// Return the plan (rendered message, recipients, skipped contacts) without storing or sending.
    #[serde(default)]
    pub dry_run: bool,
}

/// Fire an event.
///
/// Renders the event's templates with `args`, reaches every recipient of its
/// targets once per enabled destination, and answers 201 once the notification
/// and all its deliveries are stored. With a `dedup_key` matching an open
/// notification of the event, attaches to it instead (200). With
/// `?dry_run=true`, answers the plan (200) and stores nothing. An
/// `Idempotency-Key` header makes a retry return the first answer.
#[utoipa::path(
    tag = "firing", operation_id = "fire_event", request_body = FireRequest,
    params(("slug" = String, Path, description = "Event slug (any case)"), FireOptions,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key (per caller, 24 h) returns the first answer")),
    security(("bearer" = ["send"])),
    responses(
        (status = 201, description = "Accepted: stored, deliveries queued", body = FireResponse),
        (status = 200, description = "Attached to an open notification (dedup key), or the dry-run plan", body = FireOutcome),
        (status = 404, description = "No such event", body = ErrorBody),
        (status = 409, description = "The event is disabled", body = ErrorBody),
    )
)]
#[post("/events/{slug}/fire")]
pub async fn fire_event(
    auth: Authorized<Send>,
    state: Data<AppState>,
    slug: Path<String>,
    options: Query<FireOptions>,
    body: Json<FireRequest>,
    idempotency: Idempotency,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(auth.actor().as_str(), &*body);
    let cmd = native::event(slug.into_inner(), body.into_inner(), auth.actor())?.with_idempotency(key);
    run(&state, &auth, cmd, options.dry_run).await
}

/// Notify a contact.
///
/// Sends `message` to every enabled destination of the contact.
#[utoipa::path(
    tag = "firing", operation_id = "notify_contact", request_body = NotifyRequest,
    params(("slug" = String, Path, description = "Contact slug (any case)"), FireOptions,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key (per caller, 24 h) returns the first answer")),
    security(("bearer" = ["send"])),
    responses(
        (status = 201, description = "Accepted: stored, deliveries queued", body = FireResponse),
        (status = 200, description = "The dry-run plan", body = DryRunResponse),
        (status = 404, description = "No such contact", body = ErrorBody),
        (status = 409, description = "The contact is disabled", body = ErrorBody),
    )
)]
#[post("/contacts/{slug}/notify")]
pub async fn notify_contact(
    auth: Authorized<Send>,
    state: Data<AppState>,
    slug: Path<String>,
    options: Query<FireOptions>,
    body: Json<NotifyRequest>,
    idempotency: Idempotency,
) -> Result<HttpResponse, ApiError> {
    notify(auth, state, idempotency, FireTarget::Contact(slug.into_inner()), options.dry_run, body.into_inner()).await
}

/// Notify a group.
///
/// Sends `message` to every enabled member, each once per enabled destination.
#[utoipa::path(
    tag = "firing", operation_id = "notify_group", request_body = NotifyRequest,
    params(("slug" = String, Path, description = "Group slug (any case)"), FireOptions,
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key (per caller, 24 h) returns the first answer")),
    security(("bearer" = ["send"])),
    responses(
        (status = 201, description = "Accepted: stored, deliveries queued", body = FireResponse),
        (status = 200, description = "The dry-run plan", body = DryRunResponse),
        (status = 404, description = "No such group", body = ErrorBody),
        (status = 409, description = "The group is disabled", body = ErrorBody),
    )
)]
#[post("/groups/{slug}/notify")]
pub async fn notify_group(
    auth: Authorized<Send>,
    state: Data<AppState>,
    slug: Path<String>,
    options: Query<FireOptions>,
    body: Json<NotifyRequest>,
    idempotency: Idempotency,
) -> Result<HttpResponse, ApiError> {
    notify(auth, state, idempotency, FireTarget::Group(slug.into_inner()), options.dry_run, body.into_inner()).await
}

async fn notify(
    auth: Authorized<Send>,
    state: Data<AppState>,
    idempotency: Idempotency,
    to: FireTarget,
    dry_run: bool,
    body: NotifyRequest,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency.scoped(auth.actor().as_str(), &body);
    let cmd = native::notify(to, body, auth.actor())?.with_idempotency(key);
    run(&state, &auth, cmd, dry_run).await
}

async fn run(
    state: &AppState,
    auth: &Authorized<Send>,
    cmd: FireCommand,
    dry_run: bool,
) -> Result<HttpResponse, ApiError> {
    if dry_run {
        return Ok(HttpResponse::Ok().json(auth.shown(intake::dry_run(&state.store, cmd).await?)));
    }
    Ok(match intake::fire(&state.fires, cmd).await? {
        Accepted::Created(response) => HttpResponse::Created().json(auth.shown(response)),
        Accepted::Attached(response) => HttpResponse::Ok().json(auth.shown(response)),
        Accepted::Replayed { status, body } => {
            // The first answer is stored as it was built, before redaction.
            let body = match serde_json::from_str::<FireResponse>(&body) {
                Ok(first) if !auth.caller.sees_secrets() => serde_json::to_string(&auth.shown(first)).unwrap_or(body),
                _ => body,
            };
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                .content_type("application/json")
                .insert_header(("Idempotent-Replayed", "true"))
                .body(body)
        }
    })
}
