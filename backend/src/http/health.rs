//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{get, web, HttpResponse};
use diesel::RunQueryDsl;

use super::state::AppState;

/// Liveness: the process answers.
#[utoipa::path(tag = "system", operation_id = "get_healthz", security(()), responses((status = 200, description = "Alive", body = String, example = "ok")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// Readiness: the database answers a query.
///
/// The body is `ready`, followed by a line per thing the operator should
/// know (e.g. that `TOCSIN_PUBLIC_URL` is not set, so no callback URL or link
/// is handed out).
#[utoipa::path(
    tag = "system",
    operation_id = "get_readyz",
    security(()),
    responses(
        (status = 200, description = "Ready", body = String, example = "ready"),
        (status = 503, description = "The database is unreachable", body = String)
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let probe = state.store.read(|c| Ok(diesel::sql_query("SELECT 1").execute(c)?)).await;
    match probe {
        Ok(_) => {
            let mut body = String::from("ready");
            if state.settings.public_url().is_none() {
                body.push_str(
                    "\nnote: TOCSIN_PUBLIC_URL is not set: providers get no callback URL and no links are handed out",
                );
            }
            HttpResponse::Ok().content_type("text/plain").body(body)
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness probe failed");
            HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unreachable")
        }
    }
}
