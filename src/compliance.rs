//! STOP, START and HELP: the words carriers and regulators give a meaning to. They are recognised
//! before anything else, in every state of every conversation, and no flow can override them.

/// What a compliance word asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    OptOut,
    OptIn,
    Help,
}

/// Twilio's list (CANCEL, END and QUIT included: carriers read them as STOP too, which is why no
/// flow may ask a neighbour to send them).
const OPT_OUT: &[&str] = &[
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
];
const OPT_IN: &[&str] = &["START", "UNSTOP"];
const HELP: &[&str] = &["HELP", "INFO"];

/// Recognises a message that is exactly one compliance word, in any case and with punctuation
/// around it ("Stop." counts, "stop texting me" is an ordinary message, as at Twilio). YES means
/// opt in only while the sender is opted out; otherwise it is an answer like any other.
pub fn classify(body: &str, opted_out: bool) -> Option<Keyword> {
    let word: String = body
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_uppercase();
    if word.is_empty() || word.contains(char::is_whitespace) {
        return None;
    }
    let word = word.as_str();
    if OPT_OUT.contains(&word) {
        Some(Keyword::OptOut)
    } else if OPT_IN.contains(&word) || (opted_out && word == "YES") {
        Some(Keyword::OptIn)
    } else if HELP.contains(&word) {
        Some(Keyword::Help)
    } else {
        None
    }
}

/// Whether a word is one of the carrier words above; a flow that offers it as an answer could never
/// receive it (and CANCEL, END or QUIT would opt the neighbour out).
pub fn is_carrier_word(word: &str) -> bool {
    let word = word.trim().to_uppercase();
    OPT_OUT.contains(&word.as_str())
        || OPT_IN.contains(&word.as_str())
        || HELP.contains(&word.as_str())
}

/// The carrier opt-out words that sound like ordinary requests; no prompt may ask for them.
pub const SOUNDS_HARMLESS: &[&str] = &["cancel", "end", "quit"];

/// The confirmation for a keyword, in the contact's language when we have it.
pub fn confirmation(keyword: Keyword, language: Option<&str>) -> &'static str {
    let spanish = language == Some("es");
    match (keyword, spanish) {
        (Keyword::OptOut, false) => {
            "You will get no more texts from this line. Reply START to receive texts again."
        }
        (Keyword::OptOut, true) => {
            "No recibirá más mensajes de esta línea. Responda START para volver a recibirlos."
        }
        (Keyword::OptIn, false) => {
            "You can get texts from this line again. Text us what you need. Reply STOP to stop."
        }
        (Keyword::OptIn, true) => {
            "Puede volver a recibir mensajes de esta línea. Escríbanos lo que necesita. Responda STOP para dejar de recibirlos."
        }
        (Keyword::Help, false) => {
            "This is a mutual-aid line run by neighbours. Text us what you need and a volunteer will help. Reply STOP to stop texts."
        }
        (Keyword::Help, true) => {
            "Esta es una línea de ayuda mutua entre vecinos. Escríbanos lo que necesita y alguien le ayudará. Responda STOP para no recibir mensajes."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_carrier_opt_out_word_is_recognised_in_any_case() {
        for w in [
            "STOP",
            "stop",
            " Stop. ",
            "stopall",
            "Unsubscribe",
            "cancel",
            "END",
            "quit!",
            "revoke",
            "OptOut",
        ] {
            assert_eq!(classify(w, false), Some(Keyword::OptOut), "{w}");
        }
    }

    #[test]
    fn a_sentence_containing_stop_is_an_ordinary_message() {
        assert_eq!(classify("please stop by at 5", false), None);
        assert_eq!(classify("stop please", false), None);
        assert_eq!(classify("", false), None);
    }

    #[test]
    fn yes_opts_in_only_while_opted_out() {
        assert_eq!(classify("yes", true), Some(Keyword::OptIn));
        assert_eq!(classify("yes", false), None);
        assert_eq!(classify("UNSTOP", false), Some(Keyword::OptIn));
        assert_eq!(classify("start", true), Some(Keyword::OptIn));
    }

    #[test]
    fn help_and_info_ask_for_help() {
        assert_eq!(classify("help", false), Some(Keyword::Help));
        assert_eq!(classify("Info?", true), Some(Keyword::Help));
    }
}
