//! Who looked at what: the request events that put a neighbour's details in front of someone
//! (a page opened, a sheet or export taken away, a number revealed, a message played) and the
//! erasures, newest first. Only codes, names of accounts and times are read: never a number nor
//! anything a neighbour said.

use std::str::FromStr;

use sqlx::Arguments;
use sqlx::any::AnyArguments;

use super::{Conn, StoreError};
use crate::lifecycle::EventKind;

/// What someone did that the audit shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    /// Opened a request's page.
    Viewed,
    /// Took a request away on the CSV export or the printable run sheet (a `viewed` event that
    /// says where).
    Exported,
    /// Was shown the neighbour's full number.
    Revealed,
    /// Played a message the neighbour left on a call.
    Played,
    /// Forgot a person (an `erasures` row: it names nobody).
    Forgot,
    /// Blocked a number (a `block_events` row: it holds no number), from a request or not.
    Blocked,
    Unblocked,
}

impl AuditKind {
    pub const ALL: [AuditKind; 7] = [
        AuditKind::Viewed,
        AuditKind::Exported,
        AuditKind::Revealed,
        AuditKind::Played,
        AuditKind::Forgot,
        AuditKind::Blocked,
        AuditKind::Unblocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Viewed => "viewed",
            AuditKind::Exported => "exported",
            AuditKind::Revealed => "revealed",
            AuditKind::Played => "played",
            AuditKind::Forgot => "forgot",
            AuditKind::Blocked => "blocked",
            AuditKind::Unblocked => "unblocked",
        }
    }

    /// In words, for the page and the CSV.
    pub fn words(self) -> &'static str {
        match self {
            AuditKind::Viewed => "opened the request",
            AuditKind::Exported => "took it on a sheet or export",
            AuditKind::Revealed => "revealed the number",
            AuditKind::Played => "played the message",
            AuditKind::Forgot => "forgot a person",
            AuditKind::Blocked => "blocked a number",
            AuditKind::Unblocked => "unblocked a number",
        }
    }
}

impl FromStr for AuditKind {
    type Err = ();

    fn from_str(s: &str) -> Result<AuditKind, ()> {
        AuditKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or(())
    }
}

/// Which rows to read; `None` is any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// As events name people: `user:NAME`, `token:NAME`, `cli`...
    pub actor: Option<String>,
    pub kind: Option<AuditKind>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: i64,
    pub actor: String,
    pub kind: AuditKind,
    /// The request's code; an erasure has none.
    pub code: Option<String>,
    /// Where a request was taken away, or why a person was forgotten.
    pub detail: Option<String>,
}

/// Every audited row in one shape. A `viewed` event with a detail was a sheet or an export
/// (`store::sheets` says where); an opened page records none.
const ROWS: &str = "SELECT e.at AS at, e.id AS id, e.actor AS actor,
        CASE WHEN e.kind = 'viewed' AND e.detail IS NOT NULL THEN 'exported' ELSE e.kind END AS kind,
        r.code AS code, e.detail AS detail
    FROM request_events e JOIN requests r ON r.id = e.request_id
    WHERE e.kind IN ($1, $2, $3)
    UNION ALL
    SELECT at, id, actor, 'forgot', CAST(NULL AS TEXT), reason FROM erasures
    UNION ALL
    SELECT b.at, b.id, b.actor, b.kind, r.code, CAST(NULL AS TEXT)
    FROM block_events b LEFT JOIN requests r ON r.id = b.request_id";

/// A row as the query gives it: when, who, kind, code, detail.
type Stored = (i64, String, String, Option<String>, Option<String>);

/// The filter as a condition on [`ROWS`], and its values after the kinds.
fn query(filter: &AuditFilter, select: &str) -> Result<(String, AnyArguments), StoreError> {
    let mut args = AnyArguments::default();
    for kind in [EventKind::Viewed, EventKind::Revealed, EventKind::Played] {
        args.add(kind).map_err(sqlx::Error::Encode)?;
    }
    let mut conditions = Vec::new();
    if let Some(actor) = &filter.actor {
        args.add(actor.clone()).map_err(sqlx::Error::Encode)?;
        conditions.push(format!("actor = ${}", args.len()));
    }
    if let Some(kind) = filter.kind {
        args.add(kind.as_str()).map_err(sqlx::Error::Encode)?;
        conditions.push(format!("kind = ${}", args.len()));
    }
    let condition = match conditions.is_empty() {
        true => String::new(),
        false => format!(" WHERE {}", conditions.join(" AND ")),
    };
    Ok((
        format!("SELECT {select} FROM ({ROWS}) audit{condition}"),
        args,
    ))
}

/// How many rows pass the filter.
pub async fn count(conn: &mut Conn, filter: &AuditFilter) -> Result<i64, StoreError> {
    let (sql, args) = query(filter, "COUNT(*)")?;
    Ok(sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_one(conn)
        .await?)
}

/// The rows that pass the filter, newest first, `skip` of them left out and at most `take`
/// read (`None`: all, for the CSV).
pub async fn read(
    conn: &mut Conn,
    filter: &AuditFilter,
    skip: i64,
    take: Option<i64>,
) -> Result<Vec<AuditRow>, StoreError> {
    let (sql, mut args) = query(filter, "at, actor, kind, code, detail")?;
    // An erasure and an event can share an id; the kind keeps the order the same every time.
    let mut sql = format!("{sql} ORDER BY at DESC, id DESC, kind");
    if let Some(take) = take {
        args.add(take).map_err(sqlx::Error::Encode)?;
        args.add(skip).map_err(sqlx::Error::Encode)?;
        sql = format!("{sql} LIMIT ${} OFFSET ${}", args.len() - 1, args.len());
    }
    let rows: Vec<Stored> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_all(conn)
        .await?;
    rows.into_iter()
        .map(|(at, actor, kind, code, detail)| {
            let kind = kind.parse().map_err(|()| {
                StoreError::Corrupt(format!("`{kind}` is not a kind the audit reads"))
            })?;
            Ok(AuditRow {
                at,
                actor,
                kind,
                code,
                detail,
            })
        })
        .collect()
}
