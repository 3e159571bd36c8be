//! `outbound_messages`: the outbox. A row per text we mean to send, written in the transaction
//! that decided to send it, then claimed and sent by the outbox worker.

use sqlx::Arguments as _;
use sqlx::any::AnyArguments;

use super::{
    Backend, Conn, StoreError, add, padded, pow2_chunks, together, value_list, value_rows,
};
use crate::flow::segments;
use crate::lifecycle::{DeliveryState, OutboundKind};

pub struct NewOutbound<'a> {
    pub contact_id: i64,
    pub line: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub kind: OutboundKind,
    pub inbound_id: Option<i64>,
    /// Said on the call it answers rather than sent: kept with the conversation, never queued.
    pub spoken: bool,
    /// Played on the call as the organiser's recording of these words (a flow's prompt, stored
    /// as `flow/state/language`), where there is one.
    pub spoken_audio: Option<&'a str>,
}

/// Queues texts; rows go in at most 64 at a time, in the power-of-two chunks of [`pow2_chunks`], so
/// a large batch stays within parameter limits and reuses a few prepared statements.
pub async fn enqueue_many(
    conn: &mut Conn,
    msgs: &[NewOutbound<'_>],
    now: i64,
) -> Result<(), StoreError> {
    // Chunk by chunk, not together: rows are numbered in the order given, which is the order
    // the worker sends them in.
    for chunk in pow2_chunks(msgs) {
        together::write(&mut *conn, |args| enqueue(args, chunk, now)).await?;
    }
    Ok(())
}

/// [`enqueue_many`] for one chunk of [`pow2_chunks`], to be made with other writes.
pub(crate) fn enqueue(
    args: &mut AnyArguments,
    msgs: &[NewOutbound<'_>],
    now: i64,
) -> Result<Option<String>, StoreError> {
    if msgs.is_empty() {
        return Ok(None);
    }
    let at = args.len() + 1;
    add(args, now)?;
    let rows: Vec<String> = (0..msgs.len())
        .map(|r| format!("({}, ${at}, ${at}, ${at})", value_list(at + 1 + r * 10, 10)))
        .collect();
    let sql = format!(
        "INSERT INTO outbound_messages (contact_id, line, to_phone, body, kind, inbound_id, \
         priority, segments, state, spoken_audio, next_attempt_at, created_at, updated_at) \
         VALUES {}",
        rows.join(", ")
    );
    for m in msgs {
        let state = if m.spoken {
            DeliveryState::Spoken
        } else {
            DeliveryState::Queued
        };
        add(args, m.contact_id)?;
        add(args, m.line)?;
        add(args, m.to)?;
        add(args, m.body)?;
        add(args, m.kind)?;
        add(args, m.inbound_id)?;
        add(args, if m.kind.is_urgent() { 0i64 } else { 1 })?;
        add(args, segments::count(m.body).count.max(1) as i64)?;
        add(args, state)?;
        add(args, m.spoken_audio)?;
    }
    Ok(Some(sql))
}

/// A claimed row, leased to one worker until its lease runs out.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub contact_id: i64,
    pub line: String,
    pub to: String,
    pub body: String,
    pub kind: OutboundKind,
    pub segments: u32,
    /// Counting this one.
    pub attempts: u32,
    pub opted_out: bool,
}

/// Which due texts of one line to claim.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    pub line: &'a str,
    pub now: i64,
    pub lease_ms: i64,
    pub limit: i64,
    /// Only replies to someone who just texted (the line is in its quiet hours).
    pub urgent_only: bool,
}

