//! The masked relay between a request's neighbour and its volunteer, when it no longer passes
//! messages: who stopped it, and how.

use super::stored_as_text;

/// Why messages between the two sides of a job stop passing. While either holds, nothing either
/// side sends reaches the other; it is kept for the dispatchers instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelayState {
    /// One side reported the other; a dispatcher may resume it.
    Paused,
    /// The volunteer ended their part of the messaging; they may still finish the job.
    Left,
}

stored_as_text!(RelayState, "relay state", {
    Paused => "paused",
    Left => "left",
});

/// A side of the relay: the one who stopped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelaySide {
    Neighbour,
    Volunteer,
}

stored_as_text!(RelaySide, "relay side", {
    Neighbour => "neighbour",
    Volunteer => "volunteer",
});
