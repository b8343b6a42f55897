//! The server's metric families, in one registry: what the HTTP layer and the
//! dispatcher count, and the gauges `/metrics` fills when it is read. Kept
//! apart from the handlers so that the application state can hold it without
//! importing them.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

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
    pub(super) registry: std::sync::Arc<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    pub(super) pool_size: Gauge,
    pub(super) pool_available: Gauge,
    pub(super) pool_max: Gauge,
    pub(super) queue: Family<QueueLabels, Gauge>,
    pub(super) oldest_due: Gauge<f64, std::sync::atomic::AtomicU64>,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct QueueLabels {
    pub(super) status: String,
    pub(super) medium: String,
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
    pub(super) fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.latency.get_or_create(&RouteLabels { method: method.clone(), route: route.clone() }).observe(seconds);
        self.requests.get_or_create(&RequestLabels { method, route, status }).inc();
    }
}
