//! A weekly duty window in OpenNMS's notation: `MoTuWeThFr0900-1700`.
//!
//! Day letters in any combination, then a start and an end time of three or
//! four digits (`800` is 08:00, as OpenNMS writes it). Both ends are
//! inclusive at minute granularity: `0900-1700` covers 17:00 to 17:00:59, and
//! `2359` covers its whole minute. A start after the end (`Fr2200-0600`) runs
//! overnight into the next day; that is Tocsin's extension. Windows are
//! written back with four-digit times and the days in week order.

use std::fmt;

use chrono::Weekday;

/// The day letters, in week order (Monday first, as `Weekday` counts).
const DAYS: [(&str, Weekday); 7] = [
    ("Mo", Weekday::Mon),
    ("Tu", Weekday::Tue),
    ("We", Weekday::Wed),
    ("Th", Weekday::Thu),
    ("Fr", Weekday::Fri),
    ("Sa", Weekday::Sat),
    ("Su", Weekday::Sun),
];

/// One weekly window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    /// Bit `n` set = the window starts on day `n` (0 = Monday).
    days: u8,
    /// Minutes after local midnight of the first minute covered.
    start: u16,
    /// Minutes after local midnight of the last minute covered.
    end: u16,
}

/// Why a window was refused: what was expected, at which 1-based character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowError {
    pub position: usize,
    pub message: String,
}

impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at position {}: {}", self.position, self.message)
    }
}

impl Window {
    /// A window from its parts; `None` when a day set is empty or a minute is
    /// past 23:59.
    pub fn new(days: &[Weekday], start: u16, end: u16) -> Option<Window> {
        let days = days.iter().fold(0u8, |bits, d| bits | 1 << d.num_days_from_monday());
        (days != 0 && start < 1440 && end < 1440).then_some(Window { days, start, end })
    }

    pub fn parse(raw: &str) -> Result<Window, WindowError> {
        let err = |position: usize, message: &str| WindowError { position, message: message.to_owned() };
        if !raw.is_ascii() {
            let bad = raw.chars().position(|c| !c.is_ascii()).unwrap_or(0);
            return Err(err(bad + 1, "only day letters, digits and '-' are allowed"));
        }
        let bytes = raw.as_bytes();
        let mut at = 0;
        let mut days = 0u8;
        while at < bytes.len() && bytes[at].is_ascii_alphabetic() {
            let pair = raw.get(at..at + 2).unwrap_or(&raw[at..]);
            let Some(day) = DAYS.iter().position(|(name, _)| name.eq_ignore_ascii_case(pair)) else {
                return Err(err(at + 1, "expected a day: Mo, Tu, We, Th, Fr, Sa or Su"));
            };
            if days & 1 << day != 0 {
                return Err(err(at + 1, &format!("{} appears twice", DAYS[day].0)));
            }
            days |= 1 << day;
            at += 2;
        }
        if days == 0 {
            return Err(err(1, "expected a day: Mo, Tu, We, Th, Fr, Sa or Su"));
        }
        let (start, next) = time_at(raw, at)?;
        if bytes.get(next) != Some(&b'-') {
            return Err(err(next + 1, "expected '-' between the start and the end time"));
        }
        let (end, next) = time_at(raw, next + 1)?;
        if next != bytes.len() {
            return Err(err(next + 1, "unexpected text after the end time"));
        }
        Ok(Window { days, start, end })
    }

    /// Whether the window starts on `day`.
    pub fn starts_on(&self, day: Weekday) -> bool {
        self.days & 1 << day.num_days_from_monday() != 0
    }

    /// The first minute covered, after local midnight.
    pub fn start_minute(&self) -> u16 {
        self.start
    }

    /// The minute just after the last one covered, counted from the start
    /// day's midnight: past 1440 for an overnight window.
    pub fn end_minute_exclusive(&self) -> u32 {
        let end = u32::from(self.end) + 1;
        if self.overnight() {
            end + 1440
        } else {
            end
        }
    }

    /// Whether the window runs past midnight into the next day.
    pub fn overnight(&self) -> bool {
        self.start > self.end
    }

    /// Whether local minute `minute` of a day that is `day` falls inside,
    /// counting an overnight window's part from the day before.
    pub fn covers(&self, day: Weekday, minute: u16) -> bool {
        if self.overnight() {
            (self.starts_on(day) && minute >= self.start) || (self.starts_on(day.pred()) && minute <= self.end)
        } else {
            self.starts_on(day) && minute >= self.start && minute <= self.end
        }
    }
}

