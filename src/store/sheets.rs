//! Requests as the paper backups hold them (the CSV export, the printable run sheet), read on
//! behalf of a dispatcher and recorded on each request as a `viewed` event, as opening its page
//! is: the group can tell afterwards who took a neighbour's details away. Numbers are never read.

use std::collections::BTreeMap;

use sqlx::Arguments;
use sqlx::any::AnyArguments;

use super::{Conn, StoreError, in_list, pow2_chunks};
use crate::lifecycle::{EventKind, RequestStatus};

/// Which requests a sheet holds.
#[derive(Debug, Clone, Copy)]
pub enum Selection {
    /// Open now, or closed at this moment or later.
    OpenOrClosedSince(i64),
    /// Open at some moment from `start` up to (not including) `end`: a day's work.
    OpenDuring { start: i64, end: i64 },
    /// What this volunteer is working on now.
    HeldBy(i64),
}

/// Adds `value` to `args`; returns its placeholder.
fn bind<T>(args: &mut AnyArguments, value: T) -> Result<String, StoreError>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + 'static,
{
    args.add(value).map_err(sqlx::Error::Encode)?;
    Ok(format!("${}", args.len()))
}

impl Selection {
    /// The SQL condition on `r`, its values added to `args`.
    fn condition(self, args: &mut AnyArguments) -> Result<String, StoreError> {
        Ok(match self {
            Selection::OpenOrClosedSince(since) => {
                format!(
                    "(r.closed_at IS NULL OR r.closed_at >= {})",
                    bind(args, since)?
                )
            }
            Selection::OpenDuring { start, end } => format!(
                "r.created_at < {} AND (r.closed_at IS NULL OR r.closed_at >= {})",
                bind(args, end)?,
                bind(args, start)?
            ),
            Selection::HeldBy(volunteer) => {
                let volunteer = bind(args, volunteer)?;
                let held = RequestStatus::HELD
                    .iter()
                    .map(|status| bind(args, *status))
                    .collect::<Result<Vec<_>, _>>()?;
                format!(
                    "r.closed_at IS NULL AND r.volunteer_id = {volunteer} AND r.status IN ({})",
                    held.join(", ")
                )
            }
        })
    }
}

#[derive(Debug, Clone)]
pub struct SheetRequest {
    pub code: String,
    pub queue: String,
    pub status: RequestStatus,
    pub priority: i64,
    /// The answers the flow saved, as the request page shows them.
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    /// The name to use of the volunteer on it (or who last tried, for a failed one).
    pub volunteer: Option<String>,
    /// Why it failed, as the volunteer or dispatcher said.
    pub failure_reason: Option<String>,
}

type Row = (
    i64,
    String,
    String,
    RequestStatus,
    i64,
    String,
    i64,
    i64,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// The requests `selection` names, outside the `except` queue (volunteer sign-ups), oldest
/// first, each recorded as viewed by `actor` with `detail` (which sheet it went on).
pub async fn read(
    conn: &mut Conn,
    selection: Selection,
    except: &str,
    actor: &str,
    detail: &str,
    now: i64,
) -> Result<Vec<SheetRequest>, StoreError> {
    let mut args = AnyArguments::default();
    bind(&mut args, except.to_string())?;
    let condition = selection.condition(&mut args)?;
    let sql = format!(
        "SELECT r.id, r.code, r.queue, r.status, r.priority, r.fields, r.created_at, \
             r.updated_at, r.closed_at, v.name_to_use, r.failure_reason \
         FROM requests r LEFT JOIN volunteers v ON v.id = r.volunteer_id \
         WHERE r.queue <> $1 AND {condition} ORDER BY r.created_at, r.id"
    );
    let rows: Vec<Row> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_all(&mut *conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|row| row.0).collect();
    record_viewed(conn, &ids, actor, detail, now).await?;
    rows.into_iter()
        .map(
            |(
                _,
                code,
                queue,
                status,
                priority,
                fields,
                created_at,
                updated_at,
                closed_at,
                volunteer,
                failure_reason,
            )| {
                let fields = serde_json::from_str(&fields)
                    .map_err(|e| StoreError::Corrupt(format!("request {code} fields: {e}")))?;
                Ok(SheetRequest {
                    code,
                    queue,
                    status,
                    priority,
                    fields,
                    created_at,
                    updated_at,
                    closed_at,
                    volunteer,
                    failure_reason,
                })
            },
        )
        .collect()
}

/// A `viewed` event on each request, a statement per 64 of them.
async fn record_viewed(
    conn: &mut Conn,
    ids: &[i64],
    actor: &str,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    for chunk in pow2_chunks(ids) {
        let mut args = AnyArguments::default();
        bind(&mut args, now)?;
        bind(&mut args, actor.to_string())?;
        bind(&mut args, detail.to_string())?;
        bind(&mut args, EventKind::Viewed)?;
        // Selected from `requests`, so a repeated id cannot record a view twice.
        let sql = format!(
            "INSERT INTO request_events (request_id, at, actor, detail, kind) \
             SELECT id, $1, $2, $3, $4 FROM requests WHERE id IN ({})",
            in_list(&mut args, chunk)?
        );
        sqlx::query_with(sqlx::AssertSqlSafe(sql), args)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
