//! Copies of a forgotten person's texts and recordings at the providers, waiting to be deleted
//! there. A row holds what the provider's API needs (which gateway, which line, what kind, the
//! provider's ids) and nothing that says whose they were.

use super::recordings::TRANSCRIPTION_TO_DELETE;
use super::{Conn, StoreError};
use crate::lifecycle::{Channel, RecordingState};

/// What the line says of a copy it could not delete.
const KEPT: &str = "kept";
const PENDING: &str = "pending";

/// What a copy at a provider is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    /// A text the person sent.
    TextIn,
    /// A text the line sent them.
    TextOut,
    /// A message left on a call, not yet deleted there by the copier.
    Recording,
    /// The provider's transcription of one, not yet deleted there.
    Transcription,
}

impl CopyKind {
    fn as_str(self) -> &'static str {
        match self {
            CopyKind::TextIn => "text_in",
            CopyKind::TextOut => "text_out",
            CopyKind::Recording => "recording",
            CopyKind::Transcription => "transcription",
        }
    }

    fn from_stored(kind: &str) -> Option<CopyKind> {
        [
            CopyKind::TextIn,
            CopyKind::TextOut,
            CopyKind::Recording,
            CopyKind::Transcription,
        ]
        .into_iter()
        .find(|k| k.as_str() == kind)
    }
}

/// A copy due for deletion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub id: i64,
    pub gateway: String,
    pub line: String,
    /// `None` for a kind this version does not know (noted by a later one): it is kept.
    pub kind: Option<CopyKind>,
    pub provider_id: String,
    /// The provider's call, for a recording.
    pub call_id: Option<String>,
    /// Counting the tries before this one.
    pub attempts: i64,
}

type DueRow = (i64, String, String, String, String, Option<String>, i64);

/// Notes the provider's copy of every text to and from the contact, before their rows go.
/// A text without an id of the provider's (a repeat key we made, a text never sent) has
/// nothing to delete, nor has a turn of a call (its recordings are noted on their own).
pub async fn note_texts_of(conn: &mut Conn, contact_id: i64, now: i64) -> Result<u64, StoreError> {
    let inbound = sqlx::query(
        "INSERT INTO provider_deletions \
         (gateway, line, kind, provider_id, state, attempts, next_attempt_at, created_at, updated_at) \
         SELECT gateway, line, $2, gateway_id, $3, 0, $4, $4, $4 FROM inbound_messages \
         WHERE contact_id = $1 AND channel = $5 AND gateway_id NOT LIKE 'content:%'",
    )
    .bind(contact_id)
    .bind(CopyKind::TextIn.as_str())
    .bind(PENDING)
    .bind(now)
    .bind(Channel::Sms)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // A text out is taken as carried by the gateway its line was last heard through (an
    // outbound row does not say).
    let outbound = sqlx::query(
        "INSERT INTO provider_deletions \
         (gateway, line, kind, provider_id, state, attempts, next_attempt_at, created_at, updated_at) \
         SELECT x.gateway, x.line, $2, x.gateway_id, $3, 0, $4, $4, $4 FROM \
         (SELECT o.line, o.gateway_id, (SELECT i.gateway FROM inbound_messages i \
                 WHERE i.line = o.line ORDER BY i.id DESC LIMIT 1) AS gateway \
          FROM outbound_messages o WHERE o.contact_id = $1 AND o.gateway_id IS NOT NULL) x \
         WHERE x.gateway IS NOT NULL",
    )
    .bind(contact_id)
    .bind(CopyKind::TextOut.as_str())
    .bind(PENDING)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inbound + outbound)
}

/// Notes one copy at `gateway` for `line`: a text the outbox sent after its person was
/// forgotten (their last one).
pub async fn note(
    conn: &mut Conn,
    gateway: &str,
    line: &str,
    provider_id: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO provider_deletions \
         (gateway, line, kind, provider_id, state, attempts, next_attempt_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $6)",
    )
    .bind(gateway)
    .bind(line)
    .bind(CopyKind::TextOut.as_str())
    .bind(provider_id)
    .bind(PENDING)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Notes the provider's copies of the messages the contact left on calls that the copier has
/// not deleted there yet (not copied, or copied and not yet deleted), and of their
/// transcriptions, before the rows that name them go.
pub async fn note_recordings_of(
    conn: &mut Conn,
    contact_id: i64,
    now: i64,
) -> Result<u64, StoreError> {
    let at_provider = [RecordingState::ToFetch, RecordingState::ToDelete];
    let recordings = sqlx::query(
        "INSERT INTO provider_deletions (gateway, line, kind, provider_id, call_id, state, \
         attempts, next_attempt_at, created_at, updated_at) \
         SELECT c.gateway, c.line, $2, r.provider_id, c.call_id, $3, 0, $4, $4, $4 \
         FROM recordings r JOIN calls c ON c.id = r.call_id \
         WHERE c.contact_id = $1 AND r.state IN ($5, $6)",
    )
    .bind(contact_id)
    .bind(CopyKind::Recording.as_str())
    .bind(PENDING)
    .bind(now)
    .bind(at_provider[0])
    .bind(at_provider[1])
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let transcriptions = sqlx::query(
        "INSERT INTO provider_deletions (gateway, line, kind, provider_id, call_id, state, \
         attempts, next_attempt_at, created_at, updated_at) \
         SELECT c.gateway, c.line, $2, r.transcription_id, c.call_id, $3, 0, $4, $4, $4 \
         FROM recordings r JOIN calls c ON c.id = r.call_id \
         WHERE c.contact_id = $1 AND r.transcription_state = $5",
    )
    .bind(contact_id)
    .bind(CopyKind::Transcription.as_str())
    .bind(PENDING)
    .bind(now)
    .bind(TRANSCRIPTION_TO_DELETE)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(recordings + transcriptions)
}

/// Copies whose deletion is due at `now`, oldest first.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<Due>, StoreError> {
    let rows: Vec<DueRow> = sqlx::query_as(
        "SELECT id, gateway, line, kind, provider_id, call_id, attempts FROM provider_deletions \
         WHERE state = $1 AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3",
    )
    .bind(PENDING)
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, gateway, line, kind, provider_id, call_id, attempts)| Due {
                id,
                gateway,
                line,
                kind: CopyKind::from_stored(&kind),
                provider_id,
                call_id,
                attempts,
            },
        )
        .collect())
}

/// The provider deleted its copy: nothing is left to say about it.
pub async fn deleted(conn: &mut Conn, id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM provider_deletions WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A try failed in a way worth another at `at`.
pub async fn try_again(conn: &mut Conn, id: i64, at: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE provider_deletions SET attempts = attempts + 1, next_attempt_at = $1, \
         updated_at = $2 WHERE id = $3",
    )
    .bind(at)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The copy stays at the provider until its own expiry: no way to delete it, or no more tries.
pub async fn kept(conn: &mut Conn, id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE provider_deletions SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(KEPT)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
