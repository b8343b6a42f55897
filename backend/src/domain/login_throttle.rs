//! Refuses logins that come too fast, so that passwords cannot be guessed at
//! speed and a burst cannot take the machine's memory.
//!
//! Two rules, both decided before any password is hashed:
//!
//! - **Failures** count per (username, address) and per address. After
//!   `max_failures` within `lockout` the key is refused until `lockout` has
//!   passed since the first of them. There is no count per username alone: a
//!   stranger failing as `admin` locks out only their own address, and the
//!   right password from an address that is not throttled always works.
//! - **Checks in flight**: at most `per_key` password checks at once per
//!   address and per (username, address), and at most `global` in all (the
//!   number of cores: argon2 takes tens of megabytes and milliseconds of CPU
//!   per check). An attempt beyond that is refused at once, never queued.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The keys an attempt counts under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginKeys {
    /// `addr:<ip>`
    address: String,
    /// `pair:<username>|<ip>`
    pair: String,
}

impl LoginKeys {
    pub fn new(username: &str, address: Option<IpAddr>) -> Self {
        let address = address.map(|ip| ip.to_string()).unwrap_or_default();
        Self { pair: format!("pair:{}|{address}", username.to_lowercase()), address: format!("addr:{address}") }
    }

    fn both(&self) -> [&str; 2] {
        [&self.address, &self.pair]
    }
}

/// Why an attempt is refused before its password is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures: try again after this long.
    LockedOut(Duration),
    /// Too many checks in flight: try again in a moment.
    Busy,
}

/// Failure counts and checks in flight.
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    lockout: Duration,
    per_key: usize,
    global: usize,
    failures: HashMap<String, Entry>,
    in_flight: HashMap<String, usize>,
    in_flight_total: usize,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    since: Instant,
}

impl LoginThrottle {
    /// After `max_failures` failures within `lockout`, the key is refused until
    /// `lockout` has passed since the first of them; at most `per_key` checks
    /// in flight per key and `global` in all.
    pub fn new(max_failures: u32, lockout: Duration, per_key: usize, global: usize) -> Self {
        Self {
            max_failures: max_failures.max(1),
            lockout,
            per_key: per_key.max(1),
            global: global.max(1),
            failures: HashMap::new(),
            in_flight: HashMap::new(),
            in_flight_total: 0,
        }
    }

    /// Starts a password check for `keys`, or says why not. Every `Ok` must
    /// be followed by [`finish`](Self::finish) with the same keys.
    pub fn begin(&mut self, keys: &LoginKeys, now: Instant) -> Result<(), Refusal> {
        self.forget_expired(now);
        let locked = keys
            .both()
            .iter()
            .filter_map(|k| self.failures.get(*k))
            .filter(|e| e.failures >= self.max_failures)
            .map(|e| self.lockout.saturating_sub(now.duration_since(e.since)))
            .max();
        if let Some(wait) = locked {
            return Err(Refusal::LockedOut(wait));
        }
        let busy = self.in_flight_total >= self.global
            || keys.both().iter().any(|k| self.in_flight.get(*k).copied().unwrap_or(0) >= self.per_key);
        if busy {
            return Err(Refusal::Busy);
        }
        for key in keys.both() {
            *self.in_flight.entry(key.to_owned()).or_insert(0) += 1;
        }
        self.in_flight_total += 1;
        Ok(())
    }

    /// Ends a check started by [`begin`](Self::begin), counting its result.
    pub fn finish(&mut self, keys: &LoginKeys, succeeded: bool, now: Instant) {
        self.leave(keys);
        if succeeded {
            // Clears the pair's count, not the address's: one good password
            // must not reset a guesser trying many accounts from there.
            self.failures.remove(&keys.pair);
        } else {
            for key in keys.both() {
                self.failures.entry(key.to_owned()).or_insert(Entry { failures: 0, since: now }).failures += 1;
            }
        }
    }

    /// Ends a check that never got its result (the request was dropped).
    pub fn abandon(&mut self, keys: &LoginKeys) {
        self.leave(keys);
    }

