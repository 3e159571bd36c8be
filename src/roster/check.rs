//! The rules a volunteer's details are held to. Every column is checked, and every value refused
//! is named, so an organiser mends a row in one go rather than one mistake per try.

use super::{Checked, Problem, Problems, Rules, Written};
use crate::phone::Phone;

/// What a volunteer can offer beyond their time.
const CAPABILITIES: [&str; 3] = ["car", "money", "heavy"];

/// Names go into texts, where every character costs; the sign-up flow allows as many.
pub const MAX_NAME_CHARS: usize = 60;

/// A number with fewer digits than this could be no one's, so a refused one is shown as written.
const MIN_PERSONAL_DIGITS: usize = 7;

/// Checks one volunteer's details; every problem found is reported.
pub fn check(written: &Written, rules: &Rules) -> Result<Checked, Problems> {
    let mut problems = Vec::new();
    let phone = match written.phone.trim() {
        "" => Err(Problem::in_column("phone", "is empty".into())),
        raw => Phone::parse(raw, rules.region)
            .ok()
            .filter(Phone::is_valid)
            .ok_or_else(|| not_a_phone_number(raw)),
    };
    let phone = phone.map_err(|problem| problems.push(problem)).ok();
    let details = details(written, rules, &mut problems);
    match phone {
        Some(phone) if problems.is_empty() => Ok(details.with(phone)),
        _ => Err(Problems(problems)),
    }
}

/// Checks everything but the number, for a volunteer already on the roster: theirs is kept as it
/// is (a sign-up's came from a gateway, and need not pass [`check`]'s rules).
pub fn check_details(written: &Written, phone: Phone, rules: &Rules) -> Result<Checked, Problems> {
    let mut problems = Vec::new();
    let details = details(written, rules, &mut problems);
    match problems.is_empty() {
        true => Ok(details.with(phone)),
        false => Err(Problems(problems)),
    }
}

/// A refused number is named by what identifies no one: all of it when it is too short to be
/// anyone's, otherwise only its last four digits (the row number finds the rest).
pub(super) fn not_a_phone_number(raw: &str) -> Problem {
    let digits: Vec<char> = raw.chars().filter(char::is_ascii_digit).collect();
    let message = if digits.len() < MIN_PERSONAL_DIGITS {
        format!("`{}` is not a phone number", raw.trim())
    } else {
        let last: String = digits[digits.len() - 4..].iter().collect();
        format!("the number ending {last} is not a phone number")
    };
    Problem::in_column("phone", message)
}

/// Everything but the number, as far as it passed.
struct Details {
    name: String,
    zones: Vec<String>,
    languages: Vec<String>,
    capabilities: Vec<String>,
    availability: String,
    max_open_jobs: i64,
}

impl Details {
    fn with(self, phone: Phone) -> Checked {
        Checked {
            phone,
            name: self.name,
            zones: self.zones,
            languages: self.languages,
            capabilities: self.capabilities,
            availability: self.availability,
            max_open_jobs: self.max_open_jobs,
        }
    }
}

fn details(written: &Written, rules: &Rules, problems: &mut Vec<Problem>) -> Details {
    let cell = |value: &Option<String>| value.as_deref().unwrap_or("").trim().to_string();
    let name = written.name.trim().to_string();
    if name.is_empty() {
        let message = "is empty; give the name neighbours will see".into();
        problems.push(Problem::in_column("name", message));
    } else if name.chars().count() > MAX_NAME_CHARS {
        let message = format!("is longer than {MAX_NAME_CHARS} characters");
        problems.push(Problem::in_column("name", message));
    }
    let listed = match rules.zones.is_empty() {
        true => "the flows define none".to_string(),
        false => rules.zones.join(", "),
    };
    let zones = Column {
        name: "zones",
        one: format!("is not a zone ({listed})"),
        several: format!("are not zones ({listed})"),
    }
    .known(&cell(&written.zones), problems, |zone| {
        let known = rules.zones.iter().find(|z| z.eq_ignore_ascii_case(zone));
        known.cloned()
    });
    let mut languages = Column {
        name: "languages",
        one: "is not a language code such as en or es".into(),
        several: "are not language codes such as en or es".into(),
    }
    .known(&cell(&written.languages), problems, |code| {
        let is_code =
            (2..=3).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphabetic());
        is_code.then(|| code.to_ascii_lowercase())
    });
    if languages.is_empty() {
        languages.push("en".into());
    }
    let capabilities = Column {
        name: "capabilities",
        one: format!("is not one of {}", CAPABILITIES.join(", ")),
        several: format!("are not any of {}", CAPABILITIES.join(", ")),
    }
    .known(&cell(&written.capabilities), problems, |word| {
        let known = CAPABILITIES.iter().find(|c| c.eq_ignore_ascii_case(word));
        known.map(|c| c.to_string())
    });
    let max_open_jobs = match cell(&written.max_open_jobs).as_str() {
        "" => 2,
        raw => raw
            .parse::<u16>()
            .ok()
            .filter(|n| *n >= 1)
            .unwrap_or_else(|| {
                let message = format!("`{raw}` is not a whole number of 1 or more");
                problems.push(Problem::in_column("max_open_jobs", message));
                2
            }),
    };
    Details {
        name,
        zones,
        languages,
        capabilities,
        availability: cell(&written.availability),
        max_open_jobs: i64::from(max_open_jobs),
    }
}

/// A list column, and what is said of the words in it that are refused.
struct Column {
    name: &'static str,
    one: String,
    several: String,
}

impl Column {
    /// The words of `cell` that `spell` knows, in its spelling; the others, all named, are one
    /// problem with the column.
    fn known(
        &self,
        cell: &str,
        problems: &mut Vec<Problem>,
        spell: impl Fn(&str) -> Option<String>,
    ) -> Vec<String> {
        let mut known = Vec::new();
        let mut refused = Vec::new();
        for word in words(cell) {
            match spell(word) {
                Some(spelled) => known.push(spelled),
                None => refused.push(format!("`{word}`")),
            }
        }
        let said = match refused.len() {
            0 => return known,
            1 => &self.one,
            _ => &self.several,
        };
        let message = format!("{} {said}", refused.join(", "));
        problems.push(Problem::in_column(self.name, message));
        known
    }
}

/// The words of a list cell: split on `;` or `,`, trimmed, each kept once.
fn words(cell: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for word in cell.split([';', ',']).map(str::trim) {
        if !word.is_empty() && !out.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            out.push(word);
        }
    }
    out
}
