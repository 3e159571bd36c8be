//! What a handling pass reads once its contacts are locked: their waiting texts, the messages
//! their limits count, and where each contact with a waiting text stands (cool-off,
//! conversation, volunteer or not, any open request). On PostgreSQL, where every statement is a
//! round trip and a pass makes this read for every text, it is one statement.
//!
//! It is read after the lock, not with it: on PostgreSQL a row joined to a locked one is read as
//! it was before the lock was waited for, and could miss what the lock's last holder wrote.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use sqlx::any::AnyArguments;

use super::inbound::InboundRow;
use super::sessions::{Active, SessionRow};
use super::{Backend, Conn, StoreError, add, backend_of, in_list, limits};
use crate::lifecycle::{Channel, VolunteerStatus};

#[derive(Debug, Default)]
pub struct Waiting {
    /// Every unhandled text, oldest first.
    pub texts: Vec<InboundRow>,
    /// The messages that count against the contacts' limits, oldest first, as (contact,
    /// inbound id, channel).
    pub counted: Vec<(i64, i64, Channel)>,
    /// Each contact with a waiting text, in id order.
    pub standing: Vec<Standing>,
}

#[derive(Debug)]
pub struct Standing {
    pub contact_id: i64,
    /// When the contact's last cool-off under the per-number limit ends (or ended).
    pub limited_until: Option<i64>,
    pub conversation: Option<Active>,
    /// An active volunteer (paused ones too): their records are worth reading.
    pub volunteer: bool,
    /// Has a request that is not closed: the requests are worth reading.
    pub open_request: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    text: InboundRow,
    waiting: i64,
    counts: i64,
    limited_until: Option<i64>,
    session_id: Option<i64>,
    session_line: Option<String>,
    flow_id: Option<String>,
    state: Option<String>,
    language: Option<String>,
    answers: Option<String>,
    attempts: Option<i64>,
    volunteers: i64,
    open_requests: i64,
}

/// The contacts' waiting texts and standing, and the messages counted against their limits:
/// texts since `texts_since`, calls since `calls_since`.
pub async fn read(
    conn: &mut Conn,
    contact_ids: &[i64],
    texts_since: i64,
    calls_since: i64,
) -> Result<Waiting, StoreError> {
    // Every statement below takes the same values.
    let values = || -> Result<(AnyArguments, String), StoreError> {
        let mut args = AnyArguments::default();
        add(&mut args, texts_since)?;
        add(&mut args, calls_since)?;
        add(&mut args, VolunteerStatus::Active)?;
        let ids = in_list(&mut args, contact_ids)?;
        Ok((args, ids))
    };
    let (args, ids) = values()?;
    let counts = limits::COUNTS;
    // On PostgreSQL every joined table is also asked for the contacts by its own index: joined
    // on the contact alone, a young table's stale statistics led it to read every active
    // session. SQLite would take the same list as one more lookup per text.
    let backend = backend_of(conn);
    let among = |column: &str| match backend {
        Backend::Postgres => format!("AND {column} IN ({ids})"),
        Backend::Sqlite => String::new(),
    };
    let (limits_among, sessions_among) = (among("l.contact_id"), among("s.contact_id"));
    // Two halves, each served by its own index: the waiting texts with their senders'
    // standing, and the handled messages that count. On PostgreSQL they go as one statement; on
    // SQLite, where a statement costs no round trip, the second goes alone and narrow, since
    // every column of every row is a value to convert and a busy number has dozens of rows.
    let waiting_half = format!(
        "SELECT i.id, i.contact_id, i.line, i.body, i.num_media, i.channel, \
         CAST(1 AS BIGINT) AS waiting, \
         CAST(CASE WHEN {counts} THEN 1 ELSE 0 END AS BIGINT) AS counts, \
         l.until AS limited_until, s.id AS session_id, s.line AS session_line, s.flow_id, \
         s.state, s.language, s.answers, s.attempts, \
         (SELECT COUNT(*) FROM volunteers v WHERE v.contact_id = i.contact_id AND v.status = $3) \
           AS volunteers, \
         (SELECT COUNT(*) FROM requests r WHERE r.contact_id = i.contact_id \
           AND r.closed_at IS NULL) AS open_requests \
         FROM inbound_messages i \
         LEFT JOIN contact_limits l ON l.contact_id = i.contact_id {limits_among} \
         LEFT JOIN sessions s ON s.contact_id = i.contact_id AND s.ended_at IS NULL \
           {sessions_among} \
         WHERE i.handled_at IS NULL AND i.contact_id IN ({ids})"
    );
    let counted_half = |columns: &str| {
        format!(
            "SELECT {columns} FROM inbound_messages i \
             LEFT JOIN contact_limits l ON l.contact_id = i.contact_id {limits_among} \
             WHERE i.handled_at IS NOT NULL AND i.contact_id IN ({ids}) AND {counts}"
        )
    };
    let mut waiting = Waiting::default();
    let rows: Vec<Row> = match backend {
        Backend::Postgres => {
            let sql = format!(
                "{waiting_half} UNION ALL {} ORDER BY id",
                counted_half(
                    "i.id, i.contact_id, '', '', CAST(0 AS BIGINT), i.channel, \
                     CAST(0 AS BIGINT), CAST(1 AS BIGINT), NULL, NULL, NULL, NULL, NULL, NULL, \
                     NULL, NULL, CAST(0 AS BIGINT), CAST(0 AS BIGINT)"
                )
            );
            sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
                .fetch_all(conn)
                .await?
        }
        Backend::Sqlite => {
            let sql = format!(
                "{} ORDER BY i.id",
                counted_half("i.contact_id, i.id, i.channel")
            );
            let handled: Vec<(i64, i64, Channel)> =
                sqlx::query_as_with(sqlx::AssertSqlSafe(sql), values()?.0)
                    .fetch_all(&mut *conn)
                    .await?;
            waiting.counted = handled;
            let sql = format!("{waiting_half} ORDER BY i.id");
            sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
                .fetch_all(conn)
                .await?
        }
    };
    let mut standing = BTreeMap::new();
    for row in rows {
        let text = &row.text;
        if row.counts != 0 {
            waiting
                .counted
                .push((text.contact_id, text.id, text.channel));
        }
        if row.waiting == 0 {
            continue;
        }
        if let Entry::Vacant(first) = standing.entry(text.contact_id) {
            first.insert(row.standing()?);
        }
        waiting.texts.push(row.text);
    }
    waiting.counted.sort_by_key(|&(_, id, _)| id);
    waiting.standing = standing.into_values().collect();
    Ok(waiting)
}

impl Row {
    fn standing(&self) -> Result<Standing, StoreError> {
        let contact_id = self.text.contact_id;
        let conversation = match self.session_id {
            None => None,
            Some(id) => {
                let missing = || StoreError::Corrupt(format!("session {id} lacks a column"));
                let row = SessionRow {
                    id,
                    contact_id,
                    line: self.session_line.clone().ok_or_else(missing)?,
                    flow_id: self.flow_id.clone().ok_or_else(missing)?,
                    state: self.state.clone().ok_or_else(missing)?,
                    language: self.language.clone().ok_or_else(missing)?,
                    answers: self.answers.clone().ok_or_else(missing)?,
                    attempts: self.attempts.ok_or_else(missing)?,
                };
                Some(row.into_active()?)
            }
        };
        Ok(Standing {
            contact_id,
            limited_until: self.limited_until,
            conversation,
            volunteer: self.volunteers > 0,
            open_request: self.open_requests > 0,
        })
    }
}
