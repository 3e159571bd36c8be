//! Bearer tokens for the JSON API, which admins make for the programs that read and work the
//! queue. A token is shown once, when it is made; the database keeps only its SHA-256, the way it
//! keeps a sign-in's, so the token cannot be shown again and a copy of the table lets nobody in.

use crate::accounts::{is_plain_name, random_token, token_digest};
use crate::store::tokens::{self, NewToken};
use crate::store::{Conn, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "name: use 1 to 64 lower-case letters, digits, dots, dashes or underscores (got `{0}`)"
    )]
    Name(String),
    #[error(
        "a token named `{0}` exists already (revoked ones keep their names); choose another name"
    )]
    Taken(String),
    #[error("no token named `{0}` is in use")]
    NotInUse(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes a token named `name` and returns it: the only time anyone sees it.
/// `created_by` is the admin's user id; `None` on the command line.
pub async fn add(
    conn: &mut Conn,
    name: &str,
    created_by: Option<i64>,
    now: i64,
) -> Result<String, TokenError> {
    if !is_plain_name(name) {
        return Err(TokenError::Name(name.to_string()));
    }
    let token = random_token();
    let new = NewToken {
        name,
        token_sha256: &token_digest(&token),
        created_by,
    };
    if tokens::add(conn, &new, now).await? {
        Ok(token)
    } else {
        Err(TokenError::Taken(name.to_string()))
    }
}

/// The name of the unrevoked token `token`, noting that it was used now.
pub async fn authenticate(
    conn: &mut Conn,
    token: &str,
    now: i64,
) -> Result<Option<String>, StoreError> {
    tokens::use_token(conn, &token_digest(token), now).await
}

pub async fn revoke(conn: &mut Conn, name: &str, now: i64) -> Result<(), TokenError> {
    if tokens::revoke(conn, name, now).await? {
        Ok(())
    } else {
        Err(TokenError::NotInUse(name.to_string()))
    }
}
