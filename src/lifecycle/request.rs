//! A request's status, and the rules of its moves.

use super::stored_as_text;

/// Where a request stands. `docs/dispatch.md` draws the moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestStatus {
    /// Filed, or back in the queue; nobody holds it.
    New,
    /// Texted to volunteers; nobody has taken it yet.
    Offered,
    /// A volunteer took it (by text or a dispatcher's assignment).
    Claimed,
    /// The shopping is done or the pickup made; on the way.
    PickedUp,
    /// The volunteer says it arrived; the neighbour is asked to confirm.
    Delivered,
    /// It could not be done; it waits for a dispatcher.
    Failed,
    /// The neighbour says it arrived. Ends it.
    Confirmed,
    /// The neighbour (or a dispatcher for them) called it off. Ends it.
    Cancelled,
    /// A dispatcher ended it (done another way, or a duplicate). Ends it.
    Closed,
}

stored_as_text!(RequestStatus, "request status", {
    New => "new",
    Offered => "offered",
    Claimed => "claimed",
    PickedUp => "picked_up",
    Delivered => "delivered",
    Failed => "failed",
    Confirmed => "confirmed",
    Cancelled => "cancelled",
    Closed => "closed",
});

impl RequestStatus {
    /// The statuses a volunteer holds a request in, working on it.
    pub const HELD: [RequestStatus; 2] = [RequestStatus::Claimed, RequestStatus::PickedUp];
    /// The statuses in which nobody holds it and a claim can take it.
    pub const CLAIMABLE: [RequestStatus; 2] = [RequestStatus::New, RequestStatus::Offered];

    /// Still on the queue; the others end a request for good.
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            RequestStatus::Confirmed | RequestStatus::Cancelled | RequestStatus::Closed
        )
    }

    /// A volunteer holds it and is working on it.
    pub fn is_held(self) -> bool {
        Self::HELD.contains(&self)
    }

    /// Nobody holds it, so an offer or a claim may go to it.
    pub fn is_claimable(self) -> bool {
        Self::CLAIMABLE.contains(&self)
    }

    /// Whether a dispatcher may set it directly (see [`DispatcherStatus`]).
    pub fn dispatcher_may_set(self) -> bool {
        DispatcherStatus::try_from(self).is_ok()
    }

    /// Moving here lets go of the volunteer who held it (a failed request keeps who tried, for
    /// the record).
    pub fn releases_volunteer(self) -> bool {
        self == RequestStatus::New
    }

    /// Whether a request may move from `self` to `to`: nothing moves once it has ended; offers
    /// and claims need nobody holding it; picked up and delivered need somebody holding it.
    pub fn can_move_to(self, to: RequestStatus) -> bool {
        self.is_open()
            && match to {
                RequestStatus::Offered | RequestStatus::Claimed => self.is_claimable(),
                RequestStatus::PickedUp | RequestStatus::Delivered => self.is_held(),
                _ => true,
            }
    }

    /// The statuses a request may come to `self` from.
    pub fn moves_from(self) -> Vec<RequestStatus> {
        Self::ALL
            .iter()
            .copied()
            .filter(|from| from.can_move_to(self))
            .collect()
    }
}

/// A status a dispatcher may set directly. `offered` and `claimed` are reached by offering and
/// assigning instead, since they need volunteers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatcherStatus {
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

impl DispatcherStatus {
    pub const ALL: [DispatcherStatus; 7] = [
        DispatcherStatus::New,
        DispatcherStatus::PickedUp,
        DispatcherStatus::Delivered,
        DispatcherStatus::Failed,
        DispatcherStatus::Confirmed,
        DispatcherStatus::Cancelled,
        DispatcherStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        RequestStatus::from(self).as_str()
    }
}

impl From<DispatcherStatus> for RequestStatus {
    fn from(status: DispatcherStatus) -> RequestStatus {
        match status {
            DispatcherStatus::New => RequestStatus::New,
            DispatcherStatus::PickedUp => RequestStatus::PickedUp,
            DispatcherStatus::Delivered => RequestStatus::Delivered,
            DispatcherStatus::Failed => RequestStatus::Failed,
            DispatcherStatus::Confirmed => RequestStatus::Confirmed,
            DispatcherStatus::Cancelled => RequestStatus::Cancelled,
            DispatcherStatus::Closed => RequestStatus::Closed,
        }
    }
}

impl TryFrom<RequestStatus> for DispatcherStatus {
    type Error = RequestStatus;

    fn try_from(status: RequestStatus) -> Result<DispatcherStatus, RequestStatus> {
        DispatcherStatus::ALL
            .into_iter()
            .find(|s| RequestStatus::from(*s) == status)
            .ok_or(status)
    }
}

impl std::fmt::Display for DispatcherStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::RequestStatus::*;
    use super::*;

    #[test]
    fn every_status_reads_back_as_itself_and_an_unknown_word_is_an_error() {
        for status in RequestStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(*status));
        }
        let e = "Claimed".parse::<RequestStatus>().unwrap_err();
        assert_eq!(e.to_string(), "`Claimed` is not a known request status");
    }

    #[test]
    fn an_ended_request_moves_nowhere() {
        for ended in [Confirmed, Cancelled, Closed] {
            assert!(RequestStatus::ALL.iter().all(|to| !ended.can_move_to(*to)));
        }
    }

    #[test]
    fn only_an_unheld_request_is_claimed_and_only_a_held_one_is_delivered() {
        assert_eq!(Claimed.moves_from(), [New, Offered]);
        assert_eq!(Offered.moves_from(), [New, Offered]);
        assert_eq!(Delivered.moves_from(), [Claimed, PickedUp]);
        assert_eq!(PickedUp.moves_from(), [Claimed, PickedUp]);
        assert_eq!(
            New.moves_from(),
            [New, Offered, Claimed, PickedUp, Delivered, Failed]
        );
    }

    #[test]
    fn a_dispatcher_sets_all_but_the_two_that_need_volunteers() {
        let set: Vec<_> = RequestStatus::ALL
            .iter()
            .filter(|s| s.dispatcher_may_set())
            .collect();
        assert_eq!(
            set,
            [
                &New, &PickedUp, &Delivered, &Failed, &Confirmed, &Cancelled, &Closed
            ]
        );
    }
}
