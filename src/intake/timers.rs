//! Quiet conversations: the reminder after `remind_after`, the end after `expire_after`. And
//! unclaimed requests: a wider wave of offers, then an alert to the dispatchers. Each pass also
//! turns callers the line could not text back into call-backs (`call_backs`).
//!
//! Timers are rows, so they survive restarts. A handled text sets its conversation's timer only
//! when that makes it fire sooner or do something else; otherwise the timer stays and, when it
//! comes due, is put off until the quiet time counted from the last text is over. Firing one
//! takes the contact's lock like a text does, so a reminder never follows an answer.

use super::{Intake, IntakeError};
use crate::dispatch::offers;
use crate::flow::CONTACT_NAME;
use crate::flow::text::render;
use crate::lifecycle::{OutboundKind, SessionEnd};
use crate::store::outbound::{self, NewOutbound};
use crate::store::timers::{self, Due, TimerKind};
use crate::store::{StoreError, contacts, sessions};

/// Timers handled per pass.
const BATCH: i64 = 100;

impl Intake {
    /// Fires every timer that is due; returns how many did something.
    pub async fn fire_due_timers(&self) -> Result<usize, IntakeError> {
        let now = self.core.clock.now_ms();
        let due = {
            let mut conn = self.core.db.acquire().await?;
            timers::due(&mut conn, now, BATCH).await?
        };
        let mut fired = 0;
        for timer in due {
            if self.fire(&timer, now).await? {
                fired += 1;
            }
        }
        fired += self.fire_request_timers(now).await?;
        fired += self.call_back_unreachable(now).await?;
        Ok(fired)
    }

    /// Unclaimed requests whose time is up: a wider wave of offers, or an alert.
    async fn fire_request_timers(&self, now: i64) -> Result<usize, StoreError> {
        let core = &self.core;
        let due = {
            let mut conn = core.db.acquire().await?;
            timers::due_for_requests(&mut conn, now, BATCH).await?
        };
        let mut fired = 0;
        for (timer_id, request_id, kind) in due {
            let mut tx = core.db.begin().await?;
            if timers::take(&mut tx, timer_id, now).await? {
                offers::on_timer(&mut tx, &core.settings.dispatch, request_id, kind, now).await?;
                fired += 1;
            }
            tx.commit().await?;
        }
        if fired > 0 {
            core.outbox_wake.notify_one();
        }
        Ok(fired)
    }

    async fn fire(&self, timer: &Due, now: i64) -> Result<bool, StoreError> {
        let core = &self.core;
        let mut tx = core.db.begin().await?;
        let locked = contacts::lock_many(&mut tx, core.db.backend(), &[timer.contact_id]).await?;
        let active = sessions::active_for(&mut tx, &[timer.contact_id]).await?;
        let session = active.into_iter().find(|a| a.id == timer.session_id);
        let flows = core.flows.current();
        let flow = session.as_ref().and_then(|s| flows.get(&s.session.flow));
        // Texts after the timer was set did not move it (unless it had to fire sooner or do
        // something else): its time is counted again from the last of them.
        let moved_on = sessions::moved_on_at(&mut tx, timer.session_id).await?;
        let meant_for = flow
            .zip(moved_on)
            .and_then(|(flow, moved_on)| flow.idle.first_timer(moved_on))
            .filter(|(kind, _)| *kind == timer.kind)
            .map_or(timer.fire_at, |(_, at)| at);
        if meant_for > now {
            timers::put_off(&mut tx, timer.id, meant_for).await?;
            tx.commit().await?;
            return Ok(false);
        }
        let (Some(contact), Some(session), Some(flow), true) = (
            locked.first(),
            session.as_ref(),
            flow,
            timers::take(&mut tx, timer.id, now).await?,
        ) else {
            // Done by another copy, or the conversation is over: nothing to do.
            tx.commit().await?;
            return Ok(false);
        };
        let texts = match timer.kind {
            TimerKind::Remind => {
                if let Some(at) = flow.idle.expiry_after_reminder(meant_for) {
                    timers::set(&mut tx, &[(session.id, TimerKind::Expire, at)]).await?;
                }
                &flow.idle.remind
            }
            TimerKind::Expire => {
                let ended = [(session.id, &session.session, Some(SessionEnd::Expired))];
                sessions::save_many(&mut tx, &ended, now).await?;
                &flow.idle.expired
            }
        };
        let language = &session.session.language;
        let body = texts.get(language, flow.default_language()).map(|t| {
            render(t, |k| match k {
                CONTACT_NAME => contact.name_to_use.as_deref(),
                _ => session.session.answers.get(k).map(String::as_str),
            })
        });
        let queued = match body {
            Some(body) if !contact.is_opted_out() => {
                let reply = NewOutbound {
                    contact_id: contact.id,
                    line: &session.line,
                    to: &contact.phone,
                    body: &body,
                    kind: OutboundKind::Reminder,
                    inbound_id: None,
                    spoken: false,
                    spoken_audio: None,
                };
                outbound::enqueue_many(&mut tx, &[reply], now).await?;
                true
            }
            _ => false,
        };
        tx.commit().await?;
        if queued {
            core.outbox_wake.notify_one();
        }
        tracing::info!(session_id = session.id, kind = ?timer.kind, "timer fired");
        Ok(true)
    }
}
