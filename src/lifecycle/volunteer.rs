//! Where a volunteer stands on the roster. Pausing is kept apart (RESUME returns a volunteer to
//! what they were), so it is not a status.

use super::stored_as_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VolunteerStatus {
    /// Signed up by text; gets no offers until an admin approves them.
    Pending,
    /// On the roster: gets offers (unless paused) and can claim by text.
    Active,
    /// Taken off the roster; kept so the history still names them.
    Removed,
}

stored_as_text!(VolunteerStatus, "volunteer status", {
    Pending => "pending",
    Active => "active",
    Removed => "removed",
});