/// Reads a 3- or 4-digit time starting at byte `at`; returns minutes after
/// midnight and where the time ended.
fn time_at(raw: &str, at: usize) -> Result<(u16, usize), WindowError> {
    let digits = raw[at..].bytes().take_while(u8::is_ascii_digit).count();
    let err = |position: usize, message: &str| WindowError { position, message: message.to_owned() };
    if !(3..=4).contains(&digits) {
        let message = if digits == 0 { "expected a time such as 0900" } else { "a time has 3 or 4 digits" };
        return Err(err(at + 1, message));
    }
    let value: u16 = raw[at..at + digits].parse().map_err(|_| err(at + 1, "expected a time such as 0900"))?;
    let (hours, minutes) = (value / 100, value % 100);
    if hours > 23 {
        return Err(err(at + 1, "hours go from 00 to 23"));
    }
    if minutes > 59 {
        return Err(err(at + digits - 1, "minutes go from 00 to 59"));
    }
    Ok((hours * 60 + minutes, at + digits))
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, day) in DAYS {
            if self.starts_on(day) {
                f.write_str(name)?;
            }
        }
        let hhmm = |m: u16| format!("{:02}{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hhmm(self.start), hhmm(self.end))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_opennms_windows_and_writes_four_digits() {
        assert_eq!(Window::parse("MoTuWeThFr0900-1700").unwrap().to_string(), "MoTuWeThFr0900-1700");
        assert_eq!(Window::parse("MoTuWeThFrSaSu800-2300").unwrap().to_string(), "MoTuWeThFrSaSu0800-2300");
        assert_eq!(Window::parse("SuMo0000-2359").unwrap().to_string(), "MoSu0000-2359");
        assert_eq!(Window::parse("fr2200-0600").unwrap().to_string(), "Fr2200-0600");
    }

    #[test]
    fn both_ends_are_inclusive() {
        let w = Window::parse("Mo0900-1700").unwrap();
        assert!(!w.covers(Weekday::Mon, 8 * 60 + 59));
        assert!(w.covers(Weekday::Mon, 9 * 60));
        assert!(w.covers(Weekday::Mon, 17 * 60));
        assert!(!w.covers(Weekday::Mon, 17 * 60 + 1));
        assert!(!w.covers(Weekday::Tue, 12 * 60));
        let last = Window::parse("Su2359-2359").unwrap();
        assert!(last.covers(Weekday::Sun, 1439));
        assert_eq!(last.end_minute_exclusive(), 1440);
    }

    #[test]
    fn a_start_after_the_end_runs_overnight() {
        let w = Window::parse("Fr2200-0600").unwrap();
        assert!(w.overnight());
        assert!(w.covers(Weekday::Fri, 22 * 60));
        assert!(w.covers(Weekday::Sat, 6 * 60));
        assert!(!w.covers(Weekday::Sat, 6 * 60 + 1));
        assert!(!w.covers(Weekday::Sat, 22 * 60));
        assert!(!w.covers(Weekday::Fri, 5 * 60));
        assert_eq!(w.end_minute_exclusive(), 1440 + 6 * 60 + 1);
    }

    #[test]
    fn errors_name_the_position() {
        let cases = [
            ("", 1),
            ("0900-1700", 1),
            ("Mx0900-1700", 1),
            ("MoTx0900-1700", 3),
            ("MoMo0900-1700", 3),
            ("Mo09-1700", 3),
            ("Mo09000-1700", 3),
            ("Mo2400-1700", 3),
            ("Mo0960-1700", 5),
            ("Mo0900", 7),
            ("Mo0900_1700", 7),
            ("Mo0900-", 8),
            ("Mo0900-17", 8),
            ("Mo0900-1700x", 12),
            ("Mo0900-1700 ", 12),
            ("Mé0900-1700", 2),
        ];
        for (raw, position) in cases {
            let err = Window::parse(raw).expect_err(raw);
            assert_eq!(err.position, position, "{raw}: {err}");
        }
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(days in 1u8..128, start in 0u16..1440, end in 0u16..1440) {
            let w = Window { days, start, end };
            prop_assert_eq!(Window::parse(&w.to_string()).unwrap(), w);
        }

        #[test]
        fn nothing_panics(raw in "\\PC{0,20}") {
            let _ = Window::parse(&raw);
        }
    }
}
