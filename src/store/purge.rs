//! What ages out, kind by kind: the words of texts and answers, recordings, the record of what
//! happened to requests, and numbers nobody has heard from. Requests themselves stay, as bare
//! rows, so the counts last for ever.
//!
//! Nothing an open request needs goes: the texts around a request are kept until it has been
//! closed for the whole retention, and an open request's recordings and events stay.

use serde::{Deserialize, Serialize};

use super::{Conn, StoreError};
use crate::lifecycle::VolunteerStatus;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// How long each kind of personal data is kept (`[retention]` in the settings), in days.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retention {
    /// Words of texts (both ways) and answers, after the request they belong to closes, or
    /// after they were sent when they belong to none.
    pub texts_days: u32,
    /// A number with nothing open, after its last text or request: then it is forgotten.
    pub quiet_numbers_days: u32,
    /// Messages left on calls.
    pub recordings_days: u32,
    /// What happened to each request (who viewed, claimed, revealed...) and each forgetting.
    pub events_days: u32,
}

impl Retention {
    pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
        for (key, days) in [
            ("retention.texts_days", self.texts_days),
            ("retention.quiet_numbers_days", self.quiet_numbers_days),
            ("retention.recordings_days", self.recordings_days),
            ("retention.events_days", self.events_days),
        ] {
            if days == 0 {
                return Err((key, "must be at least 1 day"));
            }
        }
        Ok(())
    }

    fn cutoff(days: u32, now: i64) -> i64 {
        now - i64::from(days) * DAY_MS
    }

    /// Before this, a number with nothing open has been quiet too long.
    pub fn quiet_since(&self, now: i64) -> i64 {
        Self::cutoff(self.quiet_numbers_days, now)
    }
}

/// The kinds the settings name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Texts,
    Recordings,
    Events,
}

/// One table's share of a kind: the rows that have aged out, and what becomes of them.
struct Sweep {
    kind: Kind,
    what: &'static str,
    table: &'static str,
    /// `SET ...` to empty the rows, or none to delete them.
    set: Option<&'static str>,
    /// Which rows, with `$1` the kind's cutoff.
    aged: &'static str,
}

/// A text at `{at}` of contact `{who}` that no request still needs: none of theirs (or, for a
/// volunteer, none they held) was under way when it was sent and is open or closed since the
/// cutoff. A day before a request is made covers the conversation that made it.
macro_rules! unneeded {
    ($who:literal, $at:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM requests r WHERE (r.contact_id = ",
            $who,
            " OR r.volunteer_id IN (SELECT v.id FROM volunteers v WHERE v.contact_id = ",
            $who,
            ")) AND ",
            $at,
            " >= r.created_at - 86400000 AND (r.closed_at IS NULL OR (",
            $at,
            " <= r.closed_at AND r.closed_at >= $1)))"
        )
    };
}

