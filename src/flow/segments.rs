//! How many SMS a text costs, so a flow author hears about it before every reply costs double.
//!
//! A single SMS holds 140 octets. If every character is in the GSM 03.38 alphabet the text is
//! packed as 7-bit septets; one character outside it forces UCS-2 (UTF-16) for the whole text,
//! which cuts the room by more than half. Long texts are split into parts that each give up six
//! octets to the header that lets the phone stitch them back together.

use std::borrow::Cow;
use std::fmt;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The GSM 03.38 default alphabet, apart from ASCII letters and digits (checked separately).
/// Each of these costs one septet.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà";

/// The extension table: reachable only through an escape, so each costs two septets.
const GSM_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// The character set a text is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// The name carriers and gateway dashboards use, for messages to organisers.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "GSM-7",
            Encoding::Ucs2 => "UCS-2",
        }
    }

    /// Units that fit in a text sent as one SMS (no header needed).
    fn single_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => 160,
            Encoding::Ucs2 => 70,
        }
    }

    /// Units per part once the text is split: the header eats six octets of each.
    fn part_limit(self) -> usize {
        match self {
            Encoding::Gsm7 => 153,
            Encoding::Ucs2 => 67,
        }
    }
}

/// What a text costs to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    /// septets for GSM-7, UTF-16 code units for UCS-2
    pub units: usize,
    /// how many SMS the text is sent as
    pub count: usize,
    /// the first character that forced UCS-2, if any
    pub forcing_ucs2: Option<char>,
}

/// Counts the encoding, units and SMS parts of `text`. An empty text costs nothing.
pub fn count(text: &str) -> Segments {
    match text.chars().find(|&c| gsm_septets(c).is_none()) {
        None => tally(Encoding::Gsm7, text.chars().filter_map(gsm_septets), None),
        Some(c) => tally(Encoding::Ucs2, text.chars().map(char::len_utf16), Some(c)),
    }
}

/// `text` with each character GSM-7 lacks replaced by the nearest one it has, as providers' "smart
/// encoding" does, so one accent or curly quote does not halve the room of every part: curly
/// quotes become straight, dashes a hyphen, odd spaces a space, invisible characters go, and an
/// accented letter GSM-7 lacks loses its accent (á→a) while those it has (é, ñ, ü, ¿, ¡) stay.
/// What has no stand-in (an emoji, another script) is kept, and the text stays UCS-2.
pub fn smart_encode(text: &str) -> Cow<'_, str> {
    if text.chars().all(|c| gsm_septets(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    // Composed first, so an é typed as e + accent is the é GSM-7 has.
    for c in text.nfc() {
        if gsm_septets(c).is_some() {
            out.push(c);
            continue;
        }
        match stand_in(c) {
            Some(s) => out.push_str(s),
            None => {
                let bare: String = c
                    .to_string()
                    .nfd()
                    .filter(|&m| !is_combining_mark(m))
                    .collect();
                if !bare.is_empty() && bare.chars().all(|b| gsm_septets(b).is_some()) {
                    out.push_str(&bare);
                } else if !is_combining_mark(c) {
                    out.push(c);
                }
            }
        }
    }
    Cow::Owned(out)
}

/// GSM-7 stand-ins for punctuation and spacing that editors and phones put in by themselves.
fn stand_in(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{2032}' | '\u{02BC}'
        | '\u{00B4}' | '`' => "'",
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}' | '\u{00AB}'
        | '\u{00BB}' => "\"",
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{2022}' => "-",
        '\u{2026}' => "...",
        '\t' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => " ",
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' => "",
        _ => return None,
    })
}

