//! Firing events and notifying contacts or groups, with `?dry_run=true` for the
//! plan and `Idempotency-Key` for safe retries.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Json, Path, Query};
use actix_web::{post, HttpRequest, HttpResponse};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tocsin_types::{DryRunResponse, ErrorBody, FireOutcome, FireRequest, FireResponse, NotifyRequest};
use utoipa::IntoParams;

use crate::delivery::intake::{self, Accepted, FireCommand, FireTarget, IdempotencyKey};
use crate::domain::ValidationError;

use super::auth::{Authorized, Send};
use super::error::ApiError;
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
    req: HttpRequest,
    slug: Path<String>,
    options: Query<FireOptions>,
    body: Json<FireRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    if let Some(key) = &body.dedup_key {
        if key.is_empty() || key.len() > 255 {
            return Err(ValidationError::new("dedup_key", "must be 1 to 255 characters").into());
        }
    }
    let idempotency = idempotency(&req, &auth.actor(), &serde_json::to_string(&body).unwrap_or_default())?;
    let cmd = FireCommand {
        target: FireTarget::Event(slug.into_inner()),
        args: body.args,
        dedup_key: body.dedup_key,
        message: String::new(),
        subject: String::new(),
        raised_by: auth.actor(),
        idempotency,
    };
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
    req: HttpRequest,
    slug: Path<String>,
    options: Query<FireOptions>,
    body: Json<NotifyRequest>,
) -> Result<HttpResponse, ApiError> {
    notify(auth, state, req, FireTarget::Contact(slug.into_inner()), options.dry_run, body.into_inner()).await
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
    req: HttpRequest,
    slug: Path<String>,
    options: Query<FireOptions>,
    body: Json<NotifyRequest>,
) -> Result<HttpResponse, ApiError> {
    notify(auth, state, req, FireTarget::Group(slug.into_inner()), options.dry_run, body.into_inner()).await
}

async fn notify(
    auth: Authorized<Send>,
    state: Data<AppState>,
    req: HttpRequest,
    target: FireTarget,
    dry_run: bool,
    body: NotifyRequest,
) -> Result<HttpResponse, ApiError> {
    if body.message.trim().is_empty() {
        return Err(ValidationError::new("message", "must not be empty").into());
    }
    if body.message.len() > 16 * 1024 {
        return Err(ValidationError::new("message", "must be at most 16384 bytes").into());
    }
    let idempotency = idempotency(&req, &auth.actor(), &serde_json::to_string(&body).unwrap_or_default())?;
    let cmd = FireCommand {
        target,
        args: serde_json::Map::new(),
        dedup_key: None,
        message: body.message,
        subject: body.subject.unwrap_or_default(),
        raised_by: auth.actor(),
        idempotency,
    };
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

/// The `Idempotency-Key` header, scoped to the caller, with a hash of the
/// request so that a key reused for another request is recognised.
fn idempotency(req: &HttpRequest, caller: &str, body: &str) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else { return Ok(None) };
    let key = value
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| (0x21..=0x7e).contains(&b)))
        .ok_or_else(|| ApiError::bad_request("Idempotency-Key must be 1 to 255 visible ASCII characters"))?;
    let mut hasher = Sha256::new();
    hasher.update(req.path().to_ascii_lowercase().as_bytes());
    hasher.update(b"\n");
    hasher.update(req.query_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(body.as_bytes());
    Ok(Some(IdempotencyKey {
        caller: caller.to_owned(),
        key: key.to_owned(),
        request_hash: hex::encode(hasher.finalize()),
    }))
}
