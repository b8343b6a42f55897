//! A duty schedule to create or change.

use chrono_tz::Tz;
use tocsin_types::{NewSchedule, ScheduleException, ScheduleUpdate};

use super::{name_opt, slug_opt};
use crate::domain::names::{display_name, free_text};
use crate::domain::schedule::{parse_zone, Exception, Window};
use crate::domain::slug::Slug;
use crate::domain::ValidationError;

/// More would be a calendar, not a weekly pattern.
const WINDOWS_MAX: usize = 50;
/// Holidays and leave for years ahead fit well within this.
const EXCEPTIONS_MAX: usize = 500;
const NOTE_MAX: usize = 200;

/// A dated exception as given, with its note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionInput {
    pub exception: Exception,
    pub note: String,
}

#[derive(Debug, Clone)]
pub struct ScheduleDraft {
    pub slug: Slug,
    pub name: String,
    pub zone: Tz,
    pub windows: Vec<Window>,
    pub exceptions: Vec<ExceptionInput>,
}

impl ScheduleDraft {
    pub fn parse(input: NewSchedule) -> Result<Self, ValidationError> {
        Ok(ScheduleDraft {
            slug: Slug::parse("slug", &input.slug)?,
            name: display_name("name", &input.name)?,
            zone: parse_zone("timezone", &input.timezone)?,
            windows: windows(&input.windows)?,
            exceptions: exceptions(&input.exceptions)?,
        })
    }
}

#[derive(Debug, Clone)]
pub struct SchedulePatch {
    pub slug: Option<Slug>,
    pub name: Option<String>,
    pub zone: Option<Tz>,
    pub windows: Option<Vec<Window>>,
    pub exceptions: Option<Vec<ExceptionInput>>,
    /// The request as given, for the audit log.
    pub detail: serde_json::Value,
}

impl SchedulePatch {
    pub fn parse(input: ScheduleUpdate) -> Result<Self, ValidationError> {
        Ok(SchedulePatch {
            detail: serde_json::to_value(&input).unwrap_or_default(),
            slug: slug_opt("slug", input.slug.as_deref())?,
            name: name_opt(input.name.as_deref())?,
            zone: input.timezone.as_deref().map(|t| parse_zone("timezone", t)).transpose()?,
            windows: input.windows.as_deref().map(windows).transpose()?,
            exceptions: input.exceptions.as_deref().map(exceptions).transpose()?,
        })
    }
}

/// Windows in OpenNMS's notation; a bad one names its index and position.
pub fn windows(raw: &[String]) -> Result<Vec<Window>, ValidationError> {
    if raw.len() > WINDOWS_MAX {
        return Err(ValidationError::new("windows", format!("at most {WINDOWS_MAX} windows")));
    }
    raw.iter()
        .enumerate()
        .map(|(i, w)| {
            Window::parse(w).map_err(|e| {
                ValidationError::new(
                    format!("windows[{i}]"),
                    format!("{w:?} {e}; windows look like MoTuWeThFr0900-1700"),
                )
            })
        })
        .collect()
}

fn exceptions(raw: &[ScheduleException]) -> Result<Vec<ExceptionInput>, ValidationError> {
    if raw.len() > EXCEPTIONS_MAX {
        return Err(ValidationError::new("exceptions", format!("at most {EXCEPTIONS_MAX} exceptions")));
    }
    raw.iter()
        .enumerate()
        .map(|(i, e)| {
            let field = format!("exceptions[{i}]");
            if e.to <= e.from {
                return Err(ValidationError::new(format!("{field}.to"), "must be after from"));
            }
            let note = free_text("note", &e.note, NOTE_MAX).map_err(|err| err.within(&field))?;
            Ok(ExceptionInput { exception: Exception { from: e.from, to: e.to, on_duty: e.on_duty }, note })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn new(windows: &[&str]) -> NewSchedule {
        NewSchedule {
            slug: "office".into(),
            name: "Office".into(),
            timezone: "Europe/Paris".into(),
            windows: windows.iter().map(|w| w.to_string()).collect(),
            exceptions: Vec::new(),
        }
    }

    #[test]
    fn a_schedule_reads_its_zone_and_windows() {
        let draft = ScheduleDraft::parse(new(&["MoTuWeThFr800-1700", "Sa0900-1200"])).unwrap();
        assert_eq!(draft.zone, chrono_tz::Europe::Paris);
        let written: Vec<String> = draft.windows.iter().map(ToString::to_string).collect();
        assert_eq!(written, ["MoTuWeThFr0800-1700", "Sa0900-1200"]);
    }

    #[test]
    fn a_bad_window_names_its_index_and_position() {
        let err = ScheduleDraft::parse(new(&["Mo0900-1700", "MoTu0900-2500"])).unwrap_err();
        assert_eq!(err.field, "windows[1]");
        assert!(err.message.contains("position 10"), "{}", err.message);
    }

    #[test]
    fn unknown_zones_and_backwards_exceptions_are_refused() {
        let zone = NewSchedule { timezone: "Europe/Atlantis".into(), ..new(&[]) };
        assert_eq!(ScheduleDraft::parse(zone).unwrap_err().field, "timezone");
        let at = "2026-12-24T00:00:00Z".parse().unwrap();
        let backwards = ScheduleException { from: at, to: at, on_duty: false, note: String::new() };
        let input = NewSchedule { exceptions: vec![backwards], ..new(&[]) };
        assert_eq!(ScheduleDraft::parse(input).unwrap_err().field, "exceptions[0].to");
    }
}