/// Septets `c` costs in GSM-7, or `None` if GSM-7 cannot carry it at all.
fn gsm_septets(c: char) -> Option<usize> {
    if c.is_ascii_alphanumeric() || GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Packs per-character costs into parts. A character is never split between parts (an escape
/// pair or a surrogate pair would be garbled on the handset), so it moves whole to the next part,
/// which can make a long text need one more part than its raw length suggests.
fn tally(
    encoding: Encoding,
    costs: impl Iterator<Item = usize>,
    forcing_ucs2: Option<char>,
) -> Segments {
    let per_part = encoding.part_limit();
    let (mut units, mut parts, mut filled) = (0, 1, 0);
    for cost in costs {
        units += cost;
        if filled + cost > per_part {
            parts += 1;
            filled = 0;
        }
        filled += cost;
    }
    let count = match units {
        0 => 0,
        u if u <= encoding.single_limit() => 1,
        _ => parts,
    };
    Segments {
        encoding,
        units,
        count,
        forcing_ucs2,
    }
}

/// Names a character so an organiser can find it in their flow file: the usual copy-paste
/// offenders by name, anything else by glyph and code point, invisible ones by code point alone.
pub fn describe(c: char) -> String {
    let code = format!("U+{:04X}", u32::from(c));
    let name = match c {
        '\u{2018}' => "left single quotation mark",
        '\u{2019}' => "right single quotation mark",
        '\u{201C}' => "left double quotation mark",
        '\u{201D}' => "right double quotation mark",
        '\u{2013}' => "en dash",
        '\u{2014}' => "em dash",
        '\u{2026}' => "ellipsis",
        '`' => "backtick",
        // Nothing to show for these, so the name stands alone.
        '\u{00A0}' => return format!("non-breaking space ({code})"),
        '\t' => return format!("tab ({code})"),
        '\u{200B}' => return format!("zero-width space ({code})"),
        c if c.is_control() || c.is_whitespace() => {
            return format!("invisible character ({code})");
        }
        _ => return format!("{c} ({code})"),
    };
    format!("{c} ({name}, {code})")
}

/// One line for a flow warning. A single SMS shows the room it has left, since that is what an
/// author trims against; past that only the total matters.
impl fmt::Display for Segments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.count == 1 {
            "segment"
        } else {
            "segments"
        };
        let encoding = self.encoding.name();
        if self.count <= 1 {
            let limit = self.encoding.single_limit();
            write!(
                f,
                "{} {noun} ({encoding}, {} of {limit})",
                self.count, self.units
            )
        } else {
            let unit = match self.encoding {
                Encoding::Gsm7 => "septets",
                Encoding::Ucs2 => "units",
            };
            write!(
                f,
                "{} {noun} ({encoding}, {} {unit})",
                self.count, self.units
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, encoding: Encoding, units: usize, count: usize) {
        let got = super::count(text);
        assert_eq!(
            (got.encoding, got.units, got.count),
            (encoding, units, count),
            "{text:?}"
        );
    }

    #[test]
    fn a_plain_opt_out_line_fits_one_gsm7_segment() {
        check("Reply STOP to opt out", Encoding::Gsm7, 21, 1);
    }

    #[test]
    fn one_hundred_sixty_letters_fill_one_segment_and_one_more_needs_two() {
        check(&"A".repeat(160), Encoding::Gsm7, 160, 1);
        check(&"A".repeat(161), Encoding::Gsm7, 161, 2);
    }

    #[test]
    fn euro_signs_cost_two_septets_each() {
        check(&"€".repeat(80), Encoding::Gsm7, 160, 1);
        check(&"€".repeat(81), Encoding::Gsm7, 162, 2);
    }

    #[test]
    fn square_brackets_stay_gsm7_but_cost_two_septets() {
        check("Hello [world]", Encoding::Gsm7, 15, 1);
    }

    #[test]
    fn e_acute_is_in_the_gsm_alphabet() {
        check(&"é".repeat(70), Encoding::Gsm7, 70, 1);
    }

    #[test]
    fn e_circumflex_forces_ucs2_with_seventy_units_per_sms() {
        check(&"ê".repeat(70), Encoding::Ucs2, 70, 1);
        check(&"ê".repeat(71), Encoding::Ucs2, 71, 2);
    }

    #[test]
    fn an_emoji_forces_ucs2_and_costs_two_units() {
        check("Hi 👋", Encoding::Ucs2, 5, 1);
        assert_eq!(count("Hi 👋").forcing_ucs2, Some('👋'));
    }

    #[test]
    fn an_empty_text_costs_nothing() {
        check("", Encoding::Gsm7, 0, 0);
    }

    #[test]
    fn an_escape_pair_is_not_split_across_parts() {
        // 152 + 2 would straddle the 153 boundary, so the € opens part two: 152 | 2 + 151 | 1.
        let text = format!("{}€{}", "A".repeat(152), "A".repeat(152));
        check(&text, Encoding::Gsm7, 306, 3);
        // The same length with the € clear of the boundary packs into two full parts.
        let text = format!("{}€{}", "A".repeat(151), "A".repeat(153));
        check(&text, Encoding::Gsm7, 306, 2);
    }

    #[test]
    fn a_surrogate_pair_is_not_split_across_parts() {
        // 66 + 2 would straddle the 67 boundary: 66 | 2 + 65 | 1.
        let text = format!("{}👋{}", "ê".repeat(66), "ê".repeat(66));
        check(&text, Encoding::Ucs2, 134, 3);
    }

    #[test]
    fn the_first_offending_character_is_named() {
        assert_eq!(count("Don’t – stop").forcing_ucs2, Some('’'));
        assert_eq!(count("Don't stop").forcing_ucs2, None);
    }

    #[test]
    fn describe_names_the_usual_offenders_and_falls_back_to_the_code_point() {
        assert_eq!(describe('’'), "’ (right single quotation mark, U+2019)");
        assert_eq!(describe('–'), "– (en dash, U+2013)");
        assert_eq!(describe('\u{00A0}'), "non-breaking space (U+00A0)");
        assert_eq!(describe('\t'), "tab (U+0009)");
        assert_eq!(describe('👋'), "👋 (U+1F44B)");
        assert_eq!(describe('ê'), "ê (U+00EA)");
    }

    #[test]
    fn display_shows_room_left_only_for_a_single_segment() {
        let shown = |text: &str| count(text).to_string();
        assert_eq!(shown("Reply STOP"), "1 segment (GSM-7, 10 of 160)");
        assert_eq!(shown("Hi 👋"), "1 segment (UCS-2, 5 of 70)");
        assert_eq!(shown(&"A".repeat(161)), "2 segments (GSM-7, 161 septets)");
        assert_eq!(shown(&"ê".repeat(71)), "2 segments (UCS-2, 71 units)");
    }

    #[test]
    fn smart_encoding_takes_a_spanish_question_to_gsm7_and_keeps_what_gsm7_has() {
        let sent = smart_encode("¿Lo recibió? Responda 1 sí, 2 no. Año, pingüino, café ¡ya!");
        assert_eq!(
            sent,
            "¿Lo recibio? Responda 1 si, 2 no. Año, pingüino, café ¡ya!"
        );
        assert_eq!(count(&sent).encoding, Encoding::Gsm7);
    }

    #[test]
    fn smart_encoding_straightens_quotes_dashes_and_spaces() {
        assert_eq!(
            smart_encode("Don’t – “wait”…\u{00A0}ok\u{200B}"),
            "Don't - \"wait\"... ok"
        );
    }

    #[test]
    fn smart_encoding_composes_a_separately_typed_accent_first() {
        assert_eq!(smart_encode("cafe\u{0301} bebe\u{0301}"), "café bebé");
        assert_eq!(smart_encode("mama\u{0301}"), "mama");
    }

    #[test]
    fn smart_encoding_keeps_what_has_no_stand_in_and_leaves_gsm7_untouched() {
        assert_eq!(smart_encode("Hi 👋 ó"), "Hi 👋 o");
        assert_eq!(count(&smart_encode("Hi 👋")).encoding, Encoding::Ucs2);
        assert!(matches!(smart_encode("Reply YES"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_tables_hold_the_whole_gsm_alphabet_once() {
        // 128 codes less the escape itself, which is not a character of its own.
        assert_eq!(GSM_BASIC.chars().count() + 62, 127);
        assert_eq!(GSM_EXTENSION.chars().count(), 10);
        assert!(!GSM_BASIC.chars().any(|c| GSM_EXTENSION.contains(c)));
        assert!(!GSM_BASIC.chars().any(|c| c.is_ascii_alphanumeric()));
    }
}
