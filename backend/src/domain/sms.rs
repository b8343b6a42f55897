//! SMS encoding and segment counting, so the UI can show what a text will cost
//! and the gateway adapter can tell how a message will be split.
//!
//! A text that fits GSM 03.38 (the basic set plus its extension table) is sent
//! as 7-bit septets; anything else is sent as UCS-2, two bytes per UTF-16 code
//! unit. A multi-part message loses room to its concatenation header, so each
//! part holds 153 septets or 67 code units instead of 160 or 70.

/// Septets in a single-part GSM-7 message.
const GSM7_SINGLE: usize = 160;
/// Septets in each part of a multi-part GSM-7 message.
const GSM7_PART: usize = 153;
/// UTF-16 code units in a single-part UCS-2 message.
const UCS2_SINGLE: usize = 70;
/// UTF-16 code units in each part of a multi-part UCS-2 message.
const UCS2_PART: usize = 67;

/// How a text message is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsEncoding {
    /// GSM 03.38 default alphabet, 7 bits per character.
    Gsm7,
    /// UCS-2 (UTF-16 on modern handsets), 16 bits per code unit.
    Ucs2,
}

impl SmsEncoding {
    /// Stable identifier used in the API, `"gsm7"` or `"ucs2"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "gsm7",
            SmsEncoding::Ucs2 => "ucs2",
        }
    }
}

/// How a text would be sent: encoding, size and number of parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsInfo {
    /// The encoding the whole text needs.
    pub encoding: SmsEncoding,
    /// Septets for GSM-7 (extension characters count 2), UTF-16 code units for UCS-2.
    pub units: usize,
    /// Parts the message is sent in; 0 for an empty text.
    pub segments: usize,
}

/// Works out the encoding, size and number of parts of `text`.
pub fn analyse(text: &str) -> SmsInfo {
    // One character outside GSM 03.38 makes the whole message UCS-2.
    let septets: Option<Vec<usize>> = text.chars().map(gsm7_septets).collect();
    let (encoding, costs, single, part) = match septets {
        Some(costs) => (SmsEncoding::Gsm7, costs, GSM7_SINGLE, GSM7_PART),
        None => (SmsEncoding::Ucs2, text.chars().map(char::len_utf16).collect(), UCS2_SINGLE, UCS2_PART),
    };
    let units = costs.iter().sum();
    let segments = match units {
        0 => 0,
        n if n <= single => 1,
        _ => parts(&costs, part),
    };
    SmsInfo { encoding, units, segments }
}

/// Parts needed when characters are packed greedily: a character never
/// straddles two parts (an escape and its character, or the two halves of a
/// surrogate pair, must arrive together), so a part may end a unit short.
fn parts(costs: &[usize], capacity: usize) -> usize {
    let mut parts = 1;
    let mut used = 0;
    for &cost in costs {
        if used + cost > capacity {
            parts += 1;
            used = 0;
        }
        used += cost;
    }
    parts
}

/// Septets `c` takes in GSM-7, or `None` if GSM-7 cannot carry it.
fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        // Sent as ESC followed by the character's code.
        Some(2)
    } else {
        None
    }
}

/// GSM 03.38 basic character set (code 0x1B, the escape, is not a character).
const GSM7_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå",
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",
    " !\"#¤%&'()*+,-./",
    "0123456789:;<=>?",
    "¡ABCDEFGHIJKLMNO",
    "PQRSTUVWXYZÄÖÑÜ§",
    "¿abcdefghijklmno",
    "pqrstuvwxyzäöñüà",
);

