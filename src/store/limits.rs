//! `contact_limits`, and which recent messages a number's limit is counted from. Both are read
//! under the contacts' locks in the handling transaction (with where the contacts stand, and with
//! their waiting texts), so copies of the service sharing one database count the same messages
//! once.

use super::{Conn, StoreError};

/// Whether message `m` counts against its contact's limit, with `l` its contact's row of
/// `contact_limits` (if any), `$1` the start of the texts' window and `$2` the calls': texts since
/// the one, calls since the other, each call once (a missed call, or the first turn of an answered
/// one, whose key ends `:0`), and nothing from before a contact's last cool-off ended. The
/// console line's messages never count: only the person at the machine, or a signed-in
/// dispatcher trying the line, can type on it.
pub(super) fn counts(m: &str, l: &str) -> String {
    format!(
        "({m}.gateway <> 'console' \
         AND {m}.received_at >= COALESCE({l}.until, 0) \
         AND (({m}.channel = 'sms' AND {m}.received_at > $1) \
           OR ({m}.received_at > $2 AND ({m}.channel = 'missed_call' \
               OR ({m}.channel = 'voice' AND {m}.gateway_id LIKE '%:0')))))"
    )
}

/// The contact is not heard until `until`.
pub async fn limit(conn: &mut Conn, contact_id: i64, until: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO contact_limits (contact_id, until) VALUES ($1, $2) \
         ON CONFLICT (contact_id) DO UPDATE SET until = excluded.until",
    )
    .bind(contact_id)
    .bind(until)
    .execute(conn)
    .await?;
    Ok(())
}
