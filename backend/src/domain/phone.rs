//! Phone numbers for SMS delivery, checked against libphonenumber metadata.

use std::panic::{catch_unwind, AssertUnwindSafe};

use phonenumber::metadata::DATABASE;
use phonenumber::{Metadata, Mode, ParseError};

use super::ValidationError;

const FIELD: &str = "phone";

/// Longest accepted input, separators included, in characters.
pub const MAX_INPUT_CHARS: usize = 32;

const NOT_A_NUMBER: &str = "not a phone number";
const NEED_COUNTRY_CODE: &str = "must start with + and the country code";
const UNKNOWN_COUNTRY_CODE: &str = "unknown country code";

/// A phone number in international form, stored as E.164.
///
/// Numbers are accepted when their length is possible for the country;
/// `is_valid` additionally says whether libphonenumber knows the range, which
/// is only a warning because its ranges lag behind real allocations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber {
    e164: String,
    valid: bool,
}

impl PhoneNumber {
    /// Parses a number typed in international form (`+44 7700 900123`,
    /// `0044 7700 900123`); errors use the field name `phone`.
    pub fn parse(raw: &str) -> Result<PhoneNumber, ValidationError> {
        let digits = international_digits(raw)?;
        // phonenumber has panicked on hostile input before; a bad number must
        // be a validation error, never a crashed request.
        match catch_unwind(AssertUnwindSafe(|| analyse(&digits))) {
            Ok(result) => result,
            Err(_) => Err(invalid(NOT_A_NUMBER)),
        }
    }

    /// Parses a RedFlash number stored as bare digits with the country code
    /// (e.g. `44790612341234`) by adding the missing `+`.
    pub fn parse_legacy(raw_digits: &str) -> Result<PhoneNumber, ValidationError> {
        let digits = raw_digits.trim();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid("not a phone number (legacy numbers are digits only, country code first)"));
        }
        Self::parse(&format!("+{digits}"))
    }

    /// The number in E.164 form, e.g. `+447700900123`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// Whether libphonenumber recognises the number as allocated, not merely
    /// of a possible length.
    pub fn is_valid(&self) -> bool {
        self.valid
    }
}

fn invalid(message: impl Into<String>) -> ValidationError {
    ValidationError::new(FIELD, message)
}

/// Checks the shape of the input and returns the digits after the `+`.
fn international_digits(raw: &str) -> Result<String, ValidationError> {
    let input = raw.trim();
    if input.is_empty() {
        return Err(invalid("must not be empty"));
    }
    if input.chars().count() > MAX_INPUT_CHARS {
        return Err(invalid(format!("too long (at most {MAX_INPUT_CHARS} characters)")));
    }
    let (plus, rest) = match input.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            // Only ASCII digits: libphonenumber would map other scripts'
            // digits, but nobody types them on purpose and they are a classic
            // way to smuggle look-alike values past reviewers.
            '0'..='9' => digits.push(c),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return Err(invalid(NOT_A_NUMBER)),
        }
    }
    if digits.is_empty() {
        return Err(invalid(NOT_A_NUMBER));
    }
    if plus {
        return Ok(digits);
    }
    // "00" is the international call prefix in most of the world, so such
    // input is unambiguous; a single leading 0 is a national trunk prefix
    // and the country cannot be known without guessing.
    match digits.strip_prefix("00") {
        Some(international) if !international.is_empty() => Ok(international.to_owned()),
        _ => Err(invalid(NEED_COUNTRY_CODE)),
    }
}

/// Outcome of comparing a national number's length with its country's plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Length {
    Possible,
    LocalOnly,
    TooShort,
    TooLong,
    Invalid,
}

/// Possible national and local-only lengths for a country.
struct Plan {
    meta: &'static Metadata,
    national: Vec<u16>,
    local: Vec<u16>,
}

