//! What a request's history records: each event's kind.

use std::str::FromStr;

use super::{RequestStatus, UnknownWord, stored_word};

/// One kind of event in `request_events`. A move to a status is recorded under the status's own
/// word (`claimed`, `delivered`...), so the history reads the same as the statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A flow (or a test, or the command line) filed it.
    Created,
    /// It moved to this status.
    Status(RequestStatus),
    /// A dispatcher gave it to a volunteer.
    Assigned,
    /// Dispatchers were alerted that it needs a person.
    Alert,
    /// A sign-up's answers became a pending volunteer.
    VolunteerPending,
    /// A dispatcher opened its page.
    Viewed,
    /// A dispatcher's note.
    Note,
    /// The neighbour asked again while it was open; what they said was attached.
    Attached,
    /// A dispatcher offered it again.
    Reoffered,
    /// A duplicate was merged into it.
    Merged,
    TextedNeighbour,
    TextedVolunteer,
    /// A dispatcher was shown the neighbour's full number.
    Revealed,
    /// The provider wrote down a message the neighbour left on a call.
    Transcribed,
    /// A dispatcher played a message the neighbour left on a call.
    Played,
    /// One side reported the other through the relay, which is paused; the detail is what
    /// they said after the word, if anything.
    Reported,
    /// The volunteer ended their part of the relay.
    LeftRelay,
    /// A dispatcher let messages pass again after a report.
    RelayResumed,
    /// A message the relay did not pass on, since it was paused or left; the detail is the
    /// message, for the dispatchers.
    Withheld,
}

/// Every kind that is not a status.
const OTHERS: [EventKind; 18] = [
    EventKind::Created,
    EventKind::Assigned,
    EventKind::Alert,
    EventKind::VolunteerPending,
    EventKind::Viewed,
    EventKind::Note,
    EventKind::Attached,
    EventKind::Reoffered,
    EventKind::Merged,
    EventKind::TextedNeighbour,
    EventKind::TextedVolunteer,
    EventKind::Revealed,
    EventKind::Transcribed,
    EventKind::Played,
    EventKind::Reported,
    EventKind::LeftRelay,
    EventKind::RelayResumed,
    EventKind::Withheld,
];

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Status(status) => status.as_str(),
            EventKind::Created => "created",
            EventKind::Assigned => "assigned",
            EventKind::Alert => "alert",
            EventKind::VolunteerPending => "volunteer_pending",
            EventKind::Viewed => "viewed",
            EventKind::Note => "note",
            EventKind::Attached => "attached",
            EventKind::Reoffered => "reoffered",
            EventKind::Merged => "merged",
            EventKind::TextedNeighbour => "texted_neighbour",
            EventKind::TextedVolunteer => "texted_volunteer",
            EventKind::Revealed => "revealed",
            EventKind::Transcribed => "transcribed",
            EventKind::Played => "played",
            EventKind::Reported => "reported",
            EventKind::LeftRelay => "left_relay",
            EventKind::RelayResumed => "relay_resumed",
            EventKind::Withheld => "withheld",
        }
    }
}

impl From<RequestStatus> for EventKind {
    fn from(status: RequestStatus) -> EventKind {
        EventKind::Status(status)
    }
}

impl FromStr for EventKind {
    type Err = UnknownWord;

    fn from_str(s: &str) -> Result<EventKind, UnknownWord> {
        if let Ok(status) = s.parse::<RequestStatus>() {
            return Ok(EventKind::Status(status));
        }
        OTHERS
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownWord {
                what: "request event",
                value: s.to_string(),
            })
    }
}

stored_word!(EventKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_kind_reads_back_as_itself() {
        let statuses = RequestStatus::ALL.iter().map(|s| EventKind::Status(*s));
        for kind in statuses.chain(OTHERS) {
            assert_eq!(kind.as_str().parse(), Ok(kind), "{kind}");
        }
        assert!("claimd".parse::<EventKind>().is_err());
    }
}
