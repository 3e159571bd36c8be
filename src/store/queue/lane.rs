//! The lanes of the queue page: what a dispatcher must do about a request, decided from its
//! typed status and, for the two queues people rather than volunteers answer, its queue.

use std::str::FromStr;

use super::HANDOFF;
use crate::dispatch::SIGN_UP_QUEUE;
use crate::lifecycle::RequestStatus;

/// In the order a dispatcher should look at them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lane {
    /// A flow handed the conversation to a person, or a volunteer could not do it.
    Person,
    /// Nobody holds it yet: new, or offered and unanswered.
    Waiting,
    /// A volunteer holds it: claimed or picked up.
    InProgress,
    /// The volunteer says it arrived; the neighbour has not confirmed it yet.
    Delivered,
    /// Somebody asked to volunteer; an admin approves or declines them on the volunteers page.
    SignUps,
}

impl Lane {
    pub const ALL: [Lane; 5] = [
        Lane::Person,
        Lane::Waiting,
        Lane::InProgress,
        Lane::Delivered,
        Lane::SignUps,
    ];

    /// The lane of an open request, `alerted` if dispatchers were told it needs a person;
    /// `None` for one that has ended.
    pub fn of(queue: &str, status: RequestStatus, alerted: bool) -> Option<Lane> {
        use RequestStatus::*;
        if queue == SIGN_UP_QUEUE {
            return status.is_open().then_some(Lane::SignUps);
        }
        match status {
            // Nobody offers a hand-off to volunteers, and an alert says the offers are not
            // working: until a dispatcher acts, a person waits.
            New | Offered if queue == HANDOFF || alerted => Some(Lane::Person),
            Failed => Some(Lane::Person),
            New | Offered => Some(Lane::Waiting),
            Claimed | PickedUp => Some(Lane::InProgress),
            Delivered => Some(Lane::Delivered),
            Confirmed | Cancelled | Closed => None,
        }
    }

    /// As it is named in addresses and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::Person => "person",
            Lane::Waiting => "waiting",
            Lane::InProgress => "in_progress",
            Lane::Delivered => "delivered",
            Lane::SignUps => "sign_ups",
        }
    }

    /// Hand-offs and sign-ups wait on a person whatever the queue filter names, so it never
    /// hides them.
    pub fn has_own_lane(queue: &str) -> bool {
        queue == HANDOFF || queue == SIGN_UP_QUEUE
    }
}

impl FromStr for Lane {
    type Err = ();

    fn from_str(s: &str) -> Result<Lane, ()> {
        Lane::ALL.into_iter().find(|l| l.as_str() == s).ok_or(())
    }
}

impl serde::Serialize for Lane {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestStatus::*;

    #[test]
    fn a_request_moves_through_the_lanes_as_its_status_moves() {
        let lanes: Vec<_> = [New, Offered, Claimed, PickedUp, Delivered, Confirmed]
            .into_iter()
            .map(|s| Lane::of("groceries", s, false))
            .collect();
        assert_eq!(
            lanes,
            [
                Some(Lane::Waiting),
                Some(Lane::Waiting),
                Some(Lane::InProgress),
                Some(Lane::InProgress),
                Some(Lane::Delivered),
                None
            ]
        );
    }

    #[test]
    fn hand_offs_and_failures_ask_for_a_person_and_sign_ups_wait_apart() {
        assert_eq!(Lane::of(HANDOFF, New, false), Some(Lane::Person));
        assert_eq!(Lane::of("groceries", Failed, false), Some(Lane::Person));
        assert_eq!(
            Lane::of(HANDOFF, Claimed, false),
            Some(Lane::InProgress),
            "a dispatcher gave it to a volunteer"
        );
        assert_eq!(Lane::of(SIGN_UP_QUEUE, New, false), Some(Lane::SignUps));
        assert_eq!(Lane::of(SIGN_UP_QUEUE, Closed, false), None);
    }

    #[test]
    fn a_request_the_dispatchers_were_alerted_about_waits_for_a_person_until_someone_takes_it() {
        assert_eq!(Lane::of("groceries", Offered, true), Some(Lane::Person));
        assert_eq!(Lane::of("groceries", Claimed, true), Some(Lane::InProgress));
    }

    #[test]
    fn every_lane_reads_back_from_its_name() {
        for lane in Lane::ALL {
            assert_eq!(lane.as_str().parse(), Ok(lane));
        }
        assert_eq!("sideways".parse::<Lane>(), Err(()));
    }
}
