//! `recordings`: messages left on calls, copied from the provider, then deleted there.

use super::queue::HANDOFF;
use super::{Conn, StoreError};
use crate::lifecycle::RecordingState;

/// A recording the provider says is ready.
pub struct NewRecording<'a> {
    pub call_id: i64,
    /// The caller: the recording goes with the hand-off their message made or joined.
    pub contact_id: i64,
    pub provider_id: &'a str,
    pub duration_seconds: Option<i64>,
}

/// Stores a recording to copy; `None` when the provider told us of it before.
pub async fn add(
    conn: &mut Conn,
    new: &NewRecording<'_>,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO recordings (call_id, request_id, provider_id, duration_seconds, state, \
         next_attempt_at, created_at, updated_at) \
         SELECT $1, (SELECT MAX(id) FROM requests WHERE contact_id = $2 AND queue = $7 \
         AND closed_at IS NULL), $3, $4, $5, $6, $6, $6 \
         ON CONFLICT (call_id, provider_id) DO NOTHING RETURNING id",
    )
    .bind(new.call_id)
    .bind(new.contact_id)
    .bind(new.provider_id)
    .bind(new.duration_seconds)
    .bind(RecordingState::ToFetch)
    .bind(now)
    .bind(HANDOFF)
    .fetch_optional(conn)
    .await?)
}

/// A recording with a step to take at the provider.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: i64,
    pub provider_id: String,
    pub state: RecordingState,
    pub attempts: i64,
    /// The provider's id for the call it was left on.
    pub provider_call_id: String,
    /// The line the call was to, whose gateway holds the recording.
    pub line: String,
}

/// Recordings whose next step is due, oldest first.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.provider_id, r.state, r.attempts, c.call_id AS provider_call_id, c.line \
         FROM recordings r JOIN calls c ON c.id = r.call_id \
         WHERE r.state IN ('to_fetch', 'to_delete') AND r.next_attempt_at <= $1 \
         ORDER BY r.next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The audio is ours: the provider's copy goes next.
pub async fn keep_audio(
    conn: &mut Conn,
    id: i64,
    audio: &[u8],
    content_type: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE recordings SET audio = $1, content_type = $2, state = $3, attempts = 0, \
         next_attempt_at = $4, updated_at = $4 WHERE id = $5",
    )
    .bind(audio)
    .bind(content_type)
    .bind(RecordingState::ToDelete)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Moves a recording to `state` (kept, or lost for good).
pub async fn settle(
    conn: &mut Conn,
    id: i64,
    state: RecordingState,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE recordings SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The step failed for now; it is tried again at `at`.
pub async fn try_again(conn: &mut Conn, id: i64, at: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE recordings SET attempts = attempts + 1, next_attempt_at = $1, updated_at = $2 \
         WHERE id = $3",
    )
    .bind(at)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The provider's transcription of a recording.
pub struct Transcript<'a> {
    pub call_id: i64,
    /// The recording's provider id.
    pub provider_id: &'a str,
    pub text: &'a str,
    /// The transcription's own provider id, when the provider keeps it apart to be deleted.
    pub transcription_id: Option<&'a str>,
}

/// Adds the provider's transcription to the recording it names; a transcription with an id of
/// its own is then due to be deleted at the provider. Gives the request it belongs to.
pub async fn set_transcript(
    conn: &mut Conn,
    transcript: &Transcript<'_>,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE recordings SET transcript = $1, updated_at = $2, transcription_id = $3, \
         transcription_state = CASE WHEN $3 IS NULL THEN transcription_state ELSE $4 END, \
         transcription_attempts = 0, transcription_next_at = $2 \
         WHERE call_id = $5 AND provider_id = $6 RETURNING request_id",
    )
    .bind(transcript.text)
    .bind(now)
    .bind(transcript.transcription_id)
    .bind(TRANSCRIPTION_TO_DELETE)
    .bind(transcript.call_id)
    .bind(transcript.provider_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

pub(super) const TRANSCRIPTION_TO_DELETE: &str = "to_delete";

/// What became of a transcription at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptionFate {
    Deleted,
    /// It could not be deleted; the provider keeps it.
    KeptAtProvider,
}

/// A transcription to delete at the provider.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TranscriptionDue {
    /// The recording's id.
    pub id: i64,
    pub transcription_id: String,
    pub attempts: i64,
    pub line: String,
}

/// Transcriptions whose deletion at the provider is due, oldest first.
pub async fn transcriptions_due(
    conn: &mut Conn,
    now: i64,
    limit: i64,
) -> Result<Vec<TranscriptionDue>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.transcription_id, r.transcription_attempts AS attempts, c.line \
         FROM recordings r JOIN calls c ON c.id = r.call_id \
         WHERE r.transcription_state = $1 AND r.transcription_next_at <= $2 \
         ORDER BY r.transcription_next_at LIMIT $3",
    )
    .bind(TRANSCRIPTION_TO_DELETE)
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// The transcription of recording `id` is settled at the provider.
pub async fn settle_transcription(
    conn: &mut Conn,
    id: i64,
    fate: TranscriptionFate,
    now: i64,
) -> Result<(), StoreError> {
    let state = match fate {
        TranscriptionFate::Deleted => "deleted",
        TranscriptionFate::KeptAtProvider => "kept_at_provider",
    };
    sqlx::query("UPDATE recordings SET transcription_state = $1, updated_at = $2 WHERE id = $3")
        .bind(state)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deleting the transcription of recording `id` failed for now; it is tried again at `at`.
pub async fn try_transcription_again(
    conn: &mut Conn,
    id: i64,
    at: i64,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE recordings SET transcription_attempts = transcription_attempts + 1, \
         transcription_next_at = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(at)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A recording as the request page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    pub id: i64,
    pub duration_seconds: Option<i64>,
    pub transcript: Option<String>,
    pub state: RecordingState,
    pub created_at: i64,
}

/// The recordings left with a request, oldest first.
pub async fn of_request(conn: &mut Conn, request_id: i64) -> Result<Vec<Listed>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, duration_seconds, transcript, state, created_at FROM recordings \
         WHERE request_id = $1 ORDER BY id",
    )
    .bind(request_id)
    .fetch_all(conn)
    .await?)
}

/// A recording's audio and its type, with the request it belongs to.
pub struct Audio {
    pub request_id: Option<i64>,
    pub bytes: Vec<u8>,
    pub content_type: String,
}

/// The audio of recording `id`, once it has been copied.
pub async fn audio(conn: &mut Conn, id: i64) -> Result<Option<Audio>, StoreError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        request_id: Option<i64>,
        audio: Option<Vec<u8>>,
        content_type: Option<String>,
    }
    let row: Option<Row> =
        sqlx::query_as("SELECT request_id, audio, content_type FROM recordings WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(row.and_then(|row| {
        Some(Audio {
            request_id: row.request_id,
            bytes: row.audio?,
            content_type: row.content_type.unwrap_or_else(|| "audio/mpeg".into()),
        })
    }))
}