/// Leases up to `limit` due texts of a line for `lease_ms`: urgent ones first, then oldest first.
pub async fn claim_due(
    conn: &mut Conn,
    backend: Backend,
    claim: Claim<'_>,
) -> Result<Vec<Claimed>, StoreError> {
    // PostgreSQL lets several workers claim side by side; SQLite has one writer, so it needs no
    // row locks.
    let skip_locked = match backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    // Built from constant fragments only. The state is written out, not bound, so that
    // PostgreSQL's plan for the prepared statement can use the index of queued texts. A lease
    // is not a change anyone reads, so `updated_at` stays: with no indexed column changed,
    // PostgreSQL writes the leased row without touching the table's indexes.
    let queued = DeliveryState::Queued.as_str();
    let sql = format!(
        "UPDATE outbound_messages SET locked_until = $1, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM outbound_messages \
             WHERE state = '{queued}' AND line = $3 AND priority <= $4 AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until <= $2) \
             ORDER BY priority, next_attempt_at, id LIMIT $5 {skip_locked}) \
         RETURNING id, contact_id, line, to_phone, body, kind, segments, attempts, \
             (SELECT opted_out_at FROM contacts c WHERE c.id = outbound_messages.contact_id)"
    );
    type Row = (
        i64,
        i64,
        String,
        String,
        String,
        OutboundKind,
        i64,
        i64,
        Option<i64>,
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(claim.now + claim.lease_ms)
        .bind(claim.now)
        .bind(claim.line)
        .bind(if claim.urgent_only { 0i64 } else { 1 })
        .bind(claim.limit)
        .fetch_all(conn)
        .await?;
    let mut claimed: Vec<Claimed> = rows
        .into_iter()
        .map(
            |(id, contact_id, line, to, body, kind, segments, attempts, opted_out_at)| Claimed {
                id,
                contact_id,
                line,
                to,
                body,
                kind,
                segments: segments as u32,
                attempts: attempts as u32,
                opted_out: opted_out_at.is_some(),
            },
        )
        .collect();
    // The order they go out in, for texts to one contact.
    claimed.sort_by_key(|c| c.id);
    Ok(claimed)
}

/// Ends queued texts whose line is no longer configured: nothing could ever send them.
pub async fn fail_orphaned(conn: &mut Conn, lines: &[&str], now: i64) -> Result<u64, StoreError> {
    // With no line left every queued text is orphaned; PostgreSQL refuses an empty `NOT IN ()`.
    let kept = match lines.len() {
        0 => String::new(),
        n => format!(" AND line NOT IN ({})", value_list(4, n)),
    };
    let sql = format!(
        "UPDATE outbound_messages SET state = $2, error_detail = 'line no longer configured', \
         locked_until = NULL, updated_at = $1 WHERE state = $3{kept}"
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(DeliveryState::Failed)
        .bind(DeliveryState::Queued);
    for line in lines {
        query = query.bind(*line);
    }
    let done = query.execute(conn).await?;
    Ok(done.rows_affected())
}

/// The gateway took these texts: (row id, the gateway's message id). One statement for all.
pub async fn mark_sent_many(
    conn: &mut Conn,
    sent: &[(i64, Option<String>)],
    now: i64,
) -> Result<(), StoreError> {
    for chunk in sent.chunks(64) {
        let sql = format!(
            "UPDATE outbound_messages SET state = $2, gateway_id = v.column2, \
             locked_until = NULL, error_code = NULL, error_detail = NULL, updated_at = $1 \
             FROM (VALUES {}) AS v WHERE outbound_messages.id = v.column1",
            value_rows(3, chunk.len().next_power_of_two(), 2)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now)
            .bind(DeliveryState::Sent);
        // A repeated row records the same send twice: harmless padding.
        for (id, gateway_id) in padded(chunk) {
            query = query.bind(id).bind(gateway_id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A failure worth another try at `retry_at`.
pub async fn reschedule(
    conn: &mut Conn,
    id: i64,
    retry_at: i64,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbound_messages SET next_attempt_at = $1, locked_until = NULL, error_detail = $2, \
         updated_at = $3 WHERE id = $4",
    )
    .bind(retry_at)
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A text that will not be sent: the provider refused it, or it ran out of attempts.
pub async fn fail(
    conn: &mut Conn,
    id: i64,
    error_code: Option<&str>,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    finish_unsent(conn, id, DeliveryState::Failed, error_code, detail, now).await
}

/// A text not sent because its recipient opted out.
pub async fn suppress(conn: &mut Conn, id: i64, now: i64) -> Result<(), StoreError> {
    let detail = "recipient opted out";
    finish_unsent(conn, id, DeliveryState::Suppressed, None, detail, now).await
}

/// A final state reached without sending.
async fn finish_unsent(
    conn: &mut Conn,
    id: i64,
    state: DeliveryState,
    error_code: Option<&str>,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbound_messages SET state = $1, error_code = $2, error_detail = $3, \
         locked_until = NULL, updated_at = $4 WHERE id = $5",
    )
    .bind(state)
    .bind(error_code)
    .bind(detail)
    .bind(now)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// How far along the row's stored state is (see [`DeliveryState::step`]), in SQL, with the
/// states bound from `$first` on; returns the SQL and the states to bind, in order.
fn step_sql(first: usize) -> (String, Vec<DeliveryState>) {
    let stepped: Vec<(DeliveryState, i64)> = DeliveryState::ALL
        .iter()
        .filter_map(|s| s.step().map(|step| (*s, step)))
        .collect();
    let whens: Vec<String> = stepped
        .iter()
        .enumerate()
        .map(|(i, (_, step))| format!("WHEN ${} THEN {step}", first + i))
        .collect();
    // A state no report moves (suppressed) counts as an end.
    let sql = format!("CASE state {} ELSE 2 END", whens.join(" "));
    (sql, stepped.into_iter().map(|(s, _)| s).collect())
}

/// Applies a delivery report. Returns the contact the text went to when the row moved forward,
/// `None` when it was unknown, a duplicate, or older than what we already have.
pub async fn apply_delivery(
    conn: &mut Conn,
    gateway_id: &str,
    state: DeliveryState,
    error_code: Option<&str>,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let Some(step) = state.step() else {
        return Ok(None);
    };
    let (stored_step, states) = step_sql(6);
    let sql = format!(
        "UPDATE outbound_messages SET state = $1, error_code = COALESCE($2, error_code), \
         updated_at = $3 WHERE gateway_id = $4 AND {stored_step} < $5 RETURNING contact_id"
    );
    let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(state)
        .bind(error_code)
        .bind(now)
        .bind(gateway_id)
        .bind(step);
    for s in states {
        query = query.bind(s);
    }
    Ok(query.fetch_optional(conn).await?)
}

/// The texts written in answer to one inbound text, in order.
/// The replies to `inbound_id`, in order, each with the recording it is played as on a call.
pub async fn replies_to(
    conn: &mut Conn,
    inbound_id: i64,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT body, spoken_audio FROM outbound_messages WHERE inbound_id = $1 ORDER BY id",
    )
    .bind(inbound_id)
    .fetch_all(conn)
    .await?)
}

pub async fn count_by_state(conn: &mut Conn) -> Result<Vec<(DeliveryState, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT state, COUNT(*) FROM outbound_messages GROUP BY state ORDER BY state",
    )
    .fetch_all(conn)
    .await?)
}

/// A text that reached a final state without being sent, for whoever looks after the line.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct Unsent {
    pub id: i64,
    pub line: String,
    pub to_phone: String,
    pub kind: OutboundKind,
    /// Failed (the provider refused it, or it ran out of attempts), undelivered, or suppressed
    /// (opted out).
    pub state: DeliveryState,
    pub attempts: i64,
    pub error_code: Option<String>,
    pub error_detail: Option<String>,
    pub updated_at: i64,
}

/// Texts that failed or were suppressed (delivery failures reported later included), newest first.
pub async fn unsent(conn: &mut Conn, limit: i64) -> Result<Vec<Unsent>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, line, to_phone, kind, state, attempts, error_code, error_detail, updated_at \
         FROM outbound_messages WHERE state IN ($2, $3, $4) \
         ORDER BY updated_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .bind(DeliveryState::UNSENT[0])
    .bind(DeliveryState::UNSENT[1])
    .bind(DeliveryState::UNSENT[2])
    .fetch_all(conn)
    .await?)
}

