//! The block list. A blocked number is kept only as an HMAC-SHA256 of it under the `block_key`
//! setting: the block outlives the number being forgotten, and neither the table nor a copy of
//! the database says who is on it, since without the key no number can be tried against it.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::SafetySettings;
use crate::phone::Phone;
use crate::secret::Secret;
use crate::store::blocks::{self, BlockChange};
use crate::store::{Conn, Db, StoreError, contacts, sessions, timers};

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("blocking needs a key: set `block_key` in [safety] (at least 16 characters)")]
    NoKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who changed the block list, and from which request's page if any.
pub struct ChangedBy<'a> {
    pub actor: &'a str,
    pub request_id: Option<i64>,
}

fn digest(key: &Secret, phone: &Phone) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(phone.as_str().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `phone` is blocked. With no key nobody can have been blocked, and nothing is asked
/// of the database.
pub async fn is_blocked(
    db: &Db,
    settings: &SafetySettings,
    phone: &Phone,
) -> Result<bool, StoreError> {
    let Some(key) = &settings.block_key else {
        return Ok(false);
    };
    let mut conn = db.acquire().await?;
    blocks::is_blocked(&mut conn, &digest(key, phone)).await
}

/// Blocks or unblocks `phone`, recording who did it (not the number) in the same transaction.
/// Whether the list changed: blocking a blocked number changes nothing and records nothing.
pub async fn change(
    db: &Db,
    settings: &SafetySettings,
    change: BlockChange,
    phone: &Phone,
    by: ChangedBy<'_>,
    now: i64,
) -> Result<bool, BlockError> {
    let key = settings.block_key.as_ref().ok_or(BlockError::NoKey)?;
    let mut tx = db.begin().await?;
    let changed = blocks::change(&mut tx, change, &digest(key, phone), now).await?;
    if changed {
        blocks::record(&mut tx, change, by.actor, by.request_id, now).await?;
    }
    if changed && change == BlockChange::Blocked {
        quieten(&mut tx, phone).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    tracing::info!(number = %phone.redacted(), actor = by.actor, change = change.as_str(), changed, "block list");
    Ok(changed)
}

/// Drops the reminders of a conversation the number was in the middle of, which would otherwise
/// still text them. The conversation itself is left as it was, should they be unblocked.
async fn quieten(conn: &mut Conn, phone: &Phone) -> Result<(), StoreError> {
    let Some(contact_id) = contacts::id_of(conn, phone.as_str()).await? else {
        return Ok(());
    };
    let active = sessions::active_for(conn, &[contact_id]).await?;
    let ids: Vec<i64> = active.into_iter().map(|a| a.id).collect();
    timers::clear(conn, &ids).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_kept_as_a_digest_that_differs_under_another_key() {
        let phone: Phone = Phone::from_stored("+15551230001".into());
        let key = |k: &str| serde_json::from_value::<Secret>(serde_json::json!(k)).unwrap();
        let one = digest(&key("a-key-of-sixteen-chars"), &phone);
        assert_eq!(one.len(), 64);
        assert!(!one.contains("5551230001"));
        assert_eq!(one, digest(&key("a-key-of-sixteen-chars"), &phone));
        assert_ne!(one, digest(&key("another-key-of-sixteen"), &phone));
    }
}
