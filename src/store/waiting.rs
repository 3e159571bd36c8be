//! What a handling pass reads once its contacts are locked: their waiting texts, the messages
//! their limits count, and where each contact with a waiting text stands (cool-off,
//! conversation, volunteer or not, any open request). It is one statement: on PostgreSQL every
//! statement is a round trip, and a pass makes this read for every text.
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
    /// The waiting texts that count against their contacts' limits, oldest first, as (contact,
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
    /// The messages already handled that count against the contact's limits.
    pub counted: Counted,
    pub conversation: Option<Active>,
    /// An active volunteer (paused ones too): their records are worth reading.
    pub volunteer: bool,
    /// Has a request that is not closed: the requests are worth reading.
    pub open_request: bool,
}

/// How many handled messages count against a contact's limits: texts, and calls (each call
/// once).
#[derive(Debug, Default, Clone, Copy)]
pub struct Counted {
    pub texts: i64,
    pub calls: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    #[sqlx(flatten)]
    text: InboundRow,
    counts: i64,
    texts_counted: i64,
    calls_counted: i64,
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
/// texts since `texts_since`, calls since `calls_since`. One statement.
pub async fn read(
    conn: &mut Conn,
    contact_ids: &[i64],
    texts_since: i64,
    calls_since: i64,
) -> Result<Waiting, StoreError> {
    let mut args = AnyArguments::default();
    add(&mut args, texts_since)?;
    add(&mut args, calls_since)?;
    add(&mut args, VolunteerStatus::Active)?;
    let ids = in_list(&mut args, contact_ids)?;
    let counts = limits::counts("i", "l");
    // The handled messages that count come back as two numbers per contact, not as rows: a busy
    // number has dozens of them, and every value of every row is work for the driver. They are
    // counted per text, by the contact's index over the window, for the same reason as the
    // joins below.
    let handled = |channel: &str, since: &str| {
        format!(
            "CAST((SELECT COUNT(*) FROM inbound_messages h WHERE h.contact_id = i.contact_id \
             AND h.received_at > {since} AND h.handled_at IS NOT NULL \
             AND h.channel {channel} 'sms' AND {}) AS BIGINT)",
            limits::counts("h", "l")
        )
    };
    let (texts_counted, calls_counted) = (handled("=", "$1"), handled("<>", "$2"));
    // On PostgreSQL each joined table is looked up per text by its contact, in a way the
    // planner cannot turn into a read of the whole table: planned from a young table's stale
    // statistics, a plain join read every active session, and a join also asked for the list
    // of contacts read the list's sessions once per text. SQLite plans these joins well.
    let (limits_among, sessions) = match backend_of(conn) {
        Backend::Postgres => (
            format!("AND l.contact_id IN ({ids})"),
            "LEFT JOIN LATERAL (SELECT * FROM sessions s WHERE s.contact_id = i.contact_id \
             AND s.ended_at IS NULL LIMIT 1) s ON TRUE",
        ),
        Backend::Sqlite => (
            String::new(),
            "LEFT JOIN sessions s ON s.contact_id = i.contact_id AND s.ended_at IS NULL",
        ),
    };
    let sql = format!(
        "SELECT i.id, i.contact_id, i.line, i.body, i.num_media, i.channel, \
         CAST(CASE WHEN {counts} THEN 1 ELSE 0 END AS BIGINT) AS counts, \
         {texts_counted} AS texts_counted, {calls_counted} AS calls_counted, \
         l.until AS limited_until, s.id AS session_id, s.line AS session_line, s.flow_id, \
         s.state, s.language, s.answers, s.attempts, \
         (SELECT COUNT(*) FROM volunteers v WHERE v.contact_id = i.contact_id AND v.status = $3) \
           AS volunteers, \
         (SELECT COUNT(*) FROM requests r WHERE r.contact_id = i.contact_id \
           AND r.closed_at IS NULL) AS open_requests \
         FROM inbound_messages i \
         LEFT JOIN contact_limits l ON l.contact_id = i.contact_id {limits_among} \
         {sessions} \
         WHERE i.handled_at IS NULL AND i.contact_id IN ({ids}) \
         ORDER BY i.id"
    );
    let rows: Vec<Row> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_all(conn)
        .await?;
    let mut waiting = Waiting::default();
    let mut standing = BTreeMap::new();
    for row in rows {
        let text = &row.text;
        if row.counts != 0 {
            waiting
                .counted
                .push((text.contact_id, text.id, text.channel));
        }
        if let Entry::Vacant(first) = standing.entry(text.contact_id) {
            first.insert(row.standing()?);
        }
        waiting.texts.push(row.text);
    }
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
            counted: Counted {
                texts: self.texts_counted,
                calls: self.calls_counted,
            },
            conversation,
            volunteer: self.volunteers > 0,
            open_request: self.open_requests > 0,
        })
    }
}
