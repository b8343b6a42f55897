//! `/metrics` in Prometheus text: requests by route and status, a latency
//! histogram, and the database pool's use.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{get, web, HttpResponse};
use prometheus_client::encoding::text::encode;

use super::error::ApiError;
use super::server_metrics::QueueLabels;
use super::state::AppState;

/// Middleware counting every request under its route pattern (not its path, so
/// that slugs do not explode the number of series).
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<AppState>>().map(|s| s.metrics.clone());
    let response = next.call(req).await?;
    if let Some(metrics) = metrics {
        let request = response.request();
        let route = request.match_pattern().unwrap_or_else(|| "unmatched".into());
        let (status, elapsed) = (response.status().as_u16(), started.elapsed());
        // The route pattern, never the path or query: those may carry keys.
        tracing::debug!(method = %request.method(), route = %route, status, ms = elapsed.as_millis() as u64, "request");
        metrics.observe(request.method().as_str(), &route, status, elapsed.as_secs_f64());
    }
    Ok(response)
}

/// Prometheus metrics.
#[utoipa::path(
    tag = "system",
    operation_id = "get_metrics",
    security(()),
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn prometheus_metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let status = state.store.pool_status();
    let as_gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    state.metrics.pool_size.set(as_gauge(status.size));
    state.metrics.pool_available.set(as_gauge(status.available));
    state.metrics.pool_max.set(as_gauge(status.max_size));
    match state.store.read(crate::store::deliveries::queue_depth).await {
        Ok((depth, oldest)) => {
            state.metrics.queue.clear();
            for (status, medium, n) in depth {
                state.metrics.queue.get_or_create(&QueueLabels { status, medium }).set(n);
            }
            let age = oldest.map(|t| (crate::store::now() - t).as_seconds_f64().max(0.0)).unwrap_or(0.0);
            state.metrics.oldest_due.set(age);
        }
        Err(e) => tracing::warn!(error = %e, "reading the queue for metrics failed"),
    }
    let mut body = String::new();
    encode(&mut body, &state.metrics.registry).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(body))
}
