//! Times as operators read them. Written out by hand rather than with
//! chrono's `format`, whose pattern interpreter would be the only user of a
//! sizeable part of chrono in the app.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// A time as operators read it in an incident: the day and the second, UTC.
pub fn when(at: &DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Only the time of day, for timelines within one notification.
pub fn clock(at: &DateTime<Utc>) -> String {
    format!("{:02}:{:02}:{:02}.{:03}", at.hour(), at.minute(), at.second(), at.timestamp_subsec_millis() % 1000)
}
