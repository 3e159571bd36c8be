//! Removing one person from the database: every row that holds their number, their words or
//! their voice. Their requests stay as bare rows (queue, status, times) so that the counts on the
//! stats page stay true, with no contact, no answers and nothing else that points back.
//!
//! This is the storage half of forgetting; `privacy::forget` cancels what they had open first
//! and calls [`erase_contact`] in the same transaction.

use serde::Serialize;
use sqlx::any::AnyArguments;

use super::contacts::Contact;
use super::{Conn, StoreError, in_list, pow2_chunks};
use crate::lifecycle::{DeliveryState, OutboundKind};

/// What was removed for one person, in counts: it is recorded and shown, so it names nobody.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Erased {
    /// Their open requests, cancelled before the erasure (their volunteers were told).
    pub requests_cancelled: u64,
    /// Their requests, kept for the counts with everything personal taken out.
    pub requests_scrubbed: u64,
    pub conversations: u64,
    pub texts_in: u64,
    pub texts_out: u64,
    /// Texts to others (offers, details, relays) that carried their answers or words: emptied,
    /// or dropped when not yet sent.
    pub texts_to_others: u64,
    pub calls: u64,
    pub recordings: u64,
    pub volunteer: bool,
}

/// Why a person was forgotten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// They (or an organiser for them) asked.
    Asked,
    /// They asked by text, and confirmed it.
    AskedByText,
    /// Their number was quiet for longer than the retention allows.
    Retention,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::Asked => "asked",
            Reason::AskedByText => "asked_by_text",
            Reason::Retention => "retention",
        }
    }
}

async fn ids(conn: &mut Conn, sql: &'static str, id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(sql).bind(id).fetch_all(conn).await?)
}

/// Runs `sql` with `$1` the contact's id; how many rows it changed.
async fn of_contact(conn: &mut Conn, sql: &str, id: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

async fn delete_by_contact(conn: &mut Conn, table: &str, id: i64) -> Result<u64, StoreError> {
    of_contact(
        conn,
        &format!("DELETE FROM {table} WHERE contact_id = $1"),
        id,
    )
    .await
}

/// Whether `code` stands in `body` as a word of its own ("U7" in "YES U7", not in "U72").
fn names_code(body: &str, code: &str) -> bool {
    body.match_indices(code).any(|(at, _)| {
        let before = body[..at].chars().next_back();
        let after = body[at + code.len()..].chars().next();
        [before, after]
            .iter()
            .all(|c| c.is_none_or(|c| !c.is_alphanumeric()))
    })
}

/// Texts to other people that carried this person's requests (offers, details, relays name the
/// request's code) up to `up_to_id`: sent ones are emptied, unsent ones dropped. Texts queued
/// after `up_to_id` (the notices of the cancellation) stay.
async fn clear_texts_about(
    conn: &mut Conn,
    contact_id: i64,
    up_to_id: i64,
) -> Result<u64, StoreError> {
    let requests: Vec<(String, i64, Option<i64>)> =
        sqlx::query_as("SELECT code, created_at, closed_at FROM requests WHERE contact_id = $1")
            .bind(contact_id)
            .fetch_all(&mut *conn)
            .await?;
    let mut about = Vec::new();
    for (code, from, to) in requests {
        let candidates: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, body FROM outbound_messages \
             WHERE contact_id <> $1 AND id <= $2 AND created_at >= $3 \
               AND ($4 IS NULL OR created_at <= $4) AND body LIKE $5",
        )
        .bind(contact_id)
        .bind(up_to_id)
        .bind(from)
        .bind(to)
        .bind(format!("%{code}%"))
        .fetch_all(&mut *conn)
        .await?;
        about.extend(
            candidates
                .into_iter()
                .filter(|(_, body)| names_code(body, &code))
                .map(|(id, _)| id),
        );
    }
    // A relay of their text to a volunteer points at it: it goes with the text it carried.
    about.extend(
        ids(
            conn,
            "SELECT o.id FROM outbound_messages o JOIN inbound_messages i ON i.id = o.inbound_id \
             WHERE i.contact_id = $1 AND o.contact_id <> $1",
            contact_id,
        )
        .await?,
    );
    about.sort_unstable();
    about.dedup();
    for chunk in pow2_chunks(&about) {
        let mut args = AnyArguments::default();
        sqlx::Arguments::add(&mut args, DeliveryState::Queued).map_err(sqlx::Error::Encode)?;
        let list = in_list(&mut args, chunk)?;
        let dropped = format!("DELETE FROM outbound_messages WHERE state = $1 AND id IN ({list})");
        sqlx::query_with(sqlx::AssertSqlSafe(dropped), args)
            .execute(&mut *conn)
            .await?;
        let mut args = AnyArguments::default();
        let list = in_list(&mut args, chunk)?;
        let emptied = format!(
            "UPDATE outbound_messages SET body = '', inbound_id = NULL WHERE id IN ({list})"
        );
        sqlx::query_with(sqlx::AssertSqlSafe(emptied), args)
            .execute(&mut *conn)
            .await?;
    }
    Ok(about.len() as u64)
}

