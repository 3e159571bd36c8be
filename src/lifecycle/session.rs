//! Why a conversation with the line ended.

use super::stored_as_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionEnd {
    /// The flow reached its end.
    Completed,
    /// The flow handed the person to a dispatcher.
    HandedOff,
    /// The person kept answering off-menu until the flow gave up.
    GaveUp,
    /// The person cancelled their request.
    Cancelled,
    /// The person asked to start again.
    Restarted,
    /// The person texted STOP (or a word like it).
    OptedOut,
    /// The flow the conversation was in is no longer loaded.
    FlowRemoved,
    /// The person went quiet for longer than the flow waits.
    Expired,
}

stored_as_text!(SessionEnd, "session end", {
    Completed => "completed",
    HandedOff => "handed_off",
    GaveUp => "gave_up",
    Cancelled => "cancelled",
    Restarted => "restarted",
    OptedOut => "opted_out",
    FlowRemoved => "flow_removed",
    Expired => "expired",
});