/// The newest row's id (0 for none): texts queued later have higher ids.
pub async fn last_id(conn: &mut Conn) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM outbound_messages")
            .fetch_one(conn)
            .await?,
    )
}

/// Texts this transaction queued after row `id`, in order: (contact, body). On PostgreSQL other
/// copies may commit texts meanwhile, so only rows this transaction wrote count; on SQLite the
/// transaction holds the one writer, so nobody else's rows can appear.
pub async fn queued_here_after(
    conn: &mut Conn,
    backend: Backend,
    id: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let ours = match backend {
        Backend::Postgres => "AND xmin = pg_current_xact_id()::xid",
        Backend::Sqlite => "",
    };
    let sql =
        format!("SELECT contact_id, body FROM outbound_messages WHERE id > $1 {ours} ORDER BY id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_all(conn)
        .await?)
}

/// A text to carry on after a call that could not reach the caller.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Unreachable {
    pub id: i64,
    pub contact_id: i64,
    pub line: String,
}

/// Texts to carry on after a call that failed or went undelivered and are not yet followed up.
pub async fn unreachable_callers(
    conn: &mut Conn,
    limit: i64,
) -> Result<Vec<Unreachable>, StoreError> {
    // Every timer pass asks, so it reads only the partial index `outbound_unreachable_callers`,
    // whose condition is spelt here as the index spells it: a bound value would not match it.
    Ok(sqlx::query_as(
        "SELECT id, contact_id, line FROM outbound_messages \
         WHERE kind = 'carry_on' AND state IN ('failed', 'undelivered') \
         AND followed_up_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Marks text `id` followed up.
pub async fn followed_up(conn: &mut Conn, id: i64, now: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbound_messages SET followed_up_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
