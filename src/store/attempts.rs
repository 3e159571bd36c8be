//! `login_attempts`: recent failed sign-ins, each with the username tried and the client's address.

use super::{Conn, StoreError};

/// The failures a sign-in is weighed against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Failures {
    /// For this username from this address.
    pub pair: i64,
    /// From this address, whatever the usernames.
    pub address: i64,
    /// For this username, from every address.
    pub username: i64,
}

/// The failures for `username` and from `address` since `since`, counted in one pass.
pub async fn since(
    conn: &mut Conn,
    username: &str,
    address: &str,
    since: i64,
) -> Result<Failures, StoreError> {
    let (pair, address, username): (i64, i64, i64) = sqlx::query_as(
        "SELECT \
             COALESCE(SUM(CASE WHEN username = $1 AND address = $2 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN address = $2 THEN 1 ELSE 0 END), 0), \
             COALESCE(SUM(CASE WHEN username = $1 THEN 1 ELSE 0 END), 0) \
         FROM login_attempts WHERE at > $3 AND (username = $1 OR address = $2)",
    )
    .bind(username)
    .bind(address)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(Failures {
        pair,
        address,
        username,
    })
}

/// Records a failed sign-in, forgetting those older than `forget_before` (they no longer count).
/// `username` is `None` when no account could have the name typed.
pub async fn record(
    conn: &mut Conn,
    username: Option<&str>,
    address: &str,
    now: i64,
    forget_before: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_attempts WHERE at <= $1")
        .bind(forget_before)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO login_attempts (username, address, at) VALUES ($1, $2, $3)")
        .bind(username)
        .bind(address)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets the failures for `username` from `address`, and only those: a stranger's failures
/// elsewhere keep counting against that stranger.
pub async fn clear(conn: &mut Conn, username: &str, address: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_attempts WHERE username = $1 AND address = $2")
        .bind(username)
        .bind(address)
        .execute(conn)
        .await?;
    Ok(())
}
