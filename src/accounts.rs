//! Dispatcher and admin accounts: checking what an organiser types, argon2 password hashes, and
//! the random tokens that sign-ins and the JSON API hand out.
//! The command line adds accounts and the web pages sign them in; both come through here.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::store::tokens;
use crate::store::users::{self, NewUser, User};
use crate::store::{Db, StoreError};

/// Shorter passwords are refused: a long one is the cheapest protection a small group can have.
pub const MIN_PASSWORD_CHARS: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(
        "username: use 1 to 64 lower-case letters, digits, dots, dashes or underscores (got `{0}`)"
    )]
    Username(String),
    #[error("display name: must not be empty")]
    DisplayName,
    #[error("role: `{0}` is not one of dispatcher, admin")]
    Role(String),
    #[error("password: use at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
    #[error("username `{0}` is taken")]
    Taken(String),
    #[error("no account has the username `{0}`")]
    Unknown(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// 256 random bits, printable: a session's cookie, a CSRF token, an API token.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

/// What the database keeps in place of a token that lets someone in: its SHA-256, so a copy of
/// the table lets nobody in.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 1 to 64 lower-case letters, digits, dots, dashes or underscores: names that are compared as
/// typed (usernames, API token names) have only one spelling, and fit in a URL as they are.
pub fn is_plain_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
}

pub fn check_username(username: &str) -> Result<(), AccountError> {
    if is_plain_name(username) {
        Ok(())
    } else {
        Err(AccountError::Username(username.to_string()))
    }
}

/// An argon2id PHC string with the crate's default parameters and a fresh salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches `hash`; an unreadable hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// [`verify_password`] off the async workers: hashing takes a good part of a second of CPU.
pub async fn password_matches(password: String, hash: String) -> Result<bool, AccountError> {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Checks a new password's length and hashes it, off the async workers.
async fn new_password_hash(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::ShortPassword);
    }
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
}

/// Compared against when the username is unknown, so that a wrong username takes as long to
/// refuse as a wrong password and the timing tells nobody which accounts exist.
pub static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_password("not anyone's password").expect("hashing a fixed password works")
});

/// Adds an account after checking every part of it; the password is hashed before it is stored.
pub async fn add(
    db: &Db,
    username: &str,
    display_name: &str,
    role: &str,
    password: &str,
    now: i64,
) -> Result<User, AccountError> {
    check_username(username)?;
    let display_name = display_name.trim();
    if display_name.is_empty() {
        return Err(AccountError::DisplayName);
    }
    if !matches!(role, "dispatcher" | "admin") {
        return Err(AccountError::Role(role.to_string()));
    }
    let password_hash = new_password_hash(password).await?;
    let new = NewUser {
        username,
        display_name,
        role,
        password_hash: &password_hash,
    };
    let mut conn = db.acquire().await?;
    let id = users::add(&mut conn, &new, now)
        .await?
        .ok_or_else(|| AccountError::Taken(username.to_string()))?;
    Ok(User {
        id,
        username: username.to_string(),
        display_name: display_name.to_string(),
        role: role.to_string(),
        created_at: now,
        disabled_at: None,
    })
}

/// Gives a user a new password and signs them out everywhere but the browser `keep_session`
/// (the one they changed it from), together.
pub async fn change_password(
    db: &Db,
    user_id: i64,
    password: &str,
    keep_session: &str,
) -> Result<(), AccountError> {
    let hash = new_password_hash(password).await?;
    let mut tx = db.begin().await?;
    users::set_password(&mut tx, user_id, &hash).await?;
    users::end_sessions_of(&mut tx, user_id, Some(keep_session)).await?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

/// Disables an account (`Some(when)`), or enables it again (`None`). Disabling ends its sessions
/// and revokes the API tokens it made, at once: what an admin made must not outlast their access.
/// Enabling brings neither back. The pages and the command line both come through here.
pub async fn set_disabled(
    db: &Db,
    username: &str,
    disabled_at: Option<i64>,
) -> Result<(), AccountError> {
    let mut tx = db.begin().await?;
    let id = users::set_disabled(&mut tx, username, disabled_at)
        .await?
        .ok_or_else(|| AccountError::Unknown(username.to_string()))?;
    if let Some(when) = disabled_at {
        users::end_sessions_of(&mut tx, id, None).await?;
        let revoked = tokens::revoke_made_by(&mut tx, id, when).await?;
        if revoked > 0 {
            tracing::info!(
                user = id,
                tokens = revoked,
                "api tokens revoked with their maker"
            );
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn usernames_have_one_spelling() {
        assert!(check_username("rosa.m-2_").is_ok());
        for bad in ["", "Rosa", "rosa m", "rosa@example.org", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}
