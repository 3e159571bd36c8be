//! Codes a volunteer texts that name no offer open to them. Everyone gets the same answer whether
//! the code exists or not, so a reply tells a guesser nothing; past a small limit a number gets
//! no answer at all for a while, and the dispatchers see it on the queue page.

use std::time::Duration;

use crate::store::code_misses::{self, Guesser};
use crate::store::{Conn, StoreError};

/// Misses a number may make within [`SILENCED_FOR`] and still be answered: a volunteer mistyping
/// a code now and then never reaches it.
pub const LIMIT: i64 = 5;
/// How far back misses count towards the limit.
pub const SILENCED_FOR: Duration = Duration::from_secs(60 * 60);
/// How long a number that passed the limit stays on the queue page.
pub const SHOWN_FOR: Duration = Duration::from_secs(24 * 60 * 60);

fn ms(d: Duration) -> i64 {
    d.as_millis() as i64
}

/// Counts a miss by `contact_id`; true while the number is still within the limit and should
/// be answered.
pub async fn record(conn: &mut Conn, contact_id: i64, now: i64) -> Result<bool, StoreError> {
    let since = now - ms(SILENCED_FOR);
    let forget_before = now - ms(SHOWN_FOR);
    let misses = code_misses::record(conn, contact_id, now, since, forget_before).await?;
    Ok(misses <= LIMIT)
}

/// The numbers to show dispatchers: those that passed the limit in the last [`SHOWN_FOR`].
pub async fn guessers(conn: &mut Conn, now: i64) -> Result<Vec<Guesser>, StoreError> {
    code_misses::guessers(conn, now - ms(SHOWN_FOR), LIMIT + 1).await
}
