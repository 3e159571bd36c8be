//! The copier: brings each message left on a call from the provider into the database, then
//! deletes the provider's copy, so that the only copy is one the group controls (and erases).
//! A step that fails is tried again later, more slowly each time; nothing is dropped.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::gateway::{Deletion, Held, Recordings, SendError};
use crate::lifecycle::RecordingState;
use crate::line::Line;
use crate::store::recordings::{self, Due, TranscriptionDue, TranscriptionFate};
use crate::store::{Db, StoreError};

/// How often due steps are looked for when nobody wakes the copier.
const POLL: Duration = Duration::from_secs(30);
/// A download or delete that is still failing after this many tries is given up: a recording
/// stays `lost` for a person to look into, a provider copy (of a recording or a transcription) is
/// marked as kept at the provider, left for the provider's own expiry.
const MAX_ATTEMPTS: i64 = 12;
/// How many recordings one pass takes.
const BATCH: i64 = 16;

#[derive(Clone)]
pub struct Copier {
    db: Db,
    clock: Clock,
    lines: Arc<[Line]>,
    http: reqwest::Client,
    wake: Arc<Notify>,
}

impl Copier {
    pub fn new(db: Db, clock: Clock, lines: &[Line], wake: Arc<Notify>) -> Copier {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("the HTTP client has no unusual settings");
        Copier {
            db,
            clock,
            lines: lines.into(),
            http,
            wake,
        }
    }