impl Plan {
    /// The plan of the main country for a calling code, as libphonenumber's
    /// `isPossibleNumber` uses (e.g. US for +1, GB for +44).
    fn for_code(code: u16) -> Option<Plan> {
        let database: &'static phonenumber::metadata::Database = &DATABASE;
        let meta = database.by_code(&code)?.into_iter().next()?;
        // This crate leaves the general descriptor's lengths empty (the XML
        // only has them per number type), so rebuild the union the way the
        // upstream metadata compiler does.
        let d = meta.descriptors();
        let mut national = d.general().possible_length().to_vec();
        let mut local = d.general().possible_local_length().to_vec();
        let typed = [
            d.fixed_line(),
            d.mobile(),
            d.toll_free(),
            d.premium_rate(),
            d.shared_cost(),
            d.personal_number(),
            d.voip(),
            d.pager(),
            d.uan(),
            d.voicemail(),
        ];
        for desc in typed.into_iter().flatten() {
            national.extend_from_slice(desc.possible_length());
            local.extend_from_slice(desc.possible_local_length());
        }
        national.sort_unstable();
        national.dedup();
        local.sort_unstable();
        local.dedup();
        local.retain(|len| !national.contains(len));
        Some(Plan { meta, national, local })
    }

    /// Finds the calling code at the start of `digits` (codes are prefix-free).
    fn for_digits(digits: &str) -> Option<Plan> {
        (1..=3).filter_map(|len| digits.get(..len)?.parse::<u16>().ok()).find_map(Plan::for_code)
    }

    fn check(&self, nsn_len: usize) -> Length {
        let len = u16::try_from(nsn_len).unwrap_or(u16::MAX);
        let (Some(&min), Some(&max)) = (self.national.first(), self.national.last()) else {
            // No length data: leave the verdict to the validity check.
            return Length::Possible;
        };
        if self.national.contains(&len) {
            Length::Possible
        } else if self.local.contains(&len) {
            Length::LocalOnly
        } else if len < min {
            Length::TooShort
        } else if len > max {
            Length::TooLong
        } else {
            Length::Invalid
        }
    }

    fn label(&self) -> String {
        let code = self.meta.country_code();
        match self.meta.id() {
            // "001" is libphonenumber's marker for non-geographic codes.
            "001" => format!("+{code}"),
            id => format!("{id} (+{code})"),
        }
    }

    fn expected(&self) -> String {
        let lengths: Vec<String> = self.national.iter().map(u16::to_string).collect();
        match lengths.split_last() {
            None => String::new(),
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        }
    }

    fn length_error(&self, verdict: Length, got: usize) -> ValidationError {
        let label = self.label();
        let code = self.meta.country_code();
        let expected = self.expected();
        let message = match verdict {
            Length::LocalOnly => format!(
                "too short for {label}: {got} digits looks like a local number without its \
                 area code; expected {expected} digits after +{code}"
            ),
            Length::TooShort => format!("too short for {label}: expected {expected} digits after +{code}, got {got}"),
            Length::TooLong => {
                format!("too long for {label}: expected {expected} digits after +{code}, got {got}")
            }
            Length::Invalid | Length::Possible => {
                format!("wrong length for {label}: expected {expected} digits after +{code}, got {got}")
            }
        };
        invalid(message)
    }
}

