//! What a dispatcher asks the desk for, read from text at the edge (a form, a JSON body).

use std::fmt;
use std::str::FromStr;

use super::DeskError;
use crate::lifecycle::{DispatcherStatus, RequestStatus};

/// A text to a neighbour or a volunteer longer than this is more likely a paste gone wrong.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// A status that is not one a dispatcher may set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = DispatcherStatus::ALL.iter().map(|s| s.as_str()).collect();
        write!(
            f,
            "`{}` is not a status a request can be set to; use one of: {}",
            self.0,
            allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownStatus {}

/// A status as a dispatcher types or picks it: any case, spaces or dashes for underscores.
pub fn parse_status(s: &str) -> Result<DispatcherStatus, UnknownStatus> {
    let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    RequestStatus::from_str(&wanted)
        .ok()
        .and_then(|status| DispatcherStatus::try_from(status).ok())
        .ok_or_else(|| UnknownStatus(s.to_string()))
}

/// A dispatcher's text to a neighbour or a volunteer: not empty, not overlong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(String);

impl Message {
    pub fn parse(text: &str) -> Result<Message, DeskError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(DeskError::Invalid(
                "the message is empty; write something first".into(),
            ));
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(DeskError::Invalid(format!(
                "a message can be at most {MAX_MESSAGE_CHARS} characters"
            )));
        }
        Ok(Message(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_read_however_they_are_typed_and_an_unknown_one_lists_the_allowed() {
        assert_eq!(parse_status("picked_up"), Ok(DispatcherStatus::PickedUp));
        assert_eq!(parse_status(" Picked up "), Ok(DispatcherStatus::PickedUp));
        assert_eq!(parse_status("FAILED"), Ok(DispatcherStatus::Failed));
        for status in DispatcherStatus::ALL {
            assert_eq!(parse_status(status.as_str()), Ok(status));
        }
        let e = parse_status("claimed").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`claimed` is not a status a request can be set to; use one of: new, picked_up, \
             delivered, failed, confirmed, cancelled, closed"
        );
    }

    #[test]
    fn a_message_is_trimmed_and_must_say_something_short() {
        assert_eq!(Message::parse("  hello ").unwrap().as_str(), "hello");
        assert!(Message::parse("   ").is_err());
        assert!(Message::parse(&"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
    }
}
