use chrono::{DateTime, Utc};

/// A time as operators read it in an incident: the day and the second, UTC.
pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// Only the time of day, for timelines within one notification.
pub fn clock(at: &DateTime<Utc>) -> String {
    at.format("%H:%M:%S%.3f").to_string()
}