fn analyse(digits: &str) -> Result<PhoneNumber, ValidationError> {
    if digits.starts_with('0') {
        // No calling code starts with 0; libphonenumber would only say
        // "not a number" here.
        return Err(invalid(UNKNOWN_COUNTRY_CODE));
    }
    let number = phonenumber::parse(None, format!("+{digits}")).map_err(|err| parse_error(&err, digits))?;
    let code = number.code().value();
    let plan = Plan::for_code(code).ok_or_else(|| invalid(UNKNOWN_COUNTRY_CODE))?;
    let nsn = number.national().to_string();
    let verdict = plan.check(nsn.len());
    if verdict == Length::Possible {
        return Ok(PhoneNumber { e164: number.format().mode(Mode::E164).to_string(), valid: number.is_valid() });
    }
    // People often keep the trunk prefix after the country code
    // ("+44 (0)7700 900123"). libphonenumber drops it only for numbers in a
    // known range, so retry without it before rejecting the length.
    if let Some(stripped) =
        plan.meta.national_prefix().filter(|prefix| !prefix.is_empty()).and_then(|prefix| nsn.strip_prefix(prefix))
    {
        if !stripped.is_empty() && plan.check(stripped.len()) == Length::Possible {
            let retry =
                phonenumber::parse(None, format!("+{code}{stripped}")).map_err(|err| parse_error(&err, digits))?;
            if retry.national().to_string() == stripped {
                return Ok(PhoneNumber { e164: retry.format().mode(Mode::E164).to_string(), valid: retry.is_valid() });
            }
        }
    }
    Err(plan.length_error(verdict, nsn.len()))
}

