//! `line_pacing`: each rate-limited line's next free sending slot, in microseconds. Kept in the
//! database so that several copies of the service sharing PostgreSQL share one limit.

use super::{Backend, Conn, StoreError};

/// Locks the line's pacing row for the rest of the transaction and returns its next free slot
/// (0 for a line that has never sent).
pub async fn lock(conn: &mut Conn, backend: Backend, line: &str) -> Result<i64, StoreError> {
    sqlx::query(
        "INSERT INTO line_pacing (line, next_free_at) VALUES ($1, 0) ON CONFLICT (line) DO NOTHING",
    )
    .bind(line)
    .execute(&mut *conn)
    .await?;
    let for_update = match backend {
        Backend::Postgres => "FOR UPDATE",
        // SQLite's writer lock, taken by the insert above, already serialises this.
        Backend::Sqlite => "",
    };
    let sql = format!("SELECT next_free_at FROM line_pacing WHERE line = $1 {for_update}");
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(line)
        .fetch_one(conn)
        .await?)
}

pub async fn set(conn: &mut Conn, line: &str, next_free_at: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE line_pacing SET next_free_at = $1 WHERE line = $2")
        .bind(next_free_at)
        .bind(line)
        .execute(conn)
        .await?;
    Ok(())
}
