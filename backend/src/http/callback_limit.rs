//! How many unverified provider callbacks one source may make us store.
//!
//! Provider callbacks come without our credentials, so anyone can send them.
//! Those that verify (a provider signature, or our signed reference) are
//! never limited: a broadcast's ten thousand receipts must all land. The
//! others (bad signatures, made-up references, unreadable bodies, receipts
//! that match nothing) each take a token from their source's bucket
//! (`callbacks.unverified_per_minute`, `callbacks.unverified_burst`); once it
//! is empty they are no longer stored, so a flood cannot fill the database.
//!
//! IPv6 sources are counted per /64: one host usually holds a whole /64, and
//! counting single addresses would let it take a new bucket per request.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::settings::CallbackSettings;

/// Checks between two sweeps of buckets that have refilled.
const SWEEP_EVERY: u32 = 1024;

/// Token buckets per source address, for callbacks that did not verify.
pub struct CallbackLimiter<C: Clock = DefaultClock> {
    buckets: RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, C, NoOpMiddleware<C::Instant>>,
    checks: AtomicU32,
}

impl CallbackLimiter {
    pub fn new(settings: &CallbackSettings) -> Self {
        Self::with_clock(settings, DefaultClock::default())
    }
}

impl<C: Clock> CallbackLimiter<C> {
    /// A limiter on `clock` (tests drive a fake one).
    pub fn with_clock(settings: &CallbackSettings, clock: C) -> Self {
        let rate = NonZeroU32::new(settings.unverified_per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.unverified_burst).unwrap_or(rate);
        let quota = Quota::per_minute(rate).allow_burst(burst);
        Self { buckets: RateLimiter::hashmap_with_clock(quota, clock), checks: AtomicU32::new(0) }
    }

    /// Takes a token for one unverified callback from `source`; false when
    /// its bucket is empty (the callback must not be stored).
    pub fn allow(&self, source: IpAddr) -> bool {
        // Buckets that have refilled hold nothing worth keeping: drop them now
        // and then, so the map stays as small as the set of recent senders.
        if self.checks.fetch_add(1, Ordering::Relaxed).is_multiple_of(SWEEP_EVERY) {
            self.buckets.retain_recent();
        }
        self.buckets.check_key(&bucket_of(source)).is_ok()
    }
}

/// The bucket an address counts against: itself for IPv4, its /64 for IPv6
/// (an IPv4-mapped IPv6 address counts as the IPv4 address).
fn bucket_of(source: IpAddr) -> IpAddr {
    match source {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn limiter(per_minute: u32, burst: u32) -> (CallbackLimiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        let settings =
            CallbackSettings { unverified_per_minute: per_minute, unverified_burst: burst, retention_days: 30 };
        (CallbackLimiter::with_clock(&settings, clock.clone()), clock)
    }

    #[test]
    fn a_source_gets_its_burst_then_waits_for_the_rate() {
        let (limiter, clock) = limiter(60, 3);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        assert!((0..3).all(|_| limiter.allow(ip)));
        assert!(!limiter.allow(ip));
        // 60 per minute: one more each second.
        clock.advance(Duration::from_secs(1));
        assert!(limiter.allow(ip));
        assert!(!limiter.allow(ip));
    }

    #[test]
    fn sources_have_buckets_of_their_own() {
        let (limiter, _) = limiter(1, 1);
        assert!(limiter.allow("192.0.2.1".parse().unwrap()));
        assert!(!limiter.allow("192.0.2.1".parse().unwrap()));
        assert!(limiter.allow("192.0.2.2".parse().unwrap()));
    }

    #[test]
    fn an_ipv6_host_counts_as_its_slash_64() {
        let (limiter, _) = limiter(1, 1);
        assert!(limiter.allow("2001:db8:1:2::1".parse().unwrap()));
        assert!(!limiter.allow("2001:db8:1:2:ffff::9".parse().unwrap()));
        assert!(limiter.allow("2001:db8:1:3::1".parse().unwrap()));
        assert_eq!(bucket_of("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7".parse::<IpAddr>().unwrap());
    }
}
