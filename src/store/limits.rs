//! `contact_limits` (read with the contacts, as they are locked), and the recent messages a
//! number's limit is counted from. Both are read under the contacts' locks in the handling
//! transaction, so copies of the service sharing one database count the same messages once.

use sqlx::Arguments;
use sqlx::any::AnyArguments;

use super::{Conn, StoreError, in_list};
use crate::lifecycle::Channel;

/// The messages that count against these contacts' limits, oldest first, as (contact, inbound
/// id, channel): texts since `texts_since`, and calls since `calls_since`, each call once (a
/// missed call, or the first turn of an answered one, whose key ends `:0`), and nothing from
/// before a contact's last cool-off ended. The console line's messages never count: only the
/// person at the machine, or a signed-in dispatcher trying the line, can type on it.
pub async fn counted(
    conn: &mut Conn,
    contact_ids: &[i64],
    texts_since: i64,
    calls_since: i64,
) -> Result<Vec<(i64, i64, Channel)>, StoreError> {
    let mut args = AnyArguments::default();
    args.add(texts_since).map_err(sqlx::Error::Encode)?;
    args.add(calls_since).map_err(sqlx::Error::Encode)?;
    let sql = format!(
        "SELECT i.contact_id, i.id, i.channel FROM inbound_messages i \
         LEFT JOIN contact_limits l ON l.contact_id = i.contact_id \
         WHERE i.contact_id IN ({}) AND i.gateway <> 'console' \
         AND i.received_at >= COALESCE(l.until, 0) \
         AND ((i.channel = 'sms' AND i.received_at > $1) \
           OR (i.received_at > $2 AND (i.channel = 'missed_call' \
               OR (i.channel = 'voice' AND i.gateway_id LIKE '%:0')))) \
         ORDER BY i.id",
        in_list(&mut args, contact_ids)?
    );
    Ok(sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_all(conn)
        .await?)
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
