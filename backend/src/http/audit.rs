//! `/api/v1/audit`: who changed what, when.

use actix_web::get;
use actix_web::web::{Data, Json, Query};
use tocsin_types::{AuditEntry, AuditQuery, Page};

use crate::store::audit;

use super::auth::{Admin, Authorized};
use super::error::ApiError;
use super::state::AppState;

/// Read the audit log.
///
/// Newest first.
#[utoipa::path(
    tag = "audit", operation_id = "list_audit_entries", params(AuditQuery),
    security(("bearer" = ["admin"])),
    responses((status = 200, description = "A page of entries", body = Page<AuditEntry>))
)]
#[get("/audit")]
pub async fn list_audit_entries(
    _auth: Authorized<Admin>,
    state: Data<AppState>,
    query: Query<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let query = query.into_inner();
    Ok(Json(state.store.read(move |c| audit::list(c, &query)).await?))
}
