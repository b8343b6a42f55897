//! When and how long to wait before repeating a request.
//!
//! Only requests that are safe to repeat are ever repeated: reads (`GET`) and
//! fires or notifies that carry an `Idempotency-Key`, which the server answers
//! with its first answer when it sees the key again. Anything else could page
//! people twice or apply a change twice, so it fails at the first error.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// How often, and after how long, a safe request is repeated when there was no
/// answer or the server was busy (429, 502, 503, 504).
///
/// The delay doubles from `initial_delay` up to `max_delay`, each one shortened
/// by a random part of up to half so that many clients do not come back at the
/// same moment. A `Retry-After` from the server is honoured up to `max_delay`.
///
/// ```
/// use std::time::Duration;
/// use tocsin_client::RetryPolicy;
///
/// let patient = RetryPolicy {
///     max_retries: 5,
///     initial_delay: Duration::from_millis(500),
///     max_delay: Duration::from_secs(10),
/// };
/// assert_eq!(RetryPolicy::never().max_retries, 0);
/// assert_eq!(RetryPolicy::default().max_retries, 3);
/// # let _ = patient;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Repeats after the first attempt; 0 never repeats. Default 3.
    pub max_retries: u32,
    /// The wait before the first repeat. Default 200 ms.
    pub initial_delay: Duration,
    /// The longest wait between two attempts. Default 5 s.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_retries: 3, initial_delay: Duration::from_millis(200), max_delay: Duration::from_secs(5) }
    }
}

impl RetryPolicy {
    /// Never repeat a request.
    pub fn never() -> Self {
        RetryPolicy { max_retries: 0, ..RetryPolicy::default() }
    }

    /// The wait before repeat number `retry` (0 for the first repeat).
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(wait) = retry_after {
            return wait.min(self.max_delay);
        }
        let full = self.initial_delay.saturating_mul(2u32.saturating_pow(retry)).min(self.max_delay);
        full.mul_f64(1.0 - 0.5 * random_fraction())
    }
}

/// A number in [0, 1) that differs from call to call. Jitter needs no more than
/// that, and std's hasher keys avoid a random-number dependency on both targets.
fn random_fraction() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u8(0);
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// Waits without blocking the thread.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) async fn sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}

/// Waits without blocking the thread: the browser's (or worker's) `setTimeout`.
#[cfg(target_arch = "wasm32")]
pub(crate) async fn sleep(duration: Duration) {
    use wasm_bindgen::{JsCast, JsValue};

    let millis = i32::try_from(duration.as_millis()).unwrap_or(i32::MAX);
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        let global = js_sys::global();
        let set_timeout = js_sys::Reflect::get(&global, &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        let scheduled = set_timeout.map(|f| f.call2(&global, &resolve, &JsValue::from(millis)).is_ok());
        if scheduled != Some(true) {
            // Without a timer, go on at once rather than never.
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_maximum_with_at_most_half_taken_off() {
        let policy = RetryPolicy {
            max_retries: 10,
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for (retry, full) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (30, 1000)] {
            for _ in 0..50 {
                let d = policy.delay(retry, None);
                assert!(d <= Duration::from_millis(full), "retry {retry}: {d:?}");
                assert!(d >= Duration::from_millis(full / 2), "retry {retry}: {d:?}");
            }
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_maximum() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay(0, Some(Duration::from_secs(2))), Duration::from_secs(2));
        assert_eq!(policy.delay(0, Some(Duration::from_secs(600))), policy.max_delay);
    }

    #[test]
    fn the_jitter_varies() {
        let samples: std::collections::HashSet<u64> = (0..20).map(|_| random_fraction().to_bits()).collect();
        assert!(samples.len() > 1);
        assert!((0..100).map(|_| random_fraction()).all(|f| (0.0..1.0).contains(&f)));
    }
}
