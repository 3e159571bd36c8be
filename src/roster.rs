//! The volunteer roster as organisers keep it: a spreadsheet saved as CSV, or one volunteer at a
//! time on the command line. Both go through [`check`], so a row and a command are held to the same
//! rules, and an import writes nothing unless every row passes.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

pub use check::{MAX_NAME_CHARS, check, check_details};
pub use file::{read, read_file};

use crate::dispatch::desk::Desk;
use crate::dispatch::{DispatchSettings, SIGN_UP_QUEUE};
use crate::flow::Flows;
use crate::lifecycle::{RequestStatus, VolunteerStatus};
use crate::phone::{Phone, Region};
use crate::store::{Db, StoreError, contacts, requests, volunteers};

/// The CSV columns, in the order `Written` lists them.
const COLUMNS: [&str; 7] = [
    "phone",
    "name",
    "zones",
    "languages",
    "capabilities",
    "availability",
    "max_open_jobs",
];

/// A volunteer's details as an organiser wrote them, before any check: on the command line, or
/// in the volunteers page's form (where a field left out is empty).
#[derive(Debug, Default, clap::Args, serde::Deserialize)]
#[serde(default)]
pub struct Written {
    /// Their mobile number; without a country code, the default region's.
    #[arg(long)]
    pub phone: String,
    /// The name neighbours see.
    #[arg(long)]
    pub name: String,
    /// Zones they cover, as named in the flows' [zones.*], separated by `;` or `,`.
    #[arg(long)]
    pub zones: Option<String>,
    /// Language codes, such as `en;es` (default: en).
    #[arg(long)]
    pub languages: Option<String>,
    /// Any of car, money (can front money) and heavy (can carry heavy things).
    #[arg(long)]
    pub capabilities: Option<String>,
    /// When they are usually free, in their own words.
    #[arg(long)]
    pub availability: Option<String>,
    /// How many requests they may hold at once (default: 2).
    #[arg(long)]
    pub max_open_jobs: Option<String>,
}

/// A volunteer whose details passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub phone: Phone,
    pub name: String,
    pub zones: Vec<String>,
    pub languages: Vec<String>,
    pub capabilities: Vec<String>,
    pub availability: String,
    pub max_open_jobs: i64,
}

/// What details are checked against.
#[derive(Debug, Clone)]
pub struct Rules {
    /// The zone names the flows define.
    pub zones: Vec<String>,
    /// For numbers written without a country code.
    pub region: Region,
}

impl Rules {
    /// Zones come from the flows, so a volunteer can only be given one a neighbour can answer with.
    pub fn new(flows: &Flows, region: Region) -> Rules {
        Rules {
            zones: flows.zone_names().into_iter().map(str::to_string).collect(),
            region,
        }
    }
}

/// What is wrong with one volunteer's details, in a sentence an organiser can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The column at fault; none when the row as a whole is.
    pub column: Option<&'static str>,
    pub message: String,
}

