//! `/metrics` in Prometheus text: requests by route and status, a latency
//! histogram, and the database pool's use.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{get, web, HttpResponse};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::error::ApiError;
use super::state::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// The server's metrics; cheap to clone (shared inside).
#[derive(Clone)]
pub struct Metrics {
    registry: std::sync::Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    pool_size: Gauge,
    pool_available: Gauge,
    pool_max: Gauge,
    queue: Family<QueueLabels, Gauge>,
    oldest_due: Gauge<f64, std::sync::atomic::AtomicU64>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    status: String,
    medium: String,
}

impl Metrics {
    /// The server's metrics, including the dispatcher's.
    pub fn new(delivery: &crate::delivery::metrics::DeliveryMetrics) -> Self {
        let mut registry = Registry::with_prefix("tocsin");
        delivery.register(&mut registry);
        let queue = Family::<QueueLabels, Gauge>::default();
        let oldest_due = Gauge::<f64, std::sync::atomic::AtomicU64>::default();
        registry.register("deliveries", "Deliveries not yet final, by status and medium", queue.clone());
        registry.register(
            "queue_oldest_due_seconds",
            "How long the oldest due queued delivery has waited",
            oldest_due.clone(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: HistogramFamily = Family::new_with_constructor(latency_histogram);
        let (pool_size, pool_available, pool_max) = (Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("http_requests", "HTTP requests by method, route and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route", latency.clone());
        registry.register("db_pool_connections", "Database connections open", pool_size.clone());
        registry.register("db_pool_idle", "Database connections open and idle", pool_available.clone());
        registry.register("db_pool_max", "Database connections allowed", pool_max.clone());
        Self {
            registry: std::sync::Arc::new(registry),
            requests,
            latency,
            pool_size,
            pool_available,
            pool_max,
            queue,
            oldest_due,
        }
    }
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.latency.get_or_create(&RouteLabels { method: method.clone(), route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }
}

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
