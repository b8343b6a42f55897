//! `/api/v1/schedules`: duty schedules, and when they are on duty.

use actix_web::web::{Data, Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpResponse};
use chrono::{Duration, Utc};
use tocsin_types::{
    DutyRange, DutySpan, ErrorBody, ListQuery, NewSchedule, Page, Schedule, ScheduleDuty, ScheduleUpdate,
};

use crate::directory;
use crate::domain::inputs::schedules::{ScheduleDraft, SchedulePatch};
use crate::domain::ValidationError;
use crate::store::schedules;

use super::auth::{Authorized, DirectoryWrite, Read};
use super::error::ApiError;
use super::state::AppState;

/// A week and a bit covers the week grid; three months covers planning.
const DUTY_RANGE_MAX_DAYS: i64 = 92;

/// List schedules.
#[utoipa::path(
    tag = "schedules", operation_id = "list_schedules", params(ListQuery),
    security(("bearer" = ["read"])),
    responses((status = 200, description = "A page of schedules", body = Page<Schedule>))
)]
#[get("/schedules")]
pub async fn list_schedules(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    query: Query<ListQuery>,
) -> Result<Json<Page<Schedule>>, ApiError> {
    let query = query.into_inner();
    Ok(Json(state.store.read(move |c| schedules::list(c, &query)).await?))
}

/// Create a schedule.
///
/// Windows use OpenNMS's notation (`MoTuWeThFr0900-1700`, 3- or 4-digit
/// times, both ends included, a start after the end runs overnight); a bad
/// one is a 422 naming the window and the position.
#[utoipa::path(
    tag = "schedules", operation_id = "create_schedule", request_body = NewSchedule,
    security(("bearer" = ["admin"])),
    responses(
        (status = 201, description = "Created", body = Schedule),
        (status = 409, description = "The slug is taken", body = ErrorBody),
    )
)]
#[post("/schedules")]
pub async fn create_schedule(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    body: Json<NewSchedule>,
) -> Result<HttpResponse, ApiError> {
    let draft = ScheduleDraft::parse(body.into_inner())?;
    let schedule = directory::schedules::create(&state.store, auth.actor(), draft).await?;
    Ok(HttpResponse::Created().json(schedule))
}

/// Get a schedule.
#[utoipa::path(
    tag = "schedules", operation_id = "get_schedule",
    params(("slug" = String, Path, description = "Schedule slug (any case)")),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "The schedule", body = Schedule),
        (status = 404, description = "No such schedule", body = ErrorBody),
    )
)]
#[get("/schedules/{slug}")]
pub async fn get_schedule(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<Json<Schedule>, ApiError> {
    let slug = slug.into_inner();
    Ok(Json(state.store.read(move |c| schedules::get(c, &slug).map(|r| r.to_dto())).await?))
}

/// Update a schedule.
///
/// Only the fields present change; `windows` and `exceptions` are replaced
/// whole.
#[utoipa::path(
    tag = "schedules", operation_id = "update_schedule", request_body = ScheduleUpdate,
    params(("slug" = String, Path, description = "Schedule slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "Updated", body = Schedule),
        (status = 404, description = "No such schedule", body = ErrorBody),
        (status = 409, description = "The new slug is taken", body = ErrorBody),
    )
)]
#[patch("/schedules/{slug}")]
pub async fn update_schedule(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
    body: Json<ScheduleUpdate>,
) -> Result<Json<Schedule>, ApiError> {
    let patch = SchedulePatch::parse(body.into_inner())?;
    Ok(Json(directory::schedules::update(&state.store, auth.actor(), slug.into_inner(), patch).await?))
}

/// Delete a schedule.
///
/// Refused while a contact or group uses it: the 409 lists them in
/// `details.used_by`.
#[utoipa::path(
    tag = "schedules", operation_id = "delete_schedule",
    params(("slug" = String, Path, description = "Schedule slug (any case)")),
    security(("bearer" = ["admin"])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such schedule", body = ErrorBody),
        (status = 409, description = "Still used", body = ErrorBody),
    )
)]
#[delete("/schedules/{slug}")]
pub async fn delete_schedule(
    auth: Authorized<DirectoryWrite>,
    state: Data<AppState>,
    slug: Path<String>,
) -> Result<HttpResponse, ApiError> {
    directory::schedules::delete(&state.store, auth.actor(), slug.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// When a schedule is on duty.
///
/// The stretches of duty between `from` and `to`, in UTC, with the
/// schedule's clock changes and exceptions applied.
#[utoipa::path(
    tag = "schedules", operation_id = "get_schedule_duty", params(("slug" = String, Path, description = "Schedule slug (any case)"), DutyRange),
    security(("bearer" = ["read"])),
    responses(
        (status = 200, description = "Duty in the range", body = ScheduleDuty),
        (status = 404, description = "No such schedule", body = ErrorBody),
    )
)]
#[get("/schedules/{slug}/duty")]
pub async fn get_schedule_duty(
    _auth: Authorized<Read>,
    state: Data<AppState>,
    slug: Path<String>,
    query: Query<DutyRange>,
) -> Result<Json<ScheduleDuty>, ApiError> {
    let from = query.from.unwrap_or_else(Utc::now);
    let to = query.to.unwrap_or(from + Duration::days(7));
    if to <= from {
        return Err(ValidationError::new("to", "must be after from").into());
    }
    if to - from > Duration::days(DUTY_RANGE_MAX_DAYS) {
        return Err(ValidationError::new("to", format!("at most {DUTY_RANGE_MAX_DAYS} days after from")).into());
    }
    let slug = slug.into_inner();
    let row = state.store.read(move |c| schedules::get(c, &slug)).await?;
    let schedule = row.evaluable();
    let spans = schedule.duty(from, to).into_iter().map(|s| DutySpan { from: s.from, to: s.to }).collect();
    Ok(Json(ScheduleDuty {
        schedule: row.slug,
        from,
        to,
        on_duty_at_from: schedule.on_duty(from),
        spans,
        next_on_duty: schedule.next_on_duty(from),
    }))
}
