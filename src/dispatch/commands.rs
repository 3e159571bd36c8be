//! What a volunteer's text asks for. Volunteers type on small keyboards in a hurry, so case,
//! accents, punctuation and word order are forgiving: `YES A7`, `y a7`, `A7 yes` and `Yes, A7!`
//! all claim A7. Every command has its Spanish words too (`SI A7`, `LISTO A7`, `MIS`), which the
//! Spanish texts name. `REPORT` is read from neighbours too ([`report`]).

use crate::flow::text::fold;

/// A request's code as typed: a letter and digits, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Code(pub String);

/// Why a volunteer could not complete a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    NotHome,
    WrongPlace,
    Other(String),
}

impl Failure {
    pub fn describe(&self) -> &str {
        match self {
            Failure::NotHome => "not home",
            Failure::WrongPlace => "wrong place",
            Failure::Other(why) => why,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Claim(Code),
    Decline(Code),
    /// The shopping is done or the pickup made; on the way.
    PickedUp(Code),
    Done(Code),
    Fail(Code, Failure),
    Drop(Code),
    /// My open jobs.
    Mine,
    Pause,
    Resume,
    /// A message for the neighbour of the job named by the code at its start.
    Relay(Code, String),
    /// Pause the relay of a job and call a dispatcher.
    Report(Report),
    /// End their part of a job's relay; the job stays theirs. Never a bare word: carriers read
    /// END, QUIT and the like as STOP.
    Leave(Code),
}

/// `REPORT`, `REPORT A7`, `REPORT A7 he shouted at me`: the job (optional for whoever has one
/// relay) and why, in the reporter's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub code: Option<Code>,
    pub reason: Option<String>,
}

/// Reads a report, from either side of a relay: a text whose first word is `REPORT` (Spanish
/// `DENUNCIAR` or `REPORTAR`).
pub fn report(text: &str) -> Option<Report> {
    let mut words = text.split_whitespace();
    let first = words.next()?;
    if !matches!(fold(first).as_str(), "report" | "denunciar" | "reportar") {
        return None;
    }
    let rest: Vec<&str> = words.collect();
    let code = rest.first().and_then(|w| as_code(&fold(w)));
    let said = &rest[usize::from(code.is_some())..];
    let reason = said
        .join(" ")
        .trim_start_matches([':', ',', '-'])
        .trim()
        .to_string();
    Some(Report {
        code,
        reason: (!reason.is_empty()).then_some(reason),
    })
}

/// Reads a volunteer's text; `None` when it is no command (it may still be a message for the
/// neighbour of their one open job).
pub fn parse(text: &str) -> Option<Command> {
    // Folded: lower case, no accents, no punctuation (`Sí,` reads as `si`).
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(fold)
        .filter(|w| !w.is_empty())
        .collect();
    let word = |i: usize| words.get(i).map(String::as_str);
    let code = |i: usize| word(i).and_then(as_code);
    if let Some(report) = report(text) {
        return Some(Command::Report(report));
    }
    match (word(0)?, word(1), words.len()) {
        ("my" | "mine" | "jobs" | "mis" | "pedidos", _, 1) | ("mis", Some("pedidos"), 2) => {
            return Some(Command::Mine);
        }
        ("pause" | "pausa", _, 1) => return Some(Command::Pause),
        ("resume" | "seguir", _, 1) => return Some(Command::Resume),
        _ => {}
    }
    if words.len() == 2 {
        let (first, second) = (word(0)?, word(1)?);
        let pair = match (code(0), code(1)) {
            (None, Some(c)) => Some((first, c)),
            (Some(c), None) => Some((second, c)),
            _ => None,
        };
        if let Some((verb, c)) = pair {
            match verb {
                "yes" | "y" | "si" | "take" | "tomo" => return Some(Command::Claim(c)),
                "no" | "n" | "pass" | "paso" => return Some(Command::Decline(c)),
                "got" | "picked" | "recogi" | "recogido" => return Some(Command::PickedUp(c)),
                "done" | "hecho" | "listo" | "entregado" => return Some(Command::Done(c)),
                "drop" | "dejo" => return Some(Command::Drop(c)),
                "leave" | "salir" => return Some(Command::Leave(c)),
                _ => {}
            }
        }
    }
    if matches!(word(0), Some("fail" | "falla")) {
        let c = code(1)?;
        let reason: Vec<&str> = text.split_whitespace().skip(2).collect();
        let reason = reason.join(" ");
        let failure = match fold(&reason).as_str() {
            "" | "not home" | "nobody home" | "no answer" | "no estaba" | "nadie" => {
                Failure::NotHome
            }
            "wrong place" | "wrong address" | "direccion equivocada" => Failure::WrongPlace,
            _ => Failure::Other(reason),
        };
        return Some(Command::Fail(c, failure));
    }
    // "A7 I'm outside": the code first, then the message, as typed.
    let c = code(0)?;
    let first = text.split_whitespace().next()?;
    let message = text.trim_start()[first.len()..].trim_start_matches([':', ',', '-', ' ']);
    (!message.trim().is_empty()).then(|| Command::Relay(c, message.trim().to_string()))
}

/// A word shaped like a request code: one letter, then one to four digits; codes are upper case.
fn as_code(word: &str) -> Option<Code> {
    let mut chars = word.chars();
    let letter = chars.next()?;
    let digits = chars.as_str();
    (letter.is_ascii_alphabetic()
        && (1..=4).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit()))
    .then(|| Code(word.to_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> Code {
        Code(c.into())
    }

    #[test]
    fn a_claim_reads_the_same_in_any_case_and_order() {
        for text in [
            "YES A7", "yes a7", "Y A7", "A7 YES", "a7 y", "Yes, A7!", "si a7",
        ] {
            assert_eq!(parse(text), Some(Command::Claim(code("A7"))), "{text}");
        }
    }

    #[test]
    fn done_drop_decline_and_fail_name_their_job() {
        assert_eq!(parse("DONE K42"), Some(Command::Done(code("K42"))));
        assert_eq!(parse("drop a7"), Some(Command::Drop(code("A7"))));
        assert_eq!(parse("got A7"), Some(Command::PickedUp(code("A7"))));
        assert_eq!(parse("no a7"), Some(Command::Decline(code("A7"))));
        assert_eq!(
            parse("FAIL A7"),
            Some(Command::Fail(code("A7"), Failure::NotHome))
        );
        assert_eq!(
            parse("fail a7 wrong place"),
            Some(Command::Fail(code("A7"), Failure::WrongPlace))
        );
        assert_eq!(
            parse("FAIL A7 the store was closed"),
            Some(Command::Fail(
                code("A7"),
                Failure::Other("the store was closed".into())
            ))
        );
    }

    #[test]
    fn every_command_has_its_spanish_words() {
        assert_eq!(parse("Sí, A7"), Some(Command::Claim(code("A7"))));
        assert_eq!(parse("listo a7"), Some(Command::Done(code("A7"))));
        assert_eq!(parse("recogí A7"), Some(Command::PickedUp(code("A7"))));
        assert_eq!(parse("dejo A7"), Some(Command::Drop(code("A7"))));
        assert_eq!(parse("paso A7"), Some(Command::Decline(code("A7"))));
        assert_eq!(
            parse("falla A7 no estaba"),
            Some(Command::Fail(code("A7"), Failure::NotHome))
        );
        assert_eq!(parse("mis pedidos"), Some(Command::Mine));
        assert_eq!(parse("MIS"), Some(Command::Mine));
        assert_eq!(parse("pausa"), Some(Command::Pause));
        assert_eq!(parse("seguir"), Some(Command::Resume));
        assert_eq!(parse("salir A7"), Some(Command::Leave(code("A7"))));
        assert_eq!(
            parse("denunciar a7"),
            Some(Command::Report(Report {
                code: Some(code("A7")),
                reason: None
            }))
        );
        assert_eq!(
            report("Reportar: me gritó"),
            Some(Report {
                code: None,
                reason: Some("me gritó".into())
            })
        );
    }

    #[test]
    fn a_report_names_its_job_if_it_likes_and_keeps_the_words_after_it() {
        assert_eq!(
            report("REPORT A7 he was rude"),
            Some(Report {
                code: Some(code("A7")),
                reason: Some("he was rude".into())
            })
        );
        assert_eq!(
            report("report"),
            Some(Report {
                code: None,
                reason: None
            })
        );
        assert_eq!(report("reported it already"), None);
        assert_eq!(report("please report"), None);
        assert_eq!(parse("LEAVE K42"), Some(Command::Leave(code("K42"))));
        // A bare word is never a command: carriers own END, QUIT and the like.
        assert_eq!(parse("leave"), None);
    }

    #[test]
    fn one_word_commands() {
        assert_eq!(parse("my"), Some(Command::Mine));
        assert_eq!(parse("Pause"), Some(Command::Pause));
        assert_eq!(parse("RESUME."), Some(Command::Resume));
    }

    #[test]
    fn a_text_that_starts_with_a_code_is_a_message_for_that_neighbour() {
        assert_eq!(
            parse("A7 I'm outside, blue car"),
            Some(Command::Relay(code("A7"), "I'm outside, blue car".into()))
        );
        assert_eq!(
            parse("a7: running 5 min late"),
            Some(Command::Relay(code("A7"), "running 5 min late".into()))
        );
    }

    #[test]
    fn anything_else_is_not_a_command() {
        for text in [
            "hello",
            "yes",
            "ok thanks",
            "A7",
            "YES please",
            "7A YES",
            "AB7 YES",
            "",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