/// Removes everything personal about `contact`, whose open requests are already closed and whose
/// held jobs, as a volunteer, are already handed back. `up_to_outbound` is the newest text that
/// existed before the cancellation's notices were queued. Runs inside the caller's transaction;
/// the contact row itself is the caller's to remove or hollow out next.
pub async fn erase_contact(
    conn: &mut Conn,
    contact: &Contact,
    up_to_outbound: i64,
) -> Result<Erased, StoreError> {
    let id = contact.id;
    let mut erased = Erased {
        texts_to_others: clear_texts_about(conn, id, up_to_outbound).await?,
        ..Erased::default()
    };
    // Replies to their texts point at them; they go with every other text to them, and texts
    // to others that pointed at theirs were let go of above.
    erased.texts_out = delete_by_contact(conn, "outbound_messages", id).await?;
    of_contact(
        conn,
        "DELETE FROM inbound_media WHERE inbound_id IN \
         (SELECT id FROM inbound_messages WHERE contact_id = $1)",
        id,
    )
    .await?;
    erased.texts_in = delete_by_contact(conn, "inbound_messages", id).await?;
    // Parts of a long text wait under the sender's number until the whole text is in.
    sqlx::query(
        "DELETE FROM inbound_parts WHERE set_id IN \
         (SELECT id FROM inbound_part_sets WHERE from_phone = $1)",
    )
    .bind(&contact.phone)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM inbound_part_sets WHERE from_phone = $1")
        .bind(&contact.phone)
        .execute(&mut *conn)
        .await?;

    erased.recordings = of_contact(
        conn,
        "DELETE FROM recordings WHERE call_id IN (SELECT id FROM calls WHERE contact_id = $1) \
         OR request_id IN (SELECT id FROM requests WHERE contact_id = $1)",
        id,
    )
    .await?;
    erased.calls = delete_by_contact(conn, "calls", id).await?;
    of_contact(
        conn,
        "DELETE FROM timers WHERE session_id IN (SELECT id FROM sessions WHERE contact_id = $1) \
         OR request_id IN (SELECT id FROM requests WHERE contact_id = $1)",
        id,
    )
    .await?;
    // What stays of a request is what the counts read: its queue, status and times, and the
    // events that say when it was claimed and delivered, without their words.
    of_contact(
        conn,
        "UPDATE request_events SET detail = NULL \
         WHERE request_id IN (SELECT id FROM requests WHERE contact_id = $1)",
        id,
    )
    .await?;
    // A report's reason is the reporter's own words.
    of_contact(
        conn,
        "DELETE FROM relay_stops \
         WHERE request_id IN (SELECT id FROM requests WHERE contact_id = $1)",
        id,
    )
    .await?;
    erased.requests_scrubbed = of_contact(
        conn,
        "UPDATE requests SET contact_id = NULL, fields = '{}', session_id = NULL, \
         failure_reason = NULL WHERE contact_id = $1",
        id,
    )
    .await?;
    erased.conversations = delete_by_contact(conn, "sessions", id).await?;

    let volunteer: Option<i64> =
        sqlx::query_scalar("SELECT id FROM volunteers WHERE contact_id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(volunteer) = volunteer {
        sqlx::query("UPDATE requests SET volunteer_id = NULL WHERE volunteer_id = $1")
            .bind(volunteer)
            .execute(&mut *conn)
            .await?;
        for held in ["offers", "relay_stops"] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {held} WHERE volunteer_id = $1"
            )))
            .bind(volunteer)
            .execute(&mut *conn)
            .await?;
        }
        erased.volunteer = delete_by_contact(conn, "volunteers", id).await? > 0;
    }
    delete_by_contact(conn, "opt_events", id).await?;
    delete_by_contact(conn, "code_misses", id).await?;
    Ok(erased)
}

/// The last of a forgotten person: their contact row.
pub async fn remove_contact(conn: &mut Conn, id: i64) -> Result<(), StoreError> {
    of_contact(conn, "DELETE FROM contacts WHERE id = $1", id).await?;
    Ok(())
}

/// What a hollowed contact's number reads as: no number at all, so a text from the person
/// meanwhile makes a new contact rather than joining this one.
const HOLLOW: &str = "forgotten:";

/// Keeps a forgotten person's contact row, emptied and without their number, for their last
/// text (which points at it) until [`let_go_of_farewells`].
pub async fn hollow_contact(conn: &mut Conn, id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE contacts SET phone = $1, language = NULL, name_to_use = NULL, \
         opted_out_at = NULL WHERE id = $2",
    )
    .bind(format!("{HOLLOW}{id}"))
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the last texts to forgotten people that the outbox is done with (sent, or failed
/// for good), and the hollow contacts they leave with nothing pointing at them. How many texts
/// went; the caller clears the database files when any did.
pub async fn let_go_of_farewells(conn: &mut Conn) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM outbound_messages WHERE kind = $1 AND state <> $2")
        .bind(OutboundKind::Farewell)
        .bind(DeliveryState::Queued)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    sqlx::query(
        "DELETE FROM contacts WHERE phone LIKE $1 AND NOT EXISTS \
         (SELECT 1 FROM outbound_messages o WHERE o.contact_id = contacts.id)",
    )
    .bind(format!("{HOLLOW}%"))
    .execute(&mut *conn)
    .await?;
    Ok(done)
}

/// The newest text in the outbox, before anything a forgetting queues.
pub async fn newest_outbound(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM outbound_messages")
            .fetch_one(conn)
            .await?,
    )
}

/// Records that someone was forgotten: when, by whom, why and how much went, never whose.
pub async fn record(
    conn: &mut Conn,
    actor: &str,
    reason: Reason,
    erased: &Erased,
    now: i64,
) -> Result<(), StoreError> {
    let summary = serde_json::to_string(erased).expect("counts always serialise");
    sqlx::query("INSERT INTO erasures (at, actor, reason, summary) VALUES ($1, $2, $3, $4)")
        .bind(now)
        .bind(actor)
        .bind(reason.as_str())
        .bind(summary)
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_counts_only_as_a_word_of_its_own() {
        assert!(names_code("Reply YES U7 to take it.", "U7"));
        assert!(names_code("U7 was cancelled", "U7"));
        assert!(names_code("Ana (U7): hi", "U7"));
        assert!(!names_code("Reply YES U72 to take it.", "U7"));
        assert!(!names_code("XU7", "U7"));
    }
}