impl Problem {
    fn in_column(column: &'static str, message: String) -> Problem {
        Problem {
            column: Some(column),
            message,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "{column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Every problem with one volunteer's details, column by column, so that one look at a row (or at
/// the form) is enough to put all of it right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl From<Problem> for Problems {
    fn from(problem: Problem) -> Problems {
        Problems(vec![problem])
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

/// A row's problems and the row they are on, numbered as a spreadsheet shows it (the header is
/// row 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub row: usize,
    pub problems: Problems,
}

#[derive(Debug, thiserror::Error)]
pub enum RosterError {
    #[error("{0}")]
    Invalid(Problems),
    #[error("{}", report(.rows, *.total))]
    BadRows { rows: Vec<BadRow>, total: usize },
    #[error("cannot open {}", .path.display())]
    Unopenable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the file is not readable CSV")]
    Csv(#[from] csv::Error),
    #[error("the file has no `{0}` column")]
    MissingColumn(&'static str),
    #[error("the column `{0}` is unknown; the columns are {known}", known = COLUMNS.join(", "))]
    UnknownColumn(String),
    #[error("the column `{0}` appears twice")]
    RepeatedColumn(String),
    #[error("the file lists no volunteers")]
    Empty,
    #[error("no volunteer has the number {0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl fmt::Display for BadRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}: {}", self.row, self.problems)
    }
}

fn report(rows: &[BadRow], total: usize) -> String {
    let mut out = String::new();
    for bad in rows {
        out.push_str(&format!("{bad}\n"));
    }
    let bad = counted(rows.len(), "bad row");
    out.push_str(&format!("nothing was imported ({bad} of {total})"));
    out
}

/// `count` and the noun, singular or plural: "1 volunteer", "3 volunteers".
pub fn counted(count: usize, noun: &str) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("{count} {noun}{s}")
}

/// How many of the volunteers saved were new to the roster, and how many were on it already.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Saved {
    pub added: usize,
    pub updated: usize,
}

/// Adds these volunteers with `status` (`active` for a new one), or updates the ones already on
/// the roster: all or none.
pub async fn save(
    db: &Db,
    checked: &[Checked],
    status: VolunteerStatus,
    now: i64,
) -> Result<Saved, RosterError> {
    let mut tx = db.begin().await?;
    let phones: Vec<&str> = checked.iter().map(|v| v.phone.as_str()).collect();
    let ids: HashMap<String, i64> = contacts::upsert_many(&mut tx, &phones, now)
        .await?
        .into_iter()
        .collect();
    let mut saved = Saved::default();
    for v in checked {
        let contact_id = *ids
            .get(v.phone.as_str())
            .ok_or_else(|| StoreError::Corrupt(format!("no contact for {}", v.phone.redacted())))?;
        match volunteers::by_contact(&mut tx, contact_id).await? {
            Some(_) => saved.updated += 1,
            None => saved.added += 1,
        }
        let new = volunteers::NewVolunteer {
            contact_id,
            name_to_use: &v.name,
            zones: &v.zones,
            languages: &v.languages,
            capabilities: &v.capabilities,
            availability: &v.availability,
            max_open_jobs: v.max_open_jobs,
            status,
        };
        volunteers::upsert(&mut tx, &new, now).await?;
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(saved)
}

/// Sets the status (`active`, `removed`) of the volunteer with this number; returns them as they
/// were before. The number is not held to [`check`]'s rules: a sign-up's came from a gateway.
///
/// A sign-up's request on the volunteers queue is settled with it, recorded as done by `actor`,
/// so an approved or declined sign-up does not wait on the dispatchers' queue.
pub async fn set_status(
    db: &Db,
    region: Region,
    dispatch: &DispatchSettings,
    raw_phone: &str,
    status: VolunteerStatus,
    actor: &str,
    now: i64,
) -> Result<volunteers::Volunteer, RosterError> {
    let phone = Phone::parse(raw_phone, region)
        .map_err(|_| RosterError::Invalid(check::not_a_phone_number(raw_phone).into()))?;
    let mut tx = db.begin().await?;
    let volunteer = volunteers::by_phone(&mut tx, phone.as_str())
        .await?
        .ok_or_else(|| RosterError::NotFound(phone.redacted().to_string()))?;
    volunteers::set_status(&mut tx, phone.as_str(), status, now).await?;
    let settled = if status == VolunteerStatus::Active {
        "volunteer approved"
    } else {
        "volunteer removed"
    };
    for sign_up in requests::open_for(&mut tx, &[volunteer.contact_id]).await? {
        if sign_up.queue == SIGN_UP_QUEUE {
            requests::set_status(
                &mut tx,
                sign_up.id,
                RequestStatus::Closed,
                actor,
                Some(settled),
                now,
            )
            .await?;
        }
    }
    if status == VolunteerStatus::Removed {
        // What they still hold goes back to the queue and out to others, rather than wait on
        // someone who is no longer on the roster.
        let mut desk = Desk {
            conn: &mut tx,
            settings: dispatch,
            actor,
            now,
        };
        for job in requests::held_by(desk.conn, volunteer.id).await? {
            desk.release(&job, "the volunteer was removed").await?;
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(volunteer)
}

mod check;
mod file;
#[cfg(test)]
mod tests;