    /// Runs until `shutdown`: a pass whenever woken (a recording arrived) or every [`POLL`].
    pub async fn run(self, shutdown: CancellationToken) {
        loop {
            if let Err(e) = self.copy_due().await {
                tracing::error!(error = %e, "recording pass failed; will try again");
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Takes every step that is due now; returns how many recordings it worked on.
    pub async fn copy_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let (due, transcriptions) = {
            let mut conn = self.db.acquire().await?;
            (
                recordings::due(&mut conn, now, BATCH).await?,
                recordings::transcriptions_due(&mut conn, now, BATCH).await?,
            )
        };
        for recording in &due {
            self.step(recording).await?;
        }
        for transcription in &transcriptions {
            self.delete_transcription(transcription).await?;
        }
        Ok(due.len() + transcriptions.len())
    }

    /// The recordings of the provider that carries `line`, while it still takes messages.
    fn provider(&self, line: &str) -> Option<&dyn Recordings> {
        self.lines
            .iter()
            .find(|l| l.number.as_str() == line)
            .and_then(|l| l.gateway.calls())
            .and_then(|c| c.recordings())
    }

    async fn step(&self, recording: &Due) -> Result<(), StoreError> {
        let Some(provider) = self.provider(&recording.line) else {
            // The line was removed from the settings, or no longer takes messages: only a
            // person can say where its recordings are now.
            tracing::warn!(
                recording = recording.id,
                "a recording's line no longer takes recordings"
            );
            return self.give_up(recording).await;
        };
        let result = match recording.state {
            RecordingState::ToFetch => self.fetch(provider, recording).await?,
            RecordingState::ToDelete => self.delete(provider, recording).await?,
            RecordingState::Kept | RecordingState::KeptAtProvider | RecordingState::Lost => Ok(()),
        };
        let Err(e) = result else {
            return Ok(());
        };
        match retry_at(&e, recording.attempts, self.clock.now_ms()) {
            Some(at) => {
                let mut conn = self.db.acquire().await?;
                recordings::try_again(&mut conn, recording.id, at, self.clock.now_ms()).await
            }
            None => {
                tracing::warn!(recording = recording.id, error = %e, "gave up on a recording step");
                self.give_up(recording).await
            }
        }
    }

    /// Copies the audio; the provider's copy is deleted straight after.
    async fn fetch(
        &self,
        provider: &dyn Recordings,
        recording: &Due,
    ) -> Result<Result<(), SendError>, StoreError> {
        let audio = match provider.fetch(&self.http, held(recording)).await {
            Ok(audio) => audio,
            Err(e) => return Ok(Err(e)),
        };
        let now = self.clock.now_ms();
        {
            let mut conn = self.db.acquire().await?;
            recordings::keep_audio(
                &mut conn,
                recording.id,
                &audio.bytes,
                &audio.content_type,
                now,
            )
            .await?;
        }
        tracing::info!(
            recording = recording.id,
            bytes = audio.bytes.len(),
            "recording copied"
        );
        let copied = Due {
            state: RecordingState::ToDelete,
            attempts: 0,
            ..recording.clone()
        };
        self.delete(provider, &copied).await
    }

    async fn delete(
        &self,
        provider: &dyn Recordings,
        recording: &Due,
    ) -> Result<Result<(), SendError>, StoreError> {
        let state = match provider.delete(&self.http, held(recording)).await {
            Ok(Deletion::Deleted) => RecordingState::Kept,
            Ok(Deletion::NotOffered) => {
                tracing::info!(
                    recording = recording.id,
                    "the provider keeps its copy of the recording until its own expiry"
                );
                RecordingState::KeptAtProvider
            }
            Err(e) => return Ok(Err(e)),
        };
        let mut conn = self.db.acquire().await?;
        recordings::settle(&mut conn, recording.id, state, self.clock.now_ms()).await?;
        Ok(Ok(()))
    }

    /// No more tries: an uncopied recording is lost to us; a copied one is kept, with the
    /// provider's copy left to the provider's own expiry (docs/voice.md says which keep them).
    async fn give_up(&self, recording: &Due) -> Result<(), StoreError> {
        let state = match recording.state {
            RecordingState::ToFetch => RecordingState::Lost,
            _ => RecordingState::KeptAtProvider,
        };
        let mut conn = self.db.acquire().await?;
        recordings::settle(&mut conn, recording.id, state, self.clock.now_ms()).await
    }

    /// Deletes a transcription the provider keeps apart from the recording, once its text is
    /// ours; retried and given up on as the recording's own steps are.
    async fn delete_transcription(&self, due: &TranscriptionDue) -> Result<(), StoreError> {
        let provider = self.provider(&due.line).and_then(|p| p.transcriptions());
        let result = match provider {
            Some(provider) => {
                provider
                    .delete_transcription(&self.http, &due.transcription_id)
                    .await
            }
            // The line no longer carries the provider that holds it.
            None => Ok(Deletion::NotOffered),
        };
        let now = self.clock.now_ms();
        let mut conn = self.db.acquire().await?;
        let fate = match result {
            Ok(Deletion::Deleted) => TranscriptionFate::Deleted,
            Ok(Deletion::NotOffered) => TranscriptionFate::KeptAtProvider,
            Err(e) => match retry_at(&e, due.attempts, self.clock.now_ms()) {
                Some(at) => {
                    return recordings::try_transcription_again(&mut conn, due.id, at, now).await;
                }
                None => {
                    tracing::warn!(recording = due.id, error = %e, "gave up deleting a transcription");
                    TranscriptionFate::KeptAtProvider
                }
            },
        };
        recordings::settle_transcription(&mut conn, due.id, fate, now).await
    }
}

/// The recording as the provider knows it.
fn held(recording: &Due) -> Held<'_> {
    Held {
        call_id: &recording.provider_call_id,
        recording_id: &recording.provider_id,
    }
}

/// When to try a failed call to a provider's API again, at `now` after `attempts` earlier
/// failures; `None` when it is not worth another try. Deleting a forgotten person's texts at
/// the providers gives up by the same rule.
pub fn retry_at(error: &SendError, attempts: i64, now: i64) -> Option<i64> {
    match error {
        SendError::Retryable { retry_after, .. } if attempts + 1 < MAX_ATTEMPTS => {
            let wait = retry_after.unwrap_or_else(|| backoff(attempts));
            Some(now + wait.as_millis() as i64)
        }
        _ => None,
    }
}

/// A minute, doubling each try, at most six hours.
fn backoff(attempts: i64) -> Duration {
    let minutes = 1u64 << attempts.clamp(0, 9);
    Duration::from_secs((minutes * 60).min(6 * 3600))
}
