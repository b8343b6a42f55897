//! When to try again: exponential backoff with "equal jitter" (half the delay
//! fixed, half random), capped, until the medium's maximum age.

use std::time::Duration;

/// Backoff settings of one medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay before the second attempt (before jitter).
    pub base: Duration,
    /// Longest delay between two attempts.
    pub max: Duration,
    /// After this long since the delivery was queued, it is `expired` instead of retried.
    pub max_age: Duration,
}

impl RetryPolicy {
    /// The delay after `attempts` failed attempts (1 = the first failed), given a
    /// random `jitter` in `[0, 1)`: half fixed, half random, so that retries of
    /// many deliveries that failed together spread out without ever being immediate.
    pub fn delay(&self, attempts: i32, jitter: f64) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let raw = self.base.saturating_mul(2u32.saturating_pow(exponent)).min(self.max);
        let half = raw / 2;
        half + half.mul_f64(jitter.clamp(0.0, 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy { base: Duration::from_secs(1), max: Duration::from_secs(60), max_age: Duration::from_secs(3600) }
    }

    #[test]
    fn delays_double_per_attempt_within_their_jitter_band() {
        let p = policy();
        assert_eq!(p.delay(1, 0.0), Duration::from_millis(500));
        assert_eq!(p.delay(1, 1.0), Duration::from_secs(1));
        assert_eq!(p.delay(3, 0.0), Duration::from_secs(2));
        assert_eq!(p.delay(3, 1.0), Duration::from_secs(4));
    }

    #[test]
    fn delays_are_capped_and_never_overflow() {
        let p = policy();
        assert_eq!(p.delay(20, 1.0), Duration::from_secs(60));
        assert_eq!(p.delay(i32::MAX, 1.0), Duration::from_secs(60));
        assert_eq!(p.delay(0, 1.0), Duration::from_secs(1));
    }
}
