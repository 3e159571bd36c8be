//! Calls to a provider's line: each provider takes part in the call harness
//! ([`crate::call_harness`]) through [`Dialled`], beside its other tests, its webhooks signed as
//! its texts are, and goes through the scenarios written once there.

pub use crate::call_harness::{
    CALLER, Call, Dialled, Fields, Webhooks, a_forged_call_leaves_nothing_behind,
    a_hidden_caller_is_told_to_call_showing_their_number,
    a_retried_turn_is_answered_alike_and_taken_once, call_start,
    finish_the_groceries_intake_as_rosa, finish_the_prescription_intake,
    the_first_question_is_answered_by_pressing_2,
};

use super::*;

/// A provider's calls come to `/webhooks/GATEWAY/voice`, posted and signed as its texts are.
impl<F: Provider> Webhooks for F {
    const CONTENT_TYPE: &'static str = F::POSTS;

    fn voice() -> String {
        format!("/webhooks/{}/voice", F::GATEWAY)
    }

    fn signed(app: &TestApp, path: &str, body: &str, signer: Signer) -> Signed {
        F::sign(app, path, body, signer)
    }
}
