//! `blocked_numbers` and `block_events`: the block list, as digests only, and who changed it.

use super::{Conn, StoreError};

/// What was done to the block list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockChange {
    Blocked,
    Unblocked,
}

impl BlockChange {
    pub fn as_str(self) -> &'static str {
        match self {
            BlockChange::Blocked => "blocked",
            BlockChange::Unblocked => "unblocked",
        }
    }
}

pub async fn is_blocked(conn: &mut Conn, digest: &str) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM blocked_numbers WHERE digest = $1")
        .bind(digest)
        .fetch_optional(conn)
        .await?;
    Ok(found.is_some())
}

/// Blocks or unblocks the number behind `digest`; whether the list changed.
pub async fn change(
    conn: &mut Conn,
    change: BlockChange,
    digest: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let done = match change {
        BlockChange::Blocked => {
            sqlx::query(
                "INSERT INTO blocked_numbers (digest, blocked_at) VALUES ($1, $2) \
                 ON CONFLICT (digest) DO NOTHING",
            )
            .bind(digest)
            .bind(now)
            .execute(conn)
            .await?
        }
        BlockChange::Unblocked => {
            sqlx::query("DELETE FROM blocked_numbers WHERE digest = $1")
                .bind(digest)
                .execute(conn)
                .await?
        }
    };
    Ok(done.rows_affected() > 0)
}

/// Keeps who changed the block list, from which request if any; never the number.
pub async fn record(
    conn: &mut Conn,
    change: BlockChange,
    actor: &str,
    request_id: Option<i64>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO block_events (kind, actor, request_id, at) VALUES ($1, $2, $3, $4)")
        .bind(change.as_str())
        .bind(actor)
        .bind(request_id)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The request with `code` (the newest, should a code come round again) and its neighbour's
/// number, for blocking them from its page.
pub async fn neighbour_of(
    conn: &mut Conn,
    code: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.id, c.phone FROM requests r JOIN contacts c ON c.id = r.contact_id \
         WHERE r.code = $1 ORDER BY r.id DESC LIMIT 1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await?)
}
