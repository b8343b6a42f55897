//! Refuses logins for a while after too many failures for one username or from
//! one address, so that passwords cannot be guessed at speed.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Failure counts per key (`user:<name>`, `addr:<ip>`), with the time of the first
/// failure of the current window.
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    lockout: Duration,
    entries: HashMap<String, Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    since: Instant,
}

impl LoginThrottle {
    /// After `max_failures` failures within `lockout`, the key is refused until
    /// `lockout` has passed since the first of them.
    pub fn new(max_failures: u32, lockout: Duration) -> Self {
        Self { max_failures: max_failures.max(1), lockout, entries: HashMap::new() }
    }

    /// How long until any of `keys` may try again, if one is locked out.
    pub fn retry_after(&mut self, keys: &[String], now: Instant) -> Option<Duration> {
        self.forget_expired(now);
        keys.iter()
            .filter_map(|k| self.entries.get(k))
            .filter(|e| e.failures >= self.max_failures)
            .map(|e| self.lockout.saturating_sub(now.duration_since(e.since)))
            .max()
    }

    /// Counts a failed login against every key.
    pub fn record_failure(&mut self, keys: &[String], now: Instant) {
        self.forget_expired(now);
        for key in keys {
            self.entries.entry(key.clone()).or_insert(Entry { failures: 0, since: now }).failures += 1;
        }
    }

    /// A successful login clears the username's count (not the address's: one
    /// good password must not reset a guesser trying many accounts).
    pub fn record_success(&mut self, user_key: &str) {
        self.entries.remove(user_key);
    }

    fn forget_expired(&mut self, now: Instant) {
        let lockout = self.lockout;
        self.entries.retain(|_, e| now.duration_since(e.since) < lockout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<String> {
        vec!["user:ana".into(), "addr:127.0.0.1".into()]
    }

    #[test]
    fn locks_out_after_the_configured_number_of_failures() {
        let mut t = LoginThrottle::new(3, Duration::from_secs(60));
        let start = Instant::now();
        for _ in 0..2 {
            t.record_failure(&keys(), start);
            assert_eq!(t.retry_after(&keys(), start), None);
        }
        t.record_failure(&keys(), start);
        assert_eq!(t.retry_after(&keys(), start + Duration::from_secs(10)), Some(Duration::from_secs(50)));
    }

    #[test]
    fn the_lockout_ends_after_its_duration() {
        let mut t = LoginThrottle::new(1, Duration::from_secs(60));
        let start = Instant::now();
        t.record_failure(&keys(), start);
        assert!(t.retry_after(&keys(), start).is_some());
        assert_eq!(t.retry_after(&keys(), start + Duration::from_secs(61)), None);
    }

    #[test]
    fn an_address_is_locked_out_across_usernames() {
        let mut t = LoginThrottle::new(2, Duration::from_secs(60));
        let now = Instant::now();
        t.record_failure(&["user:a".into(), "addr:1.2.3.4".into()], now);
        t.record_failure(&["user:b".into(), "addr:1.2.3.4".into()], now);
        assert!(t.retry_after(&["user:c".into(), "addr:1.2.3.4".into()], now).is_some());
        assert!(t.retry_after(&["user:c".into(), "addr:5.6.7.8".into()], now).is_none());
    }

    #[test]
    fn success_clears_the_username_only() {
        let mut t = LoginThrottle::new(1, Duration::from_secs(60));
        let now = Instant::now();
        t.record_failure(&keys(), now);
        t.record_success("user:ana");
        assert!(t.retry_after(&["user:ana".into()], now).is_none());
        assert!(t.retry_after(&["addr:127.0.0.1".into()], now).is_some());
    }
}
