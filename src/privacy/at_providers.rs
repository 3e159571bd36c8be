//! The deleter: deletes at the providers the copies a forgotten person left there (the texts
//! they sent and were sent, messages left on calls the copier had not yet deleted there, and
//! their transcriptions), as noted when they were forgotten. A failed try is tried again
//! later, more slowly each time, and given up as the recording copier gives up: the copy is
//! then kept at the provider until its own expiry, as is one the provider offers no way to
//! delete.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::gateway::{Deletion, Gateway, Held, SendError, TextWay};
use crate::line::Line;
use crate::store::provider_copies::{self, CopyKind, Due};
use crate::store::{Db, StoreError};
use crate::voice::recordings::retry_at;

/// How often due deletions are looked for when nobody wakes the deleter.
const POLL: Duration = Duration::from_secs(60);
/// How many copies one pass takes.
const BATCH: i64 = 32;

#[derive(Clone)]
pub struct Deleter {
    db: Db,
    clock: Clock,
    lines: Arc<[Line]>,
    http: reqwest::Client,
}

impl Deleter {
    pub fn new(db: Db, clock: Clock, lines: &[Line]) -> Deleter {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("the HTTP client has no unusual settings");
        Deleter {
            db,
            clock,
            lines: lines.into(),
            http,
        }
    }

    /// Runs until `shutdown`: a pass every [`POLL`] (a provider may refuse to delete a text for
    /// a minute after it, so there is no hurry).
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.delete_due().await {
                tracing::error!(error = %e, "deleting at the providers failed; will try again");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Tries every deletion due now; returns how many it tried.
    pub async fn delete_due(&self) -> Result<usize, StoreError> {
        let due = {
            let mut conn = self.db.acquire().await?;
            provider_copies::due(&mut conn, self.clock.now_ms(), BATCH).await?
        };
        for copy in &due {
            self.delete(copy).await?;
        }
        Ok(due.len())
    }

    async fn delete(&self, copy: &Due) -> Result<(), StoreError> {
        // Only the gateway that carried it can delete it; a line since moved to another
        // provider, or removed, leaves the copy where it is.
        let gateway = self
            .lines
            .iter()
            .find(|l| l.number.as_str() == copy.line && l.gateway.name() == copy.gateway)
            .map(|l| &l.gateway);
        let result = match (gateway, copy.kind) {
            (Some(gateway), Some(kind)) => self.delete_at(gateway.as_ref(), kind, copy).await,
            _ => Ok(Deletion::NotOffered),
        };
        let now = self.clock.now_ms();
        let mut conn = self.db.acquire().await?;
        match result {
            Ok(Deletion::Deleted) => provider_copies::deleted(&mut conn, copy.id).await,
            Ok(Deletion::NotOffered) => {
                tracing::info!(
                    copy = copy.id,
                    gateway = copy.gateway,
                    "the provider keeps its copy of a text"
                );
                provider_copies::kept(&mut conn, copy.id, now).await
            }
            Err(e) => match retry_at(&e, copy.attempts, now) {
                Some(at) => provider_copies::try_again(&mut conn, copy.id, at, now).await,
                None => {
                    tracing::warn!(copy = copy.id, error = %e, "gave up deleting a copy at its provider");
                    provider_copies::kept(&mut conn, copy.id, now).await
                }
            },
        }
    }

    /// Asks `gateway` to delete the copy, as its API for that kind does.
    async fn delete_at(
        &self,
        gateway: &dyn Gateway,
        kind: CopyKind,
        copy: &Due,
    ) -> Result<Deletion, SendError> {
        let recordings = gateway.calls().and_then(|c| c.recordings());
        match kind {
            CopyKind::TextIn => {
                let id = &copy.provider_id;
                gateway.delete_message(&self.http, id, TextWay::In).await
            }
            CopyKind::TextOut => {
                let id = &copy.provider_id;
                gateway.delete_message(&self.http, id, TextWay::Out).await
            }
            CopyKind::Recording => match recordings {
                Some(recordings) => {
                    let held = Held {
                        call_id: copy.call_id.as_deref().unwrap_or_default(),
                        recording_id: &copy.provider_id,
                    };
                    recordings.delete(&self.http, held).await
                }
                None => Ok(Deletion::NotOffered),
            },
            CopyKind::Transcription => match recordings.and_then(|r| r.transcriptions()) {
                Some(t) => t.delete_transcription(&self.http, &copy.provider_id).await,
                None => Ok(Deletion::NotOffered),
            },
        }
    }
}
