//! Phone numbers: parsed once at the edge into E.164, and redacted whenever they go near a log.

use std::fmt;
use std::str::FromStr;

/// A phone number in E.164 form (`+14155550100`). The only way in is [`Phone::parse`], so every
/// number inside the service has one spelling and compares equal to itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

/// The region used for numbers written without a country code (e.g. `US`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region(phonenumber::country::Id);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PhoneError {
    #[error("is not a phone number")]
    NotANumber,
    #[error("has an extension, which a text cannot reach")]
    Extension,
    #[error("is not a number its country hands out (wrong length or leading digits)")]
    OutsideNumberPlan,
    #[error("`{0}` is not a two-letter region code such as US or MX")]
    UnknownRegion(String),
}

impl FromStr for Region {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        phonenumber::country::Id::from_str(&s.to_ascii_uppercase())
            .map(Region)
            .map_err(|_| PhoneError::UnknownRegion(s.to_string()))
    }
}

impl Phone {
    /// Parses what a gateway or a person wrote, in `region` when it has no country code.
    ///
    /// The parser is lenient (`12345` reads as `+12345`), so a number must also have the shape of
    /// its country's numbers, or the service would text short codes and made-up numbers back. The
    /// shape is the country's general pattern (length and leading digits) rather than its list of
    /// ranges in use: that list lags behind new area codes, and a neighbour on one must still get
    /// through. An extension is refused, since a text cannot be put through to one.
    pub fn parse(raw: &str, region: Region) -> Result<Phone, PhoneError> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 32 {
            return Err(PhoneError::NotANumber);
        }
        let number = phonenumber::parse(Some(region.0), raw).map_err(|_| PhoneError::NotANumber)?;
        if number.extension().is_some() {
            return Err(PhoneError::Extension);
        }
        if !fits_number_plan(&number) {
            return Err(PhoneError::OutsideNumberPlan);
        }
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        Ok(Phone(e164))
    }

    /// Whether the number is in a range its country hands out. Stricter than the shape
    /// [`Phone::parse`] checks, and only as current as the crate's data: `555` area codes fail.
    pub fn is_valid(&self) -> bool {
        phonenumber::parse(None, &self.0).is_ok_and(|n| phonenumber::is_valid(&n))
    }

    /// Trusts a value that was stored by [`Phone::parse`] earlier (a database column).
    pub fn from_stored(e164: String) -> Phone {
        Phone(e164)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form that may appear in logs and on shared screens: country code and last four digits.
    pub fn redacted(&self) -> Redacted<'_> {
        Redacted(&self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Displays `+14155550100` as `+1******0100`.
pub struct Redacted<'a>(&'a str);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        redact_into(self.0, f)
    }
}

/// Redacts any stored number string; used where only the text is at hand.
pub fn redact(number: &str) -> String {
    struct R<'a>(&'a str);
    impl fmt::Display for R<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            redact_into(self.0, f)
        }
    }
    R(number).to_string()
}

/// Whether the national number matches its country's general pattern, with a length it allows.
fn fits_number_plan(number: &phonenumber::PhoneNumber) -> bool {
    let national = number.national().to_string();
    let database = &*phonenumber::metadata::DATABASE;
    database
        .by_code(&number.code().value())
        .into_iter()
        .flatten()
        .any(|meta| meta.descriptors().general().is_match(&national))
}

/// Masks every run of digits in `text` long enough to be a phone number (seven or more, with the
/// usual separators between them) as [`Redacted`] does: for a provider's error message, which may
/// quote the number it could not reach.
pub fn redact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(|c: char| c == '+' || c.is_ascii_digit()) {
        out.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let len = candidate[1..]
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')')))
            .map_or(candidate.len(), |i| i + 1);
        // Separators after the last digit belong to the sentence, not the number.
        let number = candidate[..len].trim_end_matches(|c: char| !c.is_ascii_digit());
        let number = if number.is_empty() {
            &candidate[..1]
        } else {
            number
        };
        if number.chars().filter(char::is_ascii_digit).count() >= 7 {
            out.push_str(&redact(number));
        } else {
            out.push_str(number);
        }
        rest = &candidate[number.len()..];
    }
    out.push_str(rest);
    out
}

