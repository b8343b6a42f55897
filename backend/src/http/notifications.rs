//! `/api/v1/notifications`: what was fired, who it reached, and acknowledging it.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{get, post};
use tocsin_types::{ErrorBody, Notification, NotificationQuery, Page};

use crate::domain::audit::{Actor, AuditAction};
use crate::domain::lifecycle::NotificationState;
use crate::domain::ValidationError;
use crate::store::{audit, notifications};

use super::auth::{Authorized, Read, Send};
use super::error::ApiError;
use super::state::AppState;

/// List notifications.
///
/// Newest first, with delivery counts per status.
#[utoipa::path(
    tag = "notifications", operation_id = "list_notifications", params(NotificationQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "A page of notifications", body = Page<Notification>))
)]
#[get("/notifications")]
pub async fn list_notifications(
    auth: Authorized<Read>,
    state: Data<AppState>,
    query: Query<NotificationQuery>,
) -> Result<Json<Page<Notification>>, ApiError> {
    let query = query.into_inner();
    if let Some(s) = &query.state {
        if NotificationState::parse(s).is_none() {
            return Err(ValidationError::new("state", "must be open, acknowledged or resolved").into());
        }
    }
    Ok(Json(auth.shown(state.store.read(move |c| notifications::list(c, &query)).await?)))
}

/// Get a notification.
///
/// With every delivery (who, through which path, over which channel) and its
/// timeline, and every skipped contact with the reason.
#[utoipa::path(
    tag = "notifications", operation_id = "get_notification", params(("id" = String, Path, description = "Notification id (32 hex)")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The notification", body = Notification),
        (status = 404, description = "No such notification", body = ErrorBody),
    )
)]
#[get("/notifications/{id}")]
pub async fn get_notification(
    auth: Authorized<Read>,
    state: Data<AppState>,
    id: Path<String>,
) -> Result<Json<Notification>, ApiError> {
    let id = id.into_inner().to_ascii_lowercase();
    let n = state.store.read(move |c| notifications::get(c, &id).and_then(|n| notifications::load(c, n))).await?;
    Ok(Json(auth.shown(n)))
}

/// Acknowledge a notification.
///
/// Records who and when, and cancels its deliveries that are still queued (so
/// escalation stops). Acknowledging twice changes nothing.
#[utoipa::path(
    tag = "notifications", operation_id = "acknowledge_notification", params(("id" = String, Path, description = "Notification id (32 hex)")),
    security(("bearer" = ["send"])),
    responses(
        (status = 200, description = "The acknowledged notification", body = Notification),
        (status = 404, description = "No such notification", body = ErrorBody),
    )
)]
#[post("/notifications/{id}/acknowledge")]
pub async fn acknowledge_notification(
    auth: Authorized<Send>,
    state: Data<AppState>,
    id: Path<String>,
) -> Result<Json<Notification>, ApiError> {
    Ok(Json(auth.shown(transition(&state, id.into_inner(), NotificationState::Acknowledged, auth.actor()).await?)))
}

/// Resolve a notification.
///
/// The problem is over: cancels what is still queued. Resolving twice changes nothing.
#[utoipa::path(
    tag = "notifications", operation_id = "resolve_notification", params(("id" = String, Path, description = "Notification id (32 hex)")),
    security(("bearer" = ["send"])),
    responses(
        (status = 200, description = "The resolved notification", body = Notification),
        (status = 404, description = "No such notification", body = ErrorBody),
    )
)]
#[post("/notifications/{id}/resolve")]
pub async fn resolve_notification(
    auth: Authorized<Send>,
    state: Data<AppState>,
    id: Path<String>,
) -> Result<Json<Notification>, ApiError> {
    Ok(Json(auth.shown(transition(&state, id.into_inner(), NotificationState::Resolved, auth.actor()).await?)))
}

async fn transition(
    state: &AppState,
    id: String,
    to: NotificationState,
    actor: Actor,
) -> Result<Notification, ApiError> {
    let id = id.to_ascii_lowercase();
    Ok(state
        .store
        .write(move |c| {
            let row = notifications::get(c, &id)?;
            if notifications::transition(c, &row, to, actor.as_str())? {
                let action = match to {
                    NotificationState::Resolved => AuditAction::NotificationResolve,
                    _ => AuditAction::NotificationAcknowledge,
                };
                audit::record(c, &actor, action, &id, serde_json::json!({}))?;
            }
            let row = notifications::get(c, &id)?;
            notifications::load(c, row)
        })
        .await?)
}
