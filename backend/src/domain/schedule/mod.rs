//! Duty schedules: weekly windows in an IANA time zone, OR'ed, plus dated
//! exceptions. Evaluation is pure and takes the instant to judge, so tests
//! and dry runs choose the time.
//!
//! Windows are wall-clock times: `0900-1700` in Europe/London is 09:00 to
//! 17:00 on the clocks there, summer or winter. An instant is judged by the
//! local time it shows, so a window starting inside an hour that the clocks
//! skip begins when the clocks jump past its start, and a window inside an
//! hour that repeats covers both passes.

mod window;
mod zone;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;

pub use window::{Window, WindowError};
pub use zone::parse_zone;

/// Off or on duty whatever the windows say, from `from` (included) to `to`
/// (excluded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub on_duty: bool,
}

/// When someone takes notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub zone: Tz,
    pub windows: Vec<Window>,
    /// Where exceptions overlap, the one listed last wins.
    pub exceptions: Vec<Exception>,
}

/// A stretch of duty, `from` included, `to` excluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// How far past the last exception `next_on_duty` looks: windows repeat
/// weekly, so a week past every exception settles the answer; one more day
/// covers an overnight window.
const LOOKAHEAD_DAYS: u64 = 8;

impl Schedule {
    /// Whether the schedule is on duty at `at`.
    pub fn on_duty(&self, at: DateTime<Utc>) -> bool {
        if let Some(ex) = self.exceptions.iter().rev().find(|ex| ex.from <= at && at < ex.to) {
            return ex.on_duty;
        }
        self.windows_cover(at)
    }

    fn windows_cover(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.zone);
        let minute = (local.hour() * 60 + local.minute()) as u16;
        self.windows.iter().any(|w| w.covers(local.weekday(), minute))
    }

    /// The first instant at or after `after` that is on duty, or `None` when
    /// the schedule never is again.
    pub fn next_on_duty(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.on_duty(after) {
            return Some(after);
        }
        let horizon = self.horizon(after);
        let mut from = after;
        while from < horizon {
            let to = (from + Duration::days(7)).min(horizon);
            if let Some(span) = self.duty(from, to).first() {
                return Some(span.from);
            }
            from = to;
        }
        None
    }

    /// The first instant at or after `after` that is off duty, or `None`
    /// when the schedule is on duty for good (every minute of the week).
    pub fn next_off_duty(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.on_duty(after) {
            return Some(after);
        }
        let horizon = self.horizon(after);
        let spans = self.duty(after, horizon);
        match spans.first() {
            Some(span) if span.to < horizon => Some(span.to),
            _ => None,
        }
    }

    /// Past this instant nothing new happens after `after`: the windows only
    /// repeat and every exception has ended.
    fn horizon(&self, after: DateTime<Utc>) -> DateTime<Utc> {
        let last_exception = self.exceptions.iter().map(|ex| ex.to).max().unwrap_or(after).max(after);
        last_exception + Duration::days(LOOKAHEAD_DAYS as i64)
    }

    /// The stretches of duty between `from` and `to`, in order, merged, and
    /// cut to the range.
    pub fn duty(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Span> {
        if from >= to {
            return Vec::new();
        }
        let mut edges = self.edges(from, to);
        edges.push(from);
        edges.sort();
        edges.dedup();
        let mut spans: Vec<Span> = Vec::new();
        let mut open: Option<DateTime<Utc>> = None;
        for at in edges {
            match (self.on_duty(at), open) {
                (true, None) => open = Some(at),
                (false, Some(start)) => {
                    spans.push(Span { from: start, to: at });
                    open = None;
                }
                _ => {}
            }
        }
        if let Some(start) = open {
            spans.push(Span { from: start, to });
        }
        spans
    }

    /// Every instant in `(from, to)` at which duty may change: where a
    /// window starts or ends on the local clock (both passes of a repeated
    /// time), where the clocks change (a jump can enter or leave a window),
    /// and where an exception starts or ends.
    fn edges(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut edges = zone::transitions(&self.zone, from, to);
        for ex in &self.exceptions {
            edges.extend([ex.from, ex.to]);
        }
        // A day before `from` for windows running overnight into it, a day
        // after `to` for local dates ahead of UTC.
        let first = from.with_timezone(&self.zone).date_naive() - Days::new(1);
        let last = to.with_timezone(&self.zone).date_naive() + Days::new(1);
        let mut day = first;
        while day <= last {
            for w in self.windows.iter().filter(|w| w.starts_on(day.weekday())) {
                edges.extend(zone::instants(&self.zone, local(day, u32::from(w.start_minute()))));
                edges.extend(zone::instants(&self.zone, local(day, w.end_minute_exclusive())));
            }
            day = day + Days::new(1);
        }
        edges.retain(|at| from < *at && *at < to);
        edges
    }
}

/// Local date and time `minutes` after `day`'s midnight (may be on a later
/// date).
fn local(day: NaiveDate, minutes: u32) -> chrono::NaiveDateTime {
    day.and_time(NaiveTime::MIN) + Duration::minutes(i64::from(minutes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
