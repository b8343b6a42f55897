use chrono::Weekday;
use chrono_tz::{America, Australia, Europe};
use proptest::prelude::*;

use super::*;

fn utc(raw: &str) -> DateTime<Utc> {
    raw.parse().unwrap()
}

fn schedule(zone: Tz, windows: &[&str]) -> Schedule {
    let windows = windows.iter().map(|w| Window::parse(w).unwrap()).collect();
    Schedule { zone, windows, exceptions: Vec::new() }
}

fn span(from: &str, to: &str) -> Span {
    Span { from: utc(from), to: utc(to) }
}

#[test]
fn business_hours_follow_the_local_clock_summer_and_winter() {
    let s = schedule(Europe::London, &["MoTuWeThFr0900-1700"]);
    // Monday 12 January 2026, GMT; Monday 13 July 2026, BST.
    assert_eq!(
        s.duty(utc("2026-01-12T00:00:00Z"), utc("2026-01-13T00:00:00Z")),
        vec![span("2026-01-12T09:00:00Z", "2026-01-12T17:01:00Z")]
    );
    assert_eq!(
        s.duty(utc("2026-07-13T00:00:00Z"), utc("2026-07-14T00:00:00Z")),
        vec![span("2026-07-13T08:00:00Z", "2026-07-13T16:01:00Z")]
    );
    assert!(s.on_duty(utc("2026-07-13T16:00:59Z")));
    assert!(!s.on_duty(utc("2026-07-13T16:01:00Z")));
    assert!(!s.on_duty(utc("2026-07-11T12:00:00Z")), "Saturday");
}

#[test]
fn next_on_duty_skips_the_weekend() {
    let s = schedule(Europe::Paris, &["MoTuWeThFr0900-1700"]);
    // Friday 4 December 2026 18:00 in Paris (UTC+1).
    assert_eq!(s.next_on_duty(utc("2026-12-04T17:00:00Z")), Some(utc("2026-12-07T08:00:00Z")));
    assert_eq!(s.next_on_duty(utc("2026-12-07T09:00:00Z")), Some(utc("2026-12-07T09:00:00Z")));
    assert_eq!(s.next_off_duty(utc("2026-12-07T09:00:00Z")), Some(utc("2026-12-07T16:01:00Z")));
}

#[test]
fn overnight_windows_end_the_next_morning() {
    let s = schedule(chrono_tz::UTC, &["Fr2200-0600"]);
    assert_eq!(
        s.duty(utc("2026-12-04T00:00:00Z"), utc("2026-12-06T00:00:00Z")),
        vec![span("2026-12-04T22:00:00Z", "2026-12-05T06:01:00Z")]
    );
    // Looking from Saturday 03:00, the window that began on Friday counts.
    assert!(s.on_duty(utc("2026-12-05T03:00:00Z")));
}

