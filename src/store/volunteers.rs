//! `volunteers`: the people offers go to. Zones, languages and capabilities are short lists kept
//! as comma-separated words; a group's volunteers number in the hundreds, so matching is done in
//! memory over the active ones.

use serde::Serialize;

use sqlx::Arguments;
use sqlx::any::AnyArguments;

use super::{Conn, StoreError, value_list};
use crate::lifecycle::{RequestStatus, VolunteerStatus};

/// A volunteer as written by a dispatcher, an import or a sign-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolunteer<'a> {
    pub contact_id: i64,
    pub name_to_use: &'a str,
    pub zones: &'a [String],
    pub languages: &'a [String],
    pub capabilities: &'a [String],
    pub availability: &'a str,
    pub max_open_jobs: i64,
    /// Active, or pending for a sign-up a dispatcher has yet to approve.
    pub status: VolunteerStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volunteer {
    pub id: i64,
    pub contact_id: i64,
    pub phone: String,
    pub name_to_use: String,
    pub zones: Vec<String>,
    pub languages: Vec<String>,
    pub capabilities: Vec<String>,
    pub availability: String,
    pub max_open_jobs: i64,
    pub status: VolunteerStatus,
    pub paused: bool,
    /// Requests they hold that are not finished.
    pub open_jobs: i64,
}

fn list(words: &str) -> Vec<String> {
    words
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Adds a volunteer, or updates the one this contact already is; returns the id.
pub async fn upsert(conn: &mut Conn, v: &NewVolunteer<'_>, now: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO volunteers (contact_id, name_to_use, zones, languages, capabilities, \
             availability, max_open_jobs, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (contact_id) DO UPDATE SET name_to_use = excluded.name_to_use, \
             zones = excluded.zones, languages = excluded.languages, \
             capabilities = excluded.capabilities, availability = excluded.availability, \
             max_open_jobs = excluded.max_open_jobs, status = excluded.status, \
             updated_at = excluded.updated_at \
         RETURNING id",
    )
    .bind(v.contact_id)
    .bind(v.name_to_use)
    .bind(v.zones.join(","))
    .bind(v.languages.join(","))
    .bind(v.capabilities.join(","))
    .bind(v.availability)
    .bind(v.max_open_jobs)
    .bind(v.status)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

/// Every volunteer read goes through here: `condition` may use placeholders from `$1`; the
/// statuses counted as open jobs are bound after its own `values`.
fn select(condition: &str, values: usize) -> String {
    format!(
        "SELECT v.id, v.contact_id, c.phone, v.name_to_use, v.zones, v.languages, \
         v.capabilities, v.availability, v.max_open_jobs, v.status, v.paused_at, \
         (SELECT COUNT(*) FROM requests r WHERE r.volunteer_id = v.id AND r.closed_at IS NULL \
             AND r.status IN ({held})) \
         FROM volunteers v JOIN contacts c ON c.id = v.contact_id WHERE {condition}",
        held = value_list(values + 1, RequestStatus::HELD.len()),
    )
}

/// Runs [`select`] with `args` (already holding the condition's values).
async fn fetch(
    conn: &mut Conn,
    condition: &str,
    mut args: AnyArguments,
) -> Result<Vec<Volunteer>, StoreError> {
    let sql = select(condition, args.len());
    for status in RequestStatus::HELD {
        args.add(status).map_err(sqlx::Error::Encode)?;
    }
    let rows: Vec<Row> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// `values` as the arguments of a query, in order.
macro_rules! args {
    ($($value:expr),* $(,)?) => {{
        let mut args = AnyArguments::default();
        $(args.add($value).map_err(sqlx::Error::Encode)?;)*
        args
    }};
}

type Row = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    VolunteerStatus,
    Option<i64>,
    i64,
);

fn from_row(row: Row) -> Volunteer {
    let (
        id,
        contact_id,
        phone,
        name,
        zones,
        languages,
        caps,
        availability,
        max,
        status,
        paused,
        open,
    ) = row;
    Volunteer {
        id,
        contact_id,
        phone,
        name_to_use: name,
        zones: list(&zones),
        languages: list(&languages),
        capabilities: list(&caps),
        availability,
        max_open_jobs: max,
        status,
        paused: paused.is_some(),
        open_jobs: open,
    }
}

/// Every volunteer not removed, by name.
pub async fn all(conn: &mut Conn) -> Result<Vec<Volunteer>, StoreError> {
    let condition = "v.status <> $1 ORDER BY v.name_to_use, v.id";
    fetch(conn, condition, args![VolunteerStatus::Removed]).await
}

/// The volunteer a contact is, if any (removed ones are not).
pub async fn by_contact(conn: &mut Conn, contact_id: i64) -> Result<Option<Volunteer>, StoreError> {
    let args = args![contact_id, VolunteerStatus::Removed];
    Ok(fetch(conn, "v.contact_id = $1 AND v.status <> $2", args)
        .await?
        .pop())
}

/// The volunteer with this number, if any (removed ones are not).
pub async fn by_phone(conn: &mut Conn, phone: &str) -> Result<Option<Volunteer>, StoreError> {
    let args = args![phone.to_string(), VolunteerStatus::Removed];
    Ok(fetch(conn, "c.phone = $1 AND v.status <> $2", args)
        .await?
        .pop())
}

/// Active, unpaused volunteers with room for another job: the ones an offer can go to.
pub async fn available(conn: &mut Conn) -> Result<Vec<Volunteer>, StoreError> {
    let condition = "v.status = $1 AND v.paused_at IS NULL ORDER BY v.id";
    let active = fetch(conn, condition, args![VolunteerStatus::Active]).await?;
    Ok(active
        .into_iter()
        .filter(|v| v.open_jobs < v.max_open_jobs)
        .collect())
}

pub async fn set_paused(
    conn: &mut Conn,
    id: i64,
    paused: bool,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE volunteers SET paused_at = $1, updated_at = $2 WHERE id = $3")
        .bind(paused.then_some(now))
        .bind(now)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Sets `status` on the volunteer with this phone; false if there is none.
pub async fn set_status(
    conn: &mut Conn,
    phone: &str,
    status: VolunteerStatus,
    now: i64,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE volunteers SET status = $1, updated_at = $2 \
         WHERE contact_id = (SELECT id FROM contacts WHERE phone = $3)",
    )
    .bind(status)
    .bind(now)
    .bind(phone)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn by_id(conn: &mut Conn, id: i64) -> Result<Option<Volunteer>, StoreError> {
    Ok(fetch(conn, "v.id = $1", args![id]).await?.pop())
}

/// The active volunteers among these contacts (paused ones included: they can still work the
/// jobs they hold).
pub async fn active_among(
    conn: &mut Conn,
    contact_ids: &[i64],
) -> Result<Vec<Volunteer>, StoreError> {
    let mut args = args![VolunteerStatus::Active];
    let condition = format!(
        "v.status = $1 AND v.contact_id IN ({})",
        super::in_list(&mut args, contact_ids)?
    );
    fetch(conn, &condition, args).await
}
