//! How urgent a request is: the priority its flow gave it and how long it has waited, together.
//! Each step of priority counts as an hour of waiting, so a request a flow marked 2 starts where
//! an unmarked one stands after two hours, and the thresholds are those the waiting times are
//! coloured by.

const MINUTE_MS: i64 = 60 * 1000;
/// The wait one step of the flow's priority is worth.
const PRIORITY_STEP_MINUTES: i64 = 60;
/// From here on a request needs doing soon.
const SOON_MINUTES: i64 = 30;
/// From here on it is urgent.
const URGENT_MINUTES: i64 = 120;

/// A score in minutes of waiting: higher is more urgent.
pub fn score(priority: i64, waited_ms: i64) -> i64 {
    (waited_ms / MINUTE_MS).max(0) + priority.saturating_mul(PRIORITY_STEP_MINUTES)
}

/// The score in words, worst last, so they compare in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    CanWait,
    Soon,
    Urgent,
}

impl Urgency {
    pub fn of(score: i64) -> Urgency {
        match score {
            URGENT_MINUTES.. => Urgency::Urgent,
            SOON_MINUTES.. => Urgency::Soon,
            _ => Urgency::CanWait,
        }
    }

    /// How a dispatcher says it; also the CSS class that colours it.
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::CanWait => "can wait",
            Urgency::Soon => "soon",
            Urgency::Urgent => "urgent",
        }
    }

    /// A name without spaces, for a CSS class.
    pub fn class(self) -> &'static str {
        match self {
            Urgency::CanWait => "can-wait",
            Urgency::Soon => "soon",
            Urgency::Urgent => "urgent",
        }
    }
}

impl serde::Serialize for Urgency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urgency(priority: i64, minutes: i64) -> Urgency {
        Urgency::of(score(priority, minutes * MINUTE_MS))
    }

    #[test]
    fn an_unmarked_request_grows_urgent_as_it_waits() {
        assert_eq!(urgency(0, 0), Urgency::CanWait);
        assert_eq!(urgency(0, 29), Urgency::CanWait);
        assert_eq!(urgency(0, 30), Urgency::Soon);
        assert_eq!(urgency(0, 119), Urgency::Soon);
        assert_eq!(urgency(0, 120), Urgency::Urgent);
    }

    #[test]
    fn each_step_of_the_flows_priority_counts_as_an_hour_of_waiting() {
        assert_eq!(urgency(1, 0), Urgency::Soon);
        assert_eq!(urgency(1, 60), Urgency::Urgent);
        assert_eq!(urgency(2, 0), Urgency::Urgent);
        assert!(score(2, 0) > score(0, 90 * MINUTE_MS));
        assert_eq!(
            urgency(-1, 60),
            Urgency::CanWait,
            "a flow may mark one as less urgent"
        );
    }

    #[test]
    fn a_clock_that_went_back_or_a_huge_priority_breaks_nothing() {
        assert_eq!(score(0, -5 * MINUTE_MS), 0);
        assert_eq!(Urgency::of(score(i64::MAX, 0)), Urgency::Urgent);
    }
}
