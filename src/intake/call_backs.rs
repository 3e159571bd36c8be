//! Callers the line cannot text back. A caller who hung up mid-way is texted the question they
//! were at; when that text fails or is reported undelivered (a landline: Twilio's 30006 and its
//! kin), their conversation goes to a person instead, as a call-back with the answers so far.

use super::Intake;
use crate::dispatch;
use crate::lifecycle::SessionEnd;
use crate::store::outbound::{self, Unreachable};
use crate::store::queue::HANDOFF;
use crate::store::requests::NewRequest;
use crate::store::{StoreError, contacts, sessions};

/// Why a call-back is on the hand-off lane, as dispatchers read it.
const REASON: &str = "called, hung up before the end, and cannot get texts: call them back";
/// Followed up per pass.
const BATCH: i64 = 100;

impl Intake {
    /// Turns every caller the line could not text back into a call-back; returns how many.
    pub(super) async fn call_back_unreachable(&self, now: i64) -> Result<usize, StoreError> {
        let unreachable = {
            let mut conn = self.core.db.acquire().await?;
            outbound::unreachable_callers(&mut conn, BATCH).await?
        };
        let mut filed = 0;
        for text in &unreachable {
            if self.call_back(text, now).await? {
                filed += 1;
            }
        }
        if filed > 0 {
            self.core.outbox_wake.notify_one();
        }
        Ok(filed)
    }

    /// Under the caller's lock: their conversation, if it is still waiting on them, ends in a
    /// hand-off. One who answered meanwhile (by calling again) needs nothing.
    async fn call_back(&self, text: &Unreachable, now: i64) -> Result<bool, StoreError> {
        let core = &self.core;
        let mut tx = core.db.begin().await?;
        contacts::lock_many(&mut tx, core.db.backend(), &[text.contact_id]).await?;
        let active = sessions::active_for(&mut tx, &[text.contact_id]).await?;
        let filed = match active.into_iter().next() {
            Some(waiting) => {
                let ended = [(waiting.id, &waiting.session, Some(SessionEnd::HandedOff))];
                sessions::save_many(&mut tx, &ended, now).await?;
                let mut fields = waiting.session.answers.clone();
                fields.insert("handoff_reason".into(), REASON.into());
                let new = NewRequest {
                    contact_id: text.contact_id,
                    line: &text.line,
                    queue: HANDOFF,
                    fields: &fields,
                    priority: 0,
                    session_id: Some(waiting.id),
                    actor: "line",
                };
                dispatch::file(&mut tx, &core.settings.dispatch, &new, now).await?;
                true
            }
            None => false,
        };
        outbound::followed_up(&mut tx, text.id, now).await?;
        tx.commit().await?;
        Ok(filed)
    }
}
