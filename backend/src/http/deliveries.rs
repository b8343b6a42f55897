//! Single deliveries: replaying a failed one, testing a destination.

use actix_web::web::{Data, Path};
use actix_web::{post, HttpResponse};
use tocsin_types::{ErrorBody, FireResponse};

use crate::delivery::intake;

use super::auth::{Authorized, DirectoryWrite, Send};
use super::error::ApiError;
use super::state::AppState;

/// Replay a failed delivery.
///
/// Sends it again as a new delivery (`replay_of` points at the old one, which
/// keeps its final state). Only failed or expired deliveries can be replayed.
#[utoipa::path(
    tag = "notifications", operation_id = "replay_delivery", params(("id" = i64, Path, description = "Delivery id")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "Replayed: the notification holding the new delivery", body = FireResponse),
        (status = 404, description = "No such delivery", body = ErrorBody),
        (status = 409, description = "The delivery is not failed or expired", body = ErrorBody),
    )
)]
#[post("/deliveries/{id}/replay")]
pub async fn replay_delivery(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let (notification_id, _) = intake::replay(&state.store, &state.dispatcher, id.into_inner(), auth.actor()).await?;
    Ok(HttpResponse::Created().json(FireResponse { notification_id, deliveries: 1, skipped: vec![], attached: false }))
}

/// Send a test message to a destination.
///
/// A notification with one delivery to this destination, enabled or not; follow
/// it with `GET /api/v1/notifications/{id}`.
#[utoipa::path(
    tag = "destinations", operation_id = "test_destination", params(("id" = i64, Path, description = "Destination id")),
    security(("bearer" = ["send"])),
    responses(
        (status = 201, description = "Sent: the test notification", body = FireResponse),
        (status = 404, description = "No such destination", body = ErrorBody),
    )
)]
#[post("/destinations/{id}/test")]
pub async fn test_destination(
    auth: Authorized<Send>,
    state: Data<AppState>,
    id: Path<i64>,
) -> Result<HttpResponse, ApiError> {
    let response = intake::test_destination(&state.store, &state.dispatcher, id.into_inner(), auth.actor()).await?;
    Ok(HttpResponse::Created().json(response))
}