#[test]
fn a_window_starting_in_the_skipped_hour_starts_when_the_clocks_jump() {
    // London, Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST.
    let s = schedule(Europe::London, &["Su0130-0300"]);
    assert_eq!(
        s.duty(utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")),
        vec![span("2026-03-29T01:00:00Z", "2026-03-29T02:01:00Z")]
    );
    // Entirely inside the skipped hour: that Sunday has none of it.
    let skipped = schedule(Europe::London, &["Su0110-0150"]);
    assert!(skipped.duty(utc("2026-03-28T12:00:00Z"), utc("2026-03-29T12:00:00Z")).is_empty());
    assert_eq!(skipped.next_on_duty(utc("2026-03-28T12:00:00Z")), Some(utc("2026-04-05T00:10:00Z")));
}

#[test]
fn a_window_inside_the_repeated_hour_covers_both_passes() {
    // London, Sunday 25 October 2026: 02:00 BST becomes 01:00 GMT.
    let s = schedule(Europe::London, &["Su0115-0130"]);
    assert_eq!(
        s.duty(utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z")),
        vec![
            span("2026-10-25T00:15:00Z", "2026-10-25T00:31:00Z"),
            span("2026-10-25T01:15:00Z", "2026-10-25T01:31:00Z")
        ]
    );
}

#[test]
fn an_overnight_window_is_reentered_when_the_clocks_go_back() {
    // Saturday 23:00 to Sunday 01:30: the first 01:30 BST ends it, then the
    // clocks go back to 01:00 and it covers 01:00 to 01:30 GMT again.
    let s = schedule(Europe::London, &["Sa2300-0130"]);
    assert_eq!(
        s.duty(utc("2026-10-24T12:00:00Z"), utc("2026-10-25T12:00:00Z")),
        vec![
            span("2026-10-24T22:00:00Z", "2026-10-25T00:31:00Z"),
            span("2026-10-25T01:00:00Z", "2026-10-25T01:31:00Z")
        ]
    );
}

#[test]
fn new_york_and_sydney_change_their_clocks_too() {
    // New York, Sunday 8 March 2026: 02:00 EST becomes 03:00 EDT (07:00 UTC).
    let ny = schedule(America::New_York, &["Su0230-0400"]);
    assert_eq!(
        ny.duty(utc("2026-03-08T00:00:00Z"), utc("2026-03-09T00:00:00Z")),
        vec![span("2026-03-08T07:00:00Z", "2026-03-08T08:01:00Z")]
    );
    // Sydney, Sunday 5 April 2026: 03:00 AEDT becomes 02:00 AEST (16:00 UTC
    // on the 4th); 02:15-02:45 happens twice.
    let sydney = schedule(Australia::Sydney, &["Su0215-0245"]);
    assert_eq!(
        sydney.duty(utc("2026-04-04T00:00:00Z"), utc("2026-04-05T00:00:00Z")),
        vec![
            span("2026-04-04T15:15:00Z", "2026-04-04T15:46:00Z"),
            span("2026-04-04T16:15:00Z", "2026-04-04T16:46:00Z")
        ]
    );
}

#[test]
fn exceptions_override_the_windows_and_the_last_listed_wins() {
    let mut s = schedule(chrono_tz::UTC, &["MoTuWeThFr0900-1700"]);
    // Leave all of Monday 7 December; on duty Saturday morning instead.
    s.exceptions.push(Exception { from: utc("2026-12-07T00:00:00Z"), to: utc("2026-12-08T00:00:00Z"), on_duty: false });
    s.exceptions.push(Exception { from: utc("2026-12-12T06:00:00Z"), to: utc("2026-12-12T10:00:00Z"), on_duty: true });
    assert!(!s.on_duty(utc("2026-12-07T10:00:00Z")));
    assert!(s.on_duty(utc("2026-12-08T10:00:00Z")));
    assert!(s.on_duty(utc("2026-12-12T07:00:00Z")));
    assert_eq!(s.next_on_duty(utc("2026-12-06T00:00:00Z")), Some(utc("2026-12-08T09:00:00Z")));
    // A later exception puts Monday afternoon back on duty.
    s.exceptions.push(Exception { from: utc("2026-12-07T13:00:00Z"), to: utc("2026-12-07T14:00:00Z"), on_duty: true });
    assert_eq!(s.next_on_duty(utc("2026-12-06T00:00:00Z")), Some(utc("2026-12-07T13:00:00Z")));
}

#[test]
fn a_schedule_with_no_windows_is_never_on_duty_outside_its_exceptions() {
    let mut s = schedule(chrono_tz::UTC, &[]);
    assert_eq!(s.next_on_duty(utc("2026-12-06T00:00:00Z")), None);
    s.exceptions.push(Exception { from: utc("2027-06-01T00:00:00Z"), to: utc("2027-06-02T00:00:00Z"), on_duty: true });
    assert_eq!(s.next_on_duty(utc("2026-12-06T00:00:00Z")), Some(utc("2027-06-01T00:00:00Z")));
}

#[test]
fn always_on_duty_never_goes_off() {
    let s = schedule(Europe::London, &["MoTuWeThFrSaSu0000-2359"]);
    assert_eq!(s.next_off_duty(utc("2026-03-29T00:30:00Z")), None);
    assert_eq!(
        s.duty(utc("2026-03-28T00:00:00Z"), utc("2026-03-30T00:00:00Z")),
        vec![span("2026-03-28T00:00:00Z", "2026-03-30T00:00:00Z")]
    );
}

/// The 2026 clock changes of the zones under test, as UTC instants.
const CHANGES: [(&str, &str); 6] = [
    ("Europe/London", "2026-03-29T01:00:00Z"),
    ("Europe/London", "2026-10-25T01:00:00Z"),
    ("America/New_York", "2026-03-08T07:00:00Z"),
    ("America/New_York", "2026-11-01T06:00:00Z"),
    ("Australia/Sydney", "2026-04-04T16:00:00Z"),
    ("Australia/Sydney", "2026-10-03T16:00:00Z"),
];

fn arb_window() -> impl Strategy<Value = Window> {
    // Starts and ends near the changes (00:00 to 04:00) half the time.
    let minute = prop_oneof![0u16..240, 0u16..1440];
    (1u8..128, minute.clone(), minute).prop_map(|(days, start, end)| {
        let days: Vec<Weekday> =
            (0..7).filter(|d| days & 1 << d != 0).filter_map(|d| Weekday::try_from(d).ok()).collect();
        Window::new(&days, start, end).unwrap()
    })
}

fn arb_case() -> impl Strategy<Value = (Schedule, DateTime<Utc>)> {
    let exception = (-72i64 * 3600..72 * 3600, 1i64..12 * 3600, any::<bool>());
    (
        0..CHANGES.len(),
        proptest::collection::vec(arb_window(), 0..4),
        proptest::collection::vec(exception, 0..3),
        -48i64 * 3600..12 * 3600,
    )
        .prop_map(|(change, windows, exceptions, offset)| {
            let (zone, at) = CHANGES[change];
            let change_at = utc(at);
            let exceptions = exceptions
                .into_iter()
                .map(|(start, length, on_duty)| Exception {
                    from: change_at + Duration::seconds(start),
                    to: change_at + Duration::seconds(start + length),
                    on_duty,
                })
                .collect();
            let schedule = Schedule { zone: zone.parse().unwrap(), windows, exceptions };
            (schedule, change_at + Duration::seconds(offset))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// The spans agree with `on_duty` at every minute and at their edges,
    /// across a clock change.
    #[test]
    fn spans_agree_with_on_duty((s, from) in arb_case()) {
        let to = from + Duration::days(3);
        let spans = s.duty(from, to);
        for pair in spans.windows(2) {
            prop_assert!(pair[0].to < pair[1].from, "spans are ordered and merged: {:?}", pair);
        }
        for sp in &spans {
            prop_assert!(from <= sp.from && sp.from < sp.to && sp.to <= to);
            prop_assert!(s.on_duty(sp.from));
            prop_assert!(s.on_duty(sp.to - Duration::seconds(1)));
            if sp.from > from {
                prop_assert!(!s.on_duty(sp.from - Duration::seconds(1)), "starts at {}", sp.from);
            }
            if sp.to < to {
                prop_assert!(!s.on_duty(sp.to), "ends at {}", sp.to);
            }
        }
        let mut at = from;
        while at < to {
            let inside = spans.iter().any(|sp| sp.from <= at && at < sp.to);
            prop_assert_eq!(inside, s.on_duty(at), "at {}", at);
            at += Duration::minutes(1);
        }
    }

    /// `next_on_duty` is on duty, and nothing before it is.
    #[test]
    fn next_on_duty_is_the_first((s, after) in arb_case()) {
        match s.next_on_duty(after) {
            Some(next) => {
                prop_assert!(next >= after && s.on_duty(next));
                let mut at = after;
                while at < next {
                    prop_assert!(!s.on_duty(at), "on duty at {} before {}", at, next);
                    at += Duration::minutes(1);
                }
            }
            None => {
                prop_assert!(s.windows.is_empty(), "windows recur weekly, so only an empty set has no next");
                let end = s.exceptions.iter().map(|ex| ex.to).max().unwrap_or(after);
                let mut at = after;
                while at < end {
                    prop_assert!(!s.on_duty(at), "on duty at {}", at);
                    at += Duration::minutes(1);
                }
            }
        }
    }
}
