//! A message left on a call, on its way from the provider into the service.

use super::stored_as_text;

/// Where a recording stands. The audio is copied first, then the provider's copy deleted, so a
/// failure at either step leaves nothing lost and the step is tried again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordingState {
    /// The provider has it; we have yet to copy it.
    ToFetch,
    /// We hold the audio; the provider's copy is still to be deleted.
    ToDelete,
    /// Only we hold it.
    Kept,
    /// We hold it, and so does the provider until its own expiry: it offers no way to delete
    /// its copy, or refused every try.
    KeptAtProvider,
    /// It could not be copied after every attempt (the provider lost it, or refuses us).
    Lost,
}

stored_as_text!(RecordingState, "recording state", {
    ToFetch => "to_fetch",
    ToDelete => "to_delete",
    Kept => "kept",
    KeptAtProvider => "kept_at_provider",
    Lost => "lost",
});
