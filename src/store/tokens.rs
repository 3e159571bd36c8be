//! `api_tokens`: the bearer tokens other programs use for the JSON API, kept as SHA-256 digests.

use super::{Conn, StoreError};

/// A token as admins see it listed; never its digest.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiToken {
    pub name: String,
    /// The display name of the admin who made it; `None` for one made on the command line.
    pub created_by: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

pub struct NewToken<'a> {
    pub name: &'a str,
    pub token_sha256: &'a str,
    pub created_by: Option<i64>,
}

/// Adds a token; `false` when the name is taken, by a revoked token too.
pub async fn add(conn: &mut Conn, new: &NewToken<'_>, now: i64) -> Result<bool, StoreError> {
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO api_tokens (name, token_sha256, created_by, created_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(new.name)
    .bind(new.token_sha256)
    .bind(new.created_by)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(id.is_some())
}

/// Every token, newest first, revoked ones included.
pub async fn all(conn: &mut Conn) -> Result<Vec<ApiToken>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.name, u.display_name AS created_by, t.created_at, t.last_used_at, t.revoked_at \
         FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by \
         ORDER BY t.created_at DESC, t.id DESC",
    )
    .fetch_all(conn)
    .await?)
}

/// The name of the unrevoked token with this digest, which is marked as used now.
pub async fn use_token(
    conn: &mut Conn,
    token_sha256: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar(
        "UPDATE api_tokens SET last_used_at = $1 \
         WHERE token_sha256 = $2 AND revoked_at IS NULL RETURNING name",
    )
    .bind(now)
    .bind(token_sha256)
    .fetch_optional(conn)
    .await?)
}

/// Revokes the token with this name; `false` when there is no such unrevoked token.
pub async fn revoke(conn: &mut Conn, name: &str, now: i64) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(name)
            .execute(conn)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every token `user_id` made that is still in use; how many there were.
pub async fn revoke_made_by(conn: &mut Conn, user_id: i64, now: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE created_by = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
