//! What the dispatcher counts, for `/metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AttemptLabels {
    pub medium: String,
    /// `delivered`, `sent`, `retry`, `failed`.
    pub outcome: String,
}

/// Counters and histograms of sending; cheap to clone (shared inside).
#[derive(Clone, Debug)]
pub struct DeliveryMetrics {
    pub attempts: Family<AttemptLabels, Counter>,
    /// From acceptance to the first try's answer.
    pub accept_to_outcome: Histogram,
}

impl Default for DeliveryMetrics {
    fn default() -> Self {
        // 0.5 ms to about 16 s.
        Self { attempts: Family::default(), accept_to_outcome: Histogram::new(exponential_buckets(0.0005, 2.0, 16)) }
    }
}

impl DeliveryMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register("delivery_attempts", "Delivery attempts by medium and outcome", self.attempts.clone());
        registry.register(
            "delivery_first_attempt_seconds",
            "Time from accepting a fire to the first attempt's outcome",
            self.accept_to_outcome.clone(),
        );
    }
}
