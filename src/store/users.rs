//! `users` and `web_sessions`: who may sign in to the dispatcher pages, and the browsers signed in
//! now.

use super::{Conn, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// `dispatcher` or `admin`.
    pub role: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
}

pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
}

/// Adds an account; `None` when the username is taken.
pub async fn add(conn: &mut Conn, new: &NewUser<'_>, now: i64) -> Result<Option<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (username, display_name, role, password_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(new.username)
    .bind(new.display_name)
    .bind(new.role)
    .bind(new.password_hash)
    .bind(now)
    .fetch_optional(conn)
    .await?)
}

/// Every account by username, disabled ones included; never their password hashes.
pub async fn all(conn: &mut Conn) -> Result<Vec<User>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, username, display_name, role, created_at, disabled_at FROM users \
         ORDER BY username",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn count(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(conn)
        .await?)
}

/// Disables the account (`Some(when)`) or enables it again (`None`); the account's id, or `None`
/// when no account has this username.
pub async fn set_disabled(
    conn: &mut Conn,
    username: &str,
    disabled_at: Option<i64>,
) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar("UPDATE users SET disabled_at = $1 WHERE username = $2 RETURNING id")
            .bind(disabled_at)
            .bind(username)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn set_password(conn: &mut Conn, user_id: i64, hash: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Signs the user out of every browser, or of every one but `keep`.
pub async fn end_sessions_of(
    conn: &mut Conn,
    user_id: i64,
    keep: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM web_sessions WHERE user_id = $1 AND id <> $2")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(conn)
        .await?;
    Ok(())
}

/// A user's row followed by one more column (a password hash, a CSRF token).
type UserAnd = (i64, String, String, String, i64, Option<i64>, String);

fn split(row: UserAnd) -> (User, String) {
    let (id, username, display_name, role, created_at, disabled_at, extra) = row;
    let user = User {
        id,
        username,
        display_name,
        role,
        created_at,
        disabled_at,
    };
    (user, extra)
}

/// The account that may sign in with this username, and its password hash.
pub async fn for_sign_in(
    conn: &mut Conn,
    username: &str,
) -> Result<Option<(User, String)>, StoreError> {
    let row: Option<UserAnd> = sqlx::query_as(
        "SELECT id, username, display_name, role, created_at, disabled_at, password_hash \
         FROM users WHERE username = $1 AND disabled_at IS NULL",
    )
    .bind(username)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(split))
}

pub struct NewSession<'a> {
    /// SHA-256 of the cookie's token, hex.
    pub id: &'a str,
    pub user_id: i64,
    pub csrf_token: &'a str,
    pub expires_at: i64,
}

/// Starts a session, and clears out expired ones while at it: sign-ins are rare enough that this
/// keeps the table small without a timer of its own.
pub async fn start_session(
    conn: &mut Conn,
    new: &NewSession<'_>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM web_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO web_sessions (id, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(new.id)
    .bind(new.user_id)
    .bind(new.csrf_token)
    .bind(now)
    .bind(new.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// The enabled user behind an unexpired session, and the session's CSRF token.
pub async fn by_session(
    conn: &mut Conn,
    session_id: &str,
    now: i64,
) -> Result<Option<(User, String)>, StoreError> {
    let row: Option<UserAnd> = sqlx::query_as(
        "SELECT u.id, u.username, u.display_name, u.role, u.created_at, u.disabled_at, \
             s.csrf_token \
         FROM web_sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
    )
    .bind(session_id)
    .bind(now)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(split))
}

pub async fn end_session(conn: &mut Conn, session_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM web_sessions WHERE id = $1")
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}