fn redact_into(number: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 7 {
        return f.write_str("***");
    }
    // Keep a one-digit country code: enough to tell lines apart without identifying anyone.
    let keep_tail = 4;
    let hidden = digits.len() - 1 - keep_tail;
    write!(f, "+{}", digits[0])?;
    for _ in 0..hidden {
        f.write_str("*")?;
    }
    digits[digits.len() - keep_tail..]
        .iter()
        .try_for_each(|d| write!(f, "{d}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Region {
        "US".parse().unwrap()
    }

    #[test]
    fn numbers_written_any_way_become_e164() {
        for raw in [
            "+1 (415) 555-0100",
            "415-555-0100",
            "+14155550100",
            " 4155550100 ",
        ] {
            assert_eq!(
                Phone::parse(raw, us()).unwrap().as_str(),
                "+14155550100",
                "{raw}"
            );
        }
        let mx: Region = "mx".parse().unwrap();
        assert!(
            Phone::parse("+52 55 1234 5678", mx)
                .unwrap()
                .as_str()
                .starts_with("+52")
        );
    }

    #[test]
    fn a_number_its_country_could_not_hand_out_is_refused() {
        for raw in [
            "12345",
            "+12345",
            "555",
            "+1 415 555 01",
            "+1 0415 555 0100",
        ] {
            assert_eq!(
                Phone::parse(raw, us()),
                Err(PhoneError::OutsideNumberPlan),
                "{raw}"
            );
        }
    }

    #[test]
    fn a_number_with_an_extension_is_refused() {
        for raw in [
            "+1 415 555 0100 ext. 12",
            "415-555-0100 x3",
            "+1 415 555 0100 #4",
        ] {
            assert_eq!(Phone::parse(raw, us()), Err(PhoneError::Extension), "{raw}");
        }
        assert!(Phone::parse("+14155550100;ext=7", us()).is_err());
    }

    #[test]
    fn a_number_of_the_right_shape_in_a_range_not_in_use_parses_but_is_not_valid() {
        // The shape is checked on the way in; the ranges in use only where someone types one.
        assert!(!Phone::parse("+15550100100", us()).unwrap().is_valid());
        assert!(Phone::parse("415-555-0100", us()).unwrap().is_valid());
    }

    #[test]
    fn numbers_inside_a_sentence_are_masked_and_the_rest_kept() {
        assert_eq!(
            redact_numbers("The 'To' number +14155550100 is not valid (code 21211)."),
            "The 'To' number +1******0100 is not valid (code 21211)."
        );
        assert_eq!(
            redact_numbers("cannot reach (415) 555-0199, try 2 times"),
            "cannot reach (+4*****0199, try 2 times"
        );
        assert_eq!(redact_numbers("dst 14155550100."), "dst +1******0100.");
        assert_eq!(
            redact_numbers("no numbers + here 42"),
            "no numbers + here 42"
        );
    }

    #[test]
    fn words_are_not_numbers() {
        assert_eq!(Phone::parse("hello", us()), Err(PhoneError::NotANumber));
        assert_eq!(Phone::parse("", us()), Err(PhoneError::NotANumber));
    }

    #[test]
    fn logs_see_only_the_country_code_and_last_four_digits() {
        let p = Phone::parse("+14155551234", us()).unwrap();
        assert_eq!(p.redacted().to_string(), "+1******1234");
        assert_eq!(redact("+14155551234"), "+1******1234");
        assert_eq!(redact("384387"), "***");
    }

    #[test]
    fn an_unknown_region_is_named() {
        assert_eq!(
            "XX".parse::<Region>(),
            Err(PhoneError::UnknownRegion("XX".into()))
        );
    }
}
