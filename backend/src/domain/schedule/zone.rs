//! Time zone questions the schedules ask, answered from the IANA database
//! that `chrono-tz` carries, never by offset arithmetic of our own.

use chrono::{DateTime, Duration, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::ValidationError;

/// An IANA zone name, exactly as the database spells it (`Europe/Paris`,
/// `UTC`).
pub fn parse_zone(field: &str, raw: &str) -> Result<Tz, ValidationError> {
    raw.parse::<Tz>().map_err(|_| {
        ValidationError::new(field, format!("unknown time zone {raw:?}: use an IANA name such as Europe/Paris or UTC"))
    })
}

/// The instants at which the clocks of `zone` show `local`: one, two when
/// the clocks go back over it, none when they skip it.
pub fn instants(zone: &Tz, local: NaiveDateTime) -> Vec<DateTime<Utc>> {
    use chrono::LocalResult;
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => vec![at.with_timezone(&Utc)],
        LocalResult::Ambiguous(a, b) => vec![a.with_timezone(&Utc), b.with_timezone(&Utc)],
        LocalResult::None => Vec::new(),
    }
}

/// The instants in `[from, to]` at which the zone's offset changes.
pub fn transitions(zone: &Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    // Zones change offset months apart, never twice within an hour, so an
    // hourly sample finds every change and a bisection pins it to the second.
    let offset = |at: DateTime<Utc>| zone.offset_from_utc_datetime(&at.naive_utc()).fix();
    let step = Duration::hours(1);
    let mut found = Vec::new();
    let mut at = from;
    let mut before = offset(at);
    while at < to {
        let next = (at + step).min(to);
        let after = offset(next);
        if after != before {
            // Offsets change on whole seconds: bisect over those.
            let (mut lo, mut hi) = (at.timestamp(), next.timestamp() + 1);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let Some(mid_at) = DateTime::from_timestamp(mid, 0) else { break };
                if offset(mid_at) == before {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            found.push(hi);
        }
        before = after;
        at = next;
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn utc(raw: &str) -> DateTime<Utc> {
        raw.parse().unwrap()
    }

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(parse_zone("timezone", "Europe/Paris").unwrap(), chrono_tz::Europe::Paris);
        assert!(parse_zone("timezone", "UTC").is_ok());
        let err = parse_zone("timezone", "Mars/Olympus").unwrap_err();
        assert_eq!(err.field, "timezone");
        assert!(err.message.contains("Mars/Olympus"));
        assert!(parse_zone("timezone", "+02:00").is_err());
    }

    #[test]
    fn finds_the_changes_of_2026_in_london() {
        let found = transitions(&chrono_tz::Europe::London, utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"));
        assert_eq!(found, vec![utc("2026-03-29T01:00:00Z"), utc("2026-10-25T01:00:00Z")]);
    }

    #[test]
    fn skipped_and_repeated_local_times() {
        let london = chrono_tz::Europe::London;
        let at = |raw: &str| raw.parse::<NaiveDateTime>().unwrap();
        assert!(instants(&london, at("2026-03-29T01:30:00")).is_empty());
        assert_eq!(
            instants(&london, at("2026-10-25T01:30:00")),
            vec![utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:30:00Z")]
        );
    }
}