fn parse_error(err: &ParseError, digits: &str) -> ValidationError {
    match err {
        ParseError::InvalidCountryCode => invalid(UNKNOWN_COUNTRY_CODE),
        ParseError::TooShortNsn | ParseError::TooShortAfterIdd => match Plan::for_digits(digits) {
            Some(plan) => {
                let got = digits.len().saturating_sub(plan.meta.country_code().to_string().len());
                plan.length_error(Length::TooShort, got)
            }
            None => invalid("too short"),
        },
        ParseError::TooLong => match Plan::for_digits(digits) {
            Some(plan) => invalid(format!("too long for {}", plan.label())),
            None => invalid("too long"),
        },
        ParseError::NoNumber | ParseError::MalformedInteger(_) => invalid(NOT_A_NUMBER),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn err(raw: &str) -> String {
        let err = PhoneNumber::parse(raw).unwrap_err();
        assert_eq!(err.field, "phone");
        err.message
    }

    #[test]
    fn uk_mobile_in_ofcom_drama_range_is_possible_but_not_valid() {
        let n = PhoneNumber::parse("+44 7700 900123").unwrap();
        assert_eq!(n.e164(), "+447700900123");
        // 07700 900xxx is reserved for fiction, so libphonenumber does not
        // know it as allocated: accepted, flagged.
        assert!(!n.is_valid());
    }

    #[test]
    fn us_number_is_valid() {
        let n = PhoneNumber::parse("+1 650 253 0000").unwrap();
        assert_eq!(n.e164(), "+16502530000");
        assert!(n.is_valid());
    }

    #[test]
    fn separators_are_ignored() {
        for raw in ["+1 (650) 253-0000", "+1.650.253.0000", "  +16502530000  ", "+1-650-253-0000"] {
            assert_eq!(PhoneNumber::parse(raw).unwrap().e164(), "+16502530000");
        }
    }

    #[test]
    fn double_zero_prefix_becomes_plus() {
        let n = PhoneNumber::parse("0044 7700 900123").unwrap();
        assert_eq!(n.e164(), "+447700900123");
        assert_eq!(err("00"), NEED_COUNTRY_CODE);
    }

    #[test]
    fn trunk_prefix_after_country_code_is_dropped() {
        let n = PhoneNumber::parse("+44 (0)7700 900123").unwrap();
        assert_eq!(n.e164(), "+447700900123");
    }

    #[test]
    fn italian_leading_zero_is_kept() {
        let n = PhoneNumber::parse("+39 06 6982 0000").unwrap();
        assert_eq!(n.e164(), "+390669820000");
        assert!(n.is_valid());
    }

    #[test]
    fn non_geographic_code() {
        let n = PhoneNumber::parse("+800 1234 5678").unwrap();
        assert_eq!(n.e164(), "+80012345678");
    }

    #[test]
    fn national_form_is_rejected() {
        assert_eq!(err("07700900123"), NEED_COUNTRY_CODE);
        assert_eq!(err("650 253 0000"), NEED_COUNTRY_CODE);
    }

    #[test]
    fn unknown_country_code_is_rejected() {
        assert_eq!(err("+999 123"), UNKNOWN_COUNTRY_CODE);
        assert_eq!(err("+999 1234 5678"), UNKNOWN_COUNTRY_CODE);
        assert_eq!(err("+0"), UNKNOWN_COUNTRY_CODE);
    }

    #[test]
    fn too_short_names_the_country() {
        let message = err("+44 12");
        assert!(message.starts_with("too short for GB (+44)"), "{message}");
        let message = err("+44 1");
        assert!(message.starts_with("too short for GB (+44)"), "{message}");
    }

    #[test]
    fn too_long_names_the_country() {
        let message = err("+1 650 253 0000 0000");
        assert!(message.starts_with("too long for US (+1)"), "{message}");
    }

    #[test]
    fn local_number_without_area_code_is_too_short() {
        let message = err("+1 253 0000");
        assert!(message.starts_with("too short for US (+1)"), "{message}");
        assert!(message.contains("area code"), "{message}");
    }

    #[test]
    fn words_are_not_phone_numbers() {
        assert_eq!(err("hello"), NOT_A_NUMBER);
        assert_eq!(err("+44 7700 900123 ext 5"), NOT_A_NUMBER);
        assert_eq!(err("tel:+447700900123"), NOT_A_NUMBER);
    }

    #[test]
    fn overlong_input_is_rejected_before_parsing() {
        let message = err(&format!("+{}", "1".repeat(32)));
        assert!(message.starts_with("too long"), "{message}");
    }

    #[test]
    fn hostile_inputs_never_panic_and_are_rejected() {
        let thousand = format!("+{}", "9".repeat(1000));
        let inputs = [
            "",
            " ",
            "+",
            "++44",
            "+0",
            "+00",
            "00",
            "0",
            "+ ",
            "+()",
            "+-.-",
            thousand.as_str(),
            "+٤٤٧٧٠٠٩٠٠١٢٣",
            "+４４７７００９００１２３",
            "+44\u{0}7700900123",
            "+44\u{202e}7700900123",
            "+1",
            "+12",
            "+123",
            "+8",
            "+88",
            "+999",
            "+44 (",
            "+((((((((((((((((((((((((((((((",
            "+18",
            "+4",
            "+9999999999999999999999999999999",
        ];
        for raw in inputs {
            assert!(PhoneNumber::parse(raw).is_err(), "{raw:?} was accepted");
            assert!(PhoneNumber::parse_legacy(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn every_short_digit_string_is_handled_without_panicking() {
        // Exhaustive over 1..=4 digits covers every calling-code prefix with
        // the short national parts where parsers tend to slice past the end.
        for len in 1..=4u32 {
            for n in 0..10u32.pow(len) {
                let digits = format!("{n:0width$}", width = len as usize);
                let _ = PhoneNumber::parse(&format!("+{digits}"));
            }
        }
    }

    #[test]
    fn legacy_digits_get_a_plus() {
        let n = PhoneNumber::parse_legacy("447700900123").unwrap();
        assert_eq!(n.e164(), "+447700900123");
        let n = PhoneNumber::parse_legacy("16502530000").unwrap();
        assert!(n.is_valid());
        assert!(PhoneNumber::parse_legacy("+447700900123").is_err());
        assert!(PhoneNumber::parse_legacy("44 7700 900123").is_err());
    }

    #[test]
    fn redflash_fixtures() {
        // What libphonenumber's metadata says about the two RedFlash fixture
        // numbers; the importer turns an Err into "imported disabled".
        let err = PhoneNumber::parse_legacy("44790612341234").unwrap_err();
        assert_eq!(err.field, "phone");
        assert_eq!(err.message, "too long for GB (+44): expected 7, 9 or 10 digits after +44, got 12");

        let err = PhoneNumber::parse_legacy("4498989898").unwrap_err();
        assert_eq!(
            err.message,
            "too short for GB (+44): 8 digits looks like a local number without its area \
             code; expected 7, 9 or 10 digits after +44"
        );
    }
}
