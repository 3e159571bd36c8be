//! A text we send: why we send it, and where it stands on its way to the phone.

use super::stored_as_text;

/// Why we are sending a text; compliance confirmations are the one kind an opted-out number gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutboundKind {
    /// An answer to a text that just came in.
    Reply,
    /// The confirmation a STOP or START gets.
    OptOutConfirmation,
    /// The answer to HELP.
    Help,
    /// Sent on our own initiative: a reminder to a quiet conversation, or its end.
    Reminder,
    /// A request offered to a volunteer.
    Offer,
    /// News of a request for the neighbour who asked (claimed, delivered).
    Notice,
    /// A message passed between a volunteer and a neighbour.
    Relay,
    /// A request that needs a person, to the group's dispatchers.
    Alert,
    /// To a caller who hung up mid-way: the question they were at, to answer by text.
    CarryOn,
    /// The last text to someone who asked to be forgotten; it goes too, once the outbox is
    /// done with it.
    Farewell,
}

stored_as_text!(OutboundKind, "outbound kind", {
    Reply => "reply",
    OptOutConfirmation => "opt_out_confirmation",
    Help => "help",
    Reminder => "reminder",
    Offer => "offer",
    Notice => "notice",
    Relay => "relay",
    Alert => "alert",
    CarryOn => "carry_on",
    Farewell => "farewell",
});

impl OutboundKind {
    /// Someone is waiting for it (a reply to their text, a message from the other side of a
    /// job, an alert to a dispatcher): it goes first and is never held back by quiet hours.
    /// Offers, reminders and news can wait.
    pub fn is_urgent(self) -> bool {
        matches!(
            self,
            OutboundKind::Reply
                | OutboundKind::OptOutConfirmation
                | OutboundKind::Help
                | OutboundKind::Relay
                | OutboundKind::Alert
                | OutboundKind::CarryOn
                | OutboundKind::Farewell
        )
    }
}

/// Where a text stands. It only moves forward: queued, then sent, then an end; a late or
/// repeated delivery report never moves it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting in the outbox (to be sent, or to be tried again).
    Queued,
    /// The provider took it.
    Sent,
    /// The provider says it reached the phone.
    Delivered,
    /// The provider says it did not reach the phone.
    Undelivered,
    /// The provider refused it, or it ran out of attempts.
    Failed,
    /// Never sent: the number opted out.
    Suppressed,
    /// Said aloud on a call in answer to the caller; never sent as a text.
    Spoken,
}

stored_as_text!(DeliveryState, "delivery state", {
    Queued => "queued",
    Sent => "sent",
    Delivered => "delivered",
    Undelivered => "undelivered",
    Failed => "failed",
    Suppressed => "suppressed",
    Spoken => "spoken",
});

impl DeliveryState {
    /// The ends a text that was not delivered can come to: what whoever looks after a line
    /// needs to see.
    pub const UNSENT: [DeliveryState; 3] = [
        DeliveryState::Failed,
        DeliveryState::Undelivered,
        DeliveryState::Suppressed,
    ];

    /// How far along it is; a report may only move a text to a higher step. `None` for a state
    /// no provider reports.
    pub fn step(self) -> Option<i64> {
        match self {
            DeliveryState::Queued => Some(0),
            DeliveryState::Sent => Some(1),
            DeliveryState::Delivered | DeliveryState::Undelivered | DeliveryState::Failed => {
                Some(2)
            }
            DeliveryState::Suppressed | DeliveryState::Spoken => None,
        }
    }
}