    fn leave(&mut self, keys: &LoginKeys) {
        for key in keys.both() {
            if let Some(n) = self.in_flight.get_mut(key) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.in_flight.remove(key);
                }
            }
        }
        self.in_flight_total = self.in_flight_total.saturating_sub(1);
    }

    fn forget_expired(&mut self, now: Instant) {
        let lockout = self.lockout;
        self.failures.retain(|_, e| now.duration_since(e.since) < lockout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(user: &str, addr: &str) -> LoginKeys {
        LoginKeys::new(user, addr.parse().ok())
    }

    fn fail(t: &mut LoginThrottle, k: &LoginKeys, now: Instant) {
        assert_eq!(t.begin(k, now), Ok(()));
        t.finish(k, false, now);
    }

    #[test]
    fn locks_out_after_the_configured_number_of_failures() {
        let mut t = LoginThrottle::new(3, Duration::from_secs(60), 2, 8);
        let start = Instant::now();
        let k = keys("ana", "192.0.2.1");
        for _ in 0..3 {
            fail(&mut t, &k, start);
        }
        assert_eq!(t.begin(&k, start + Duration::from_secs(10)), Err(Refusal::LockedOut(Duration::from_secs(50))));
        // The lockout ends after its duration.
        assert_eq!(t.begin(&k, start + Duration::from_secs(61)), Ok(()));
    }

    #[test]
    fn a_stranger_cannot_lock_a_username_out_of_other_addresses() {
        let mut t = LoginThrottle::new(2, Duration::from_secs(60), 2, 8);
        let now = Instant::now();
        for _ in 0..2 {
            fail(&mut t, &keys("admin", "203.0.113.66"), now);
        }
        assert!(matches!(t.begin(&keys("admin", "203.0.113.66"), now), Err(Refusal::LockedOut(_))));
        assert_eq!(t.begin(&keys("admin", "192.0.2.10"), now), Ok(()));
    }

    #[test]
    fn an_address_is_locked_out_across_usernames() {
        let mut t = LoginThrottle::new(2, Duration::from_secs(60), 2, 8);
        let now = Instant::now();
        fail(&mut t, &keys("a", "1.2.3.4"), now);
        fail(&mut t, &keys("b", "1.2.3.4"), now);
        assert!(matches!(t.begin(&keys("c", "1.2.3.4"), now), Err(Refusal::LockedOut(_))));
        assert_eq!(t.begin(&keys("c", "5.6.7.8"), now), Ok(()));
    }

    #[test]
    fn success_clears_the_pair_only() {
        let mut t = LoginThrottle::new(2, Duration::from_secs(60), 2, 8);
        let now = Instant::now();
        fail(&mut t, &keys("ana", "1.2.3.4"), now);
        assert_eq!(t.begin(&keys("ana", "1.2.3.4"), now), Ok(()));
        t.finish(&keys("ana", "1.2.3.4"), true, now);
        // The address still carries its one failure: one more locks it.
        fail(&mut t, &keys("bob", "1.2.3.4"), now);
        assert!(matches!(t.begin(&keys("ana", "1.2.3.4"), now), Err(Refusal::LockedOut(_))));
    }

    #[test]
    fn checks_in_flight_are_capped_per_address_and_in_all() {
        let mut t = LoginThrottle::new(100, Duration::from_secs(60), 2, 3);
        let now = Instant::now();
        let (a1, a2) = (keys("x", "10.0.0.1"), keys("y", "10.0.0.1"));
        assert_eq!(t.begin(&a1, now), Ok(()));
        assert_eq!(t.begin(&a2, now), Ok(()));
        // A third from the same address waits for nobody: refused at once.
        assert_eq!(t.begin(&keys("z", "10.0.0.1"), now), Err(Refusal::Busy));
        assert_eq!(t.begin(&keys("x", "10.0.0.2"), now), Ok(()));
        // Three in all: the global cap.
        assert_eq!(t.begin(&keys("w", "10.0.0.3"), now), Err(Refusal::Busy));
        t.finish(&a1, false, now);
        assert_eq!(t.begin(&keys("w", "10.0.0.3"), now), Ok(()));
    }
}
