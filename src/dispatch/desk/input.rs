//! What a dispatcher asks the desk for, read from text at the edge (a form, a JSON body).

use std::fmt;
use std::str::FromStr;

use super::DeskError;

/// A text to a neighbour or a volunteer longer than this is more likely a paste gone wrong.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// A status a dispatcher may set. `offered` and `claimed` are reached by re-offering and
/// assigning instead, since they need volunteers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Back in the queue: whoever held it is told, and it is offered again.
    New,
    PickedUp,
    /// The neighbour is asked whether it arrived.
    Delivered,
    /// Needs a reason.
    Failed,
    Confirmed,
    /// As if the neighbour cancelled it, and they are told.
    Cancelled,
    Closed,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::PickedUp,
        Status::Delivered,
        Status::Failed,
        Status::Confirmed,
        Status::Cancelled,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::PickedUp => "picked_up",
            Status::Delivered => "delivered",
            Status::Failed => "failed",
            Status::Confirmed => "confirmed",
            Status::Cancelled => "cancelled",
            Status::Closed => "closed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status that is not one a dispatcher may set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownStatus(pub String);

impl fmt::Display for UnknownStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
        write!(
            f,
            "`{}` is not a status a request can be set to; use one of: {}",
            self.0,
            allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownStatus {}

impl FromStr for Status {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Status, UnknownStatus> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Status::ALL
            .into_iter()
            .find(|status| status.as_str() == wanted)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
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
        assert_eq!("picked_up".parse(), Ok(Status::PickedUp));
        assert_eq!(" Picked up ".parse(), Ok(Status::PickedUp));
        assert_eq!("FAILED".parse(), Ok(Status::Failed));
        for status in Status::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        let e = "claimed".parse::<Status>().unwrap_err();
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