const SWEEPS: &[Sweep] = &[
    Sweep {
        kind: Kind::Texts,
        what: "pictures' addresses",
        table: "inbound_media",
        set: None,
        aged: concat!(
            "inbound_id IN (SELECT i.id FROM inbound_messages i WHERE i.received_at < $1 AND ",
            unneeded!("i.contact_id", "i.received_at"),
            ")"
        ),
    },
    Sweep {
        kind: Kind::Texts,
        what: "texts in",
        table: "inbound_messages",
        set: Some("body = ''"),
        aged: concat!(
            "body <> '' AND handled_at IS NOT NULL AND received_at < $1 AND ",
            unneeded!(
                "inbound_messages.contact_id",
                "inbound_messages.received_at"
            )
        ),
    },
    Sweep {
        kind: Kind::Texts,
        what: "texts out",
        table: "outbound_messages",
        set: Some("body = ''"),
        aged: concat!(
            "body <> '' AND created_at < $1 AND ",
            unneeded!(
                "outbound_messages.contact_id",
                "outbound_messages.created_at"
            )
        ),
    },
    Sweep {
        kind: Kind::Texts,
        what: "conversations' answers",
        table: "sessions",
        set: Some("answers = '{}'"),
        aged: concat!(
            "answers <> '{}' AND ended_at IS NOT NULL AND ended_at < $1 AND ",
            unneeded!("sessions.contact_id", "sessions.started_at")
        ),
    },
    Sweep {
        kind: Kind::Texts,
        what: "requests' answers",
        table: "requests",
        set: Some("fields = '{}', failure_reason = NULL"),
        aged: "fields <> '{}' AND closed_at IS NOT NULL AND closed_at < $1",
    },
    Sweep {
        kind: Kind::Texts,
        what: "notes and details on requests",
        table: "request_events",
        set: Some("detail = NULL"),
        aged: "detail IS NOT NULL AND request_id IN \
               (SELECT id FROM requests WHERE closed_at IS NOT NULL AND closed_at < $1)",
    },
    Sweep {
        kind: Kind::Texts,
        what: "reasons given for reports",
        table: "relay_stops",
        set: Some("reason = NULL"),
        aged: "reason IS NOT NULL AND request_id IN \
               (SELECT id FROM requests WHERE closed_at IS NOT NULL AND closed_at < $1)",
    },
    Sweep {
        kind: Kind::Recordings,
        what: "recordings",
        table: "recordings",
        set: None,
        // One still to be fetched or deleted at the provider waits for that first.
        aged: "created_at < $1 AND state NOT IN ('to_fetch', 'to_delete') AND \
               (request_id IS NULL OR request_id NOT IN \
                (SELECT id FROM requests WHERE closed_at IS NULL))",
    },
    Sweep {
        kind: Kind::Events,
        what: "request events",
        table: "request_events",
        set: None,
        aged: "at < $1 AND request_id NOT IN (SELECT id FROM requests WHERE closed_at IS NULL)",
    },
    Sweep {
        kind: Kind::Events,
        what: "records of forgetting",
        table: "erasures",
        set: None,
        aged: "at < $1",
    },
];

/// How many rows of one table went (or would go).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Swept {
    pub kind: Kind,
    pub what: &'static str,
    pub rows: u64,
}

/// Whether to change anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Count only.
    DryRun,
    Apply,
}

/// Empties or deletes what has aged out of every kind (or only counts it), in one transaction's
/// worth of statements on `conn`.
pub async fn sweep(
    conn: &mut Conn,
    retention: &Retention,
    now: i64,
    mode: Mode,
) -> Result<Vec<Swept>, StoreError> {
    let mut swept = Vec::with_capacity(SWEEPS.len());
    for s in SWEEPS {
        let days = match s.kind {
            Kind::Texts => retention.texts_days,
            Kind::Recordings => retention.recordings_days,
            Kind::Events => retention.events_days,
        };
        let cutoff = Retention::cutoff(days, now);
        let (table, aged) = (s.table, s.aged);
        let rows = match (mode, s.set) {
            (Mode::DryRun, _) => {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE {aged}");
                let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .bind(cutoff)
                    .fetch_one(&mut *conn)
                    .await?;
                count as u64
            }
            (Mode::Apply, set) => {
                let sql = match set {
                    Some(set) => format!("UPDATE {table} SET {set} WHERE {aged}"),
                    None => format!("DELETE FROM {table} WHERE {aged}"),
                };
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(cutoff)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected()
            }
        };
        swept.push(Swept {
            kind: s.kind,
            what: s.what,
            rows,
        });
    }
    Ok(swept)
}

/// Contacts quiet since `since` with nothing open: no open request, none changed since, no
/// conversation under way, no text to them since, and not on the volunteer roster.
pub async fn quiet_contacts(conn: &mut Conn, since: i64) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT c.id FROM contacts c WHERE c.last_seen_at < $1 \
         AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.contact_id = c.id \
             AND (r.closed_at IS NULL OR r.updated_at >= $1)) \
         AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.contact_id = c.id AND s.ended_at IS NULL) \
         AND NOT EXISTS (SELECT 1 FROM outbound_messages o WHERE o.contact_id = c.id \
             AND o.created_at >= $1) \
         AND NOT EXISTS (SELECT 1 FROM volunteers v WHERE v.contact_id = c.id AND v.status <> $2) \
         ORDER BY c.id",
    )
    .bind(since)
    .bind(VolunteerStatus::Removed)
    .fetch_all(conn)
    .await?)
}
