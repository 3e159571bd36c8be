//! What a volunteer did with an offer.

use super::stored_as_text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OfferAnswer {
    /// Their claim won (or a dispatcher gave it to them).
    Claimed,
    /// They said YES after someone else had taken it; they may try again if it comes back.
    Late,
    /// They turned it down.
    Declined,
    /// They took it, then gave it back.
    Dropped,
    /// A dispatcher took it back from them.
    Released,
}

stored_as_text!(OfferAnswer, "offer answer", {
    Claimed => "claimed",
    Late => "late",
    Declined => "declined",
    Dropped => "dropped",
    Released => "released",
});