/// GSM 03.38 extension table: each costs an escape septet plus its own.
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn info(encoding: SmsEncoding, units: usize, segments: usize) -> SmsInfo {
        SmsInfo { encoding, units, segments }
    }

    #[test]
    fn the_tables_hold_127_basic_and_10_extension_characters() {
        assert_eq!(GSM7_BASIC.chars().count(), 127);
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        let mut all: Vec<char> = GSM7_BASIC.chars().chain(GSM7_EXTENSION.chars()).collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), 137, "no character is listed twice");
    }

    #[test]
    fn an_empty_text_has_no_segments() {
        assert_eq!(analyse(""), info(SmsEncoding::Gsm7, 0, 0));
    }

    #[test]
    fn plain_ascii_is_gsm7() {
        assert_eq!(analyse("Disk full on web1 (95%)"), info(SmsEncoding::Gsm7, 23, 1));
    }

    #[test]
    fn gsm7_fits_160_septets_in_one_segment_and_161_needs_two() {
        assert_eq!(analyse(&"a".repeat(160)), info(SmsEncoding::Gsm7, 160, 1));
        assert_eq!(analyse(&"a".repeat(161)), info(SmsEncoding::Gsm7, 161, 2));
        assert_eq!(analyse(&"a".repeat(306)), info(SmsEncoding::Gsm7, 306, 2));
        assert_eq!(analyse(&"a".repeat(307)), info(SmsEncoding::Gsm7, 307, 3));
    }

    #[test]
    fn the_euro_sign_and_other_extension_characters_count_two_septets() {
        assert_eq!(analyse("€"), info(SmsEncoding::Gsm7, 2, 1));
        for c in ['^', '{', '}', '\\', '[', '~', ']', '|', '€', '\u{000C}'] {
            assert_eq!(analyse(&c.to_string()).units, 2, "{c:?}");
        }
        assert_eq!(analyse(&format!("{}€", "a".repeat(158))), info(SmsEncoding::Gsm7, 160, 1));
        assert_eq!(analyse(&format!("{}€", "a".repeat(159))), info(SmsEncoding::Gsm7, 161, 2));
    }

    #[test]
    fn an_extension_character_is_not_split_across_segments() {
        // 306 septets would fit two parts of 153, but the € starting at septet
        // 153 cannot straddle parts one and two, which pushes one septet into a third.
        let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
        assert_eq!(analyse(&text), info(SmsEncoding::Gsm7, 306, 3));
        // The same characters with the € where it fits need only two.
        let text = format!("{}€{}", "a".repeat(151), "a".repeat(153));
        assert_eq!(analyse(&text), info(SmsEncoding::Gsm7, 306, 2));
    }

    #[test]
    fn accented_letters_in_the_basic_set_stay_gsm7() {
        assert_eq!(analyse("Zürich é à ñ ß Δ £ ¿¡ @").encoding, SmsEncoding::Gsm7);
    }

    #[test]
    fn any_character_outside_gsm7_makes_the_whole_text_ucs2() {
        assert_eq!(analyse("Disk full `web1`"), info(SmsEncoding::Ucs2, 16, 1));
        assert_eq!(analyse("Łódź"), info(SmsEncoding::Ucs2, 4, 1));
        // In UCS-2 the euro sign is one code unit like any other.
        assert_eq!(analyse("ą€"), info(SmsEncoding::Ucs2, 2, 1));
    }

    #[test]
    fn an_emoji_forces_ucs2_and_counts_two_code_units() {
        assert_eq!(analyse("Server down 🔥"), info(SmsEncoding::Ucs2, 14, 1));
        assert_eq!(analyse("😀"), info(SmsEncoding::Ucs2, 2, 1));
    }

    #[test]
    fn ucs2_fits_70_units_in_one_segment_and_71_needs_two() {
        assert_eq!(analyse(&"ж".repeat(70)), info(SmsEncoding::Ucs2, 70, 1));
        assert_eq!(analyse(&"ж".repeat(71)), info(SmsEncoding::Ucs2, 71, 2));
        assert_eq!(analyse(&"ж".repeat(134)), info(SmsEncoding::Ucs2, 134, 2));
        assert_eq!(analyse(&"ж".repeat(135)), info(SmsEncoding::Ucs2, 135, 3));
    }

    #[test]
    fn a_surrogate_pair_is_not_split_across_segments() {
        let text = format!("{}😀{}", "ж".repeat(66), "ж".repeat(66));
        assert_eq!(analyse(&text), info(SmsEncoding::Ucs2, 134, 3));
        let text = format!("{}😀{}", "ж".repeat(65), "ж".repeat(67));
        assert_eq!(analyse(&text), info(SmsEncoding::Ucs2, 134, 2));
    }

    #[test]
    fn as_str_and_serde_agree() {
        for encoding in [SmsEncoding::Gsm7, SmsEncoding::Ucs2] {
            assert_eq!(serde_json::to_value(encoding).unwrap(), serde_json::json!(encoding.as_str()));
            assert_eq!(serde_json::from_value::<SmsEncoding>(serde_json::json!(encoding.as_str())).unwrap(), encoding);
        }
        assert_eq!(SmsEncoding::Gsm7.as_str(), "gsm7");
        assert_eq!(SmsEncoding::Ucs2.as_str(), "ucs2");
    }
}
