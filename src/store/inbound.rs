//! `inbound_messages`: every text that reached us, stored before the webhook is answered.

use std::collections::{BTreeSet, HashMap};

use sqlx::Arguments;
use sqlx::any::AnyArguments;

use super::{
    Backend, Conn, StoreError, add, backend_of, contacts, in_list, padded, pow2_chunks, value_rows,
};
use crate::lifecycle::Channel;

pub struct NewInbound<'a> {
    pub gateway: &'a str,
    pub gateway_id: &'a str,
    pub line: &'a str,
    /// The sender, whose contact is found or made as the text is stored.
    pub from: &'a str,
    pub body: &'a str,
    pub num_media: i64,
    pub channel: Channel,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboundRow {
    pub id: i64,
    pub contact_id: i64,
    pub line: String,
    pub body: String,
    pub num_media: i64,
    pub channel: Channel,
}

/// A text stored for the first time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Stored {
    pub gateway: String,
    pub gateway_id: String,
    pub id: i64,
    pub contact_id: i64,
}

/// Stores texts, finding or making their senders' contacts; returns each text not seen before.
/// A text the gateway already delivered (a retried webhook) gets no row back.
pub async fn insert_many(
    conn: &mut Conn,
    msgs: &[NewInbound<'_>],
    now: i64,
) -> Result<Vec<Stored>, StoreError> {
    let mut stored = Vec::with_capacity(msgs.len());
    match backend_of(conn) {
        // One statement, so one round trip and one commit for the lot.
        Backend::Postgres => {
            let mut waiting: Vec<&NewInbound> = msgs.iter().collect();
            for _ in 0..STORE_TRIES {
                for chunk in pow2_chunks(&waiting) {
                    stored.extend(insert_with_contacts(conn, chunk, now).await?);
                }
                waiting = not_stored(conn, &waiting, &stored).await?;
                if waiting.is_empty() {
                    return Ok(stored);
                }
            }
            return Err(StoreError::Contended(format!(
                "{} texts could not be stored: their senders' contacts never appeared",
                waiting.len()
            )));
        }
        // SQLite cannot write inside a WITH, and a statement costs it no round trip.
        Backend::Sqlite => {
            let phones: BTreeSet<&str> = msgs.iter().map(|m| m.from).collect();
            let phones: Vec<&str> = phones.into_iter().collect();
            let ids: HashMap<String, i64> = contacts::upsert_many(conn, &phones, now)
                .await?
                .into_iter()
                .collect();
            for chunk in pow2_chunks(msgs) {
                stored.extend(insert_for_contacts(conn, chunk, &ids, now).await?);
            }
        }
    }
    Ok(stored)
}

/// How many times a text whose sender's contact was being made by another statement is stored
/// again; once that statement commits, the next try finds the contact.
const STORE_TRIES: usize = 3;

/// The texts that came back from no insert and are not stored either: their sender's contact was
/// made by a statement that committed after this one began, so it was not seen. A text that is
/// stored already (a retried webhook) is not among them.
async fn not_stored<'m, 'a>(
    conn: &mut Conn,
    tried: &[&'m NewInbound<'a>],
    stored: &[Stored],
) -> Result<Vec<&'m NewInbound<'a>>, StoreError> {
    let returned: BTreeSet<(&str, &str)> = stored
        .iter()
        .map(|s| (s.gateway.as_str(), s.gateway_id.as_str()))
        .collect();
    let mut waiting = Vec::new();
    for &text in tried {
        if !returned.contains(&(text.gateway, text.gateway_id))
            && id_by_key(conn, text.gateway, text.gateway_id)
                .await?
                .is_none()
        {
            waiting.push(text);
        }
    }
    Ok(waiting)
}

const RETURNED: &str = "RETURNING gateway, gateway_id, id, contact_id";

async fn insert_with_contacts(
    conn: &mut Conn,
    chunk: &[&NewInbound<'_>],
    now: i64,
) -> Result<Vec<Stored>, StoreError> {
    // No contact that exists is locked or waited for: the handling transactions lock them, and
    // a statement that waited here while holding other rows could deadlock with one. A new
    // contact is made (in phone order, so that two statements making the same two wait in the
    // same order); one made meanwhile by another statement is found on the next try. A contact
    // last seen over an hour ago is marked seen, unless someone holds it: a later text will.
    // The texts keep their order of arrival (`n`), which their ids follow. Each sender's contact
    // is looked up by itself: planned while the table was small, a join read every contact.
    let sql = format!(
        "WITH v (n, gateway, gateway_id, line, phone, body, num_media, channel) AS (VALUES {}), \
         made AS (INSERT INTO contacts (phone, created_at, last_seen_at) \
               SELECT DISTINCT phone, $1, $1 FROM v ORDER BY phone \
               ON CONFLICT (phone) DO NOTHING RETURNING phone, id), \
         known AS (SELECT p.phone, (SELECT c.id FROM contacts c WHERE c.phone = p.phone) AS id \
               FROM (SELECT DISTINCT phone FROM v) p), \
         seen AS (UPDATE contacts SET last_seen_at = $1 WHERE id IN \
               (SELECT s.id FROM known k, LATERAL (SELECT c.id FROM contacts c \
                WHERE c.id = k.id AND c.last_seen_at < $1 - {step} \
                FOR UPDATE SKIP LOCKED) s)), \
         c AS (SELECT phone, id FROM made \
               UNION ALL SELECT phone, id FROM known WHERE id IS NOT NULL) \
         INSERT INTO inbound_messages \
         (gateway, gateway_id, line, contact_id, body, num_media, received_at, channel) \
         SELECT v.gateway, v.gateway_id, v.line, c.id, v.body, v.num_media, $1, v.channel \
         FROM v JOIN c ON c.phone = v.phone ORDER BY v.n \
         ON CONFLICT (gateway, gateway_id) DO NOTHING {RETURNED}",
        value_rows(2, chunk.len(), 8),
        step = contacts::SEEN_STEP_MS,
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now);
    for (n, m) in chunk.iter().enumerate() {
        query = query
            .bind(n as i64)
            .bind(m.gateway)
            .bind(m.gateway_id)
            .bind(m.line)
            .bind(m.from)
            .bind(m.body)
            .bind(m.num_media)
            .bind(m.channel);
    }
    Ok(query.fetch_all(conn).await?)
}

async fn insert_for_contacts(
    conn: &mut Conn,
    chunk: &[NewInbound<'_>],
    contact_ids: &HashMap<String, i64>,
    now: i64,
) -> Result<Vec<Stored>, StoreError> {
    let sql = format!(
        "INSERT INTO inbound_messages \
         (gateway, gateway_id, line, contact_id, body, num_media, received_at, channel) \
         VALUES {} ON CONFLICT (gateway, gateway_id) DO NOTHING {RETURNED}",
        value_rows(1, chunk.len(), 8)
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for m in chunk {
        query = query
            .bind(m.gateway)
            .bind(m.gateway_id)
            .bind(m.line)
            .bind(contact_ids[m.from])
            .bind(m.body)
            .bind(m.num_media)
            .bind(now)
            .bind(m.channel);
    }
    Ok(query.fetch_all(conn).await?)
}

/// The id of the message `gateway` sent under `key`, if it was stored.
pub async fn id_by_key(
    conn: &mut Conn,
    gateway: &str,
    key: &str,
) -> Result<Option<i64>, StoreError> {
    Ok(
        sqlx::query_scalar(
            "SELECT id FROM inbound_messages WHERE gateway = $1 AND gateway_id = $2",
        )
        .bind(gateway)
        .bind(key)
        .fetch_optional(conn)
        .await?,
    )
}

/// What handling made of a message, once it is handled.
pub async fn outcome_of(conn: &mut Conn, id: i64) -> Result<Option<String>, StoreError> {
    let outcome: Option<Option<String>> =
        sqlx::query_scalar("SELECT outcome FROM inbound_messages WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(outcome.flatten())
}

/// Marks texts handled, each with its outcome label, in one statement; made with the other
/// last writes of a handling pass.
pub(crate) fn mark_handled(
    args: &mut AnyArguments,
    handled: &[(i64, &'static str)],
    now: i64,
) -> Result<Option<String>, StoreError> {
    if handled.is_empty() {
        return Ok(None);
    }
    let at = args.len() + 1;
    add(args, now)?;
    let sql = format!(
        "UPDATE inbound_messages SET handled_at = ${at}, outcome = v.column2 \
         FROM (VALUES {}) AS v WHERE inbound_messages.id = v.column1",
        value_rows(at + 1, handled.len().next_power_of_two(), 2)
    );
    // A repeated row marks the same text the same way: harmless padding.
    for (id, outcome) in padded(handled) {
        add(args, id)?;
        add(args, outcome)?;
    }
    Ok(Some(sql))
}

/// Contacts with stored but unhandled texts, the longest waiting first.
pub async fn contacts_with_unhandled(conn: &mut Conn) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT contact_id FROM inbound_messages WHERE handled_at IS NULL \
         GROUP BY contact_id ORDER BY MIN(id)",
    )
    .fetch_all(conn)
    .await?)
}

pub async fn count(conn: &mut Conn) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT gateway, COUNT(*) FROM inbound_messages GROUP BY gateway ORDER BY gateway",
    )
    .fetch_all(conn)
    .await?)
}

/// Keeps the address of each attachment: (inbound id, position in its text, attachment).
pub async fn add_media(
    conn: &mut Conn,
    media: &[(i64, usize, &crate::gateway::Media)],
) -> Result<(), StoreError> {
    for (inbound_id, position, m) in media {
        sqlx::query(
            "INSERT INTO inbound_media (inbound_id, position, url, content_type) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(*inbound_id)
        .bind(*position as i64)
        .bind(m.url.as_str())
        .bind(m.content_type.as_deref())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// The attachments of a text, in order: (address, content type).
pub async fn media_of(
    conn: &mut Conn,
    inbound_id: i64,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT url, content_type FROM inbound_media WHERE inbound_id = $1 ORDER BY position",
    )
    .bind(inbound_id)
    .fetch_all(conn)
    .await?)
}

/// Whether a text whose key starts with `prefix` came in since `since` and nothing was sent to its
/// sender after it: a provider without message ids repeating a webhook. Once we have answered,
/// the same words again are a new text (a second YES is meant).
pub async fn repeated_recently(
    conn: &mut Conn,
    gateway: &str,
    prefix: &str,
    since: i64,
) -> Result<bool, StoreError> {
    // Keys are `prefix:…`, and ';' follows ':', so the range is the prefix and uses the index.
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT i.id FROM inbound_messages i \
         WHERE i.gateway = $1 AND i.gateway_id >= $2 AND i.gateway_id < $3 AND i.received_at >= $4 \
         AND NOT EXISTS (SELECT 1 FROM outbound_messages o \
             WHERE o.contact_id = i.contact_id AND o.created_at >= i.received_at) \
         LIMIT 1",
    )
    .bind(gateway)
    .bind(format!("{prefix}:"))
    .bind(format!("{prefix};"))
    .bind(since)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Each contact's newest handled text: its outcome and when it came. A reply that confirms
/// something (being forgotten) reads what it answers here.
pub async fn last_handled_for(
    conn: &mut Conn,
    contact_ids: &[i64],
) -> Result<Vec<(i64, String, i64)>, StoreError> {
    let mut args = AnyArguments::default();
    let sql = format!(
        "SELECT contact_id, outcome, received_at FROM inbound_messages i \
         WHERE id = (SELECT MAX(id) FROM inbound_messages j \
                     WHERE j.contact_id = i.contact_id AND j.handled_at IS NOT NULL) \
           AND contact_id IN ({})",
        in_list(&mut args, contact_ids)?
    );
    let query = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args);
    Ok(query.fetch_all(conn).await?)
}
