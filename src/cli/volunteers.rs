//! `aidline volunteers`: the roster on the command line. Numbers are only ever shown masked.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CLI_ACTOR, database};
use crate::clock::Clock;
use crate::config::Settings;
use crate::flow::load_dir;
use crate::lifecycle::VolunteerStatus;
use crate::phone::redact;
use crate::roster::{self, RosterError, Rules, Written, counted};
use crate::store::volunteers;

#[derive(Subcommand, Debug)]
pub enum VolunteersCommand {
    /// Add or update the volunteers in a CSV file: every row, or none if any row is wrong.
    Import {
        /// Columns: phone, name, zones, languages, capabilities, availability, max_open_jobs.
        file: PathBuf,
    },
    /// List volunteers by name (removed ones are not shown).
    List {
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
        /// Only sign-ups waiting for approval.
        #[arg(long)]
        pending: bool,
    },
    /// Add one volunteer, or update the one with this number, checked as an imported row is.
    Add(Written),
    /// Make a pending sign-up active, so offers can go to them.
    Approve { phone: String },
    /// Take a volunteer off the roster; they get no more offers.
    Remove { phone: String },
}

pub async fn run(command: VolunteersCommand, settings: &Settings) -> anyhow::Result<()> {
    let now = Clock::default().now_ms();
    match command {
        VolunteersCommand::Import { file } => {
            // The file is checked before the database is touched, so a bad one leaves no trace.
            let checked = roster::read_file(&file, &rules(settings)?)?;
            roster::save(
                &database(settings).await?,
                &checked,
                VolunteerStatus::Active,
                now,
            )
            .await?;
            println!("imported {}", counted(checked.len(), "volunteer"));
        }
        VolunteersCommand::Add(written) => {
            let checked =
                roster::check(&written, &rules(settings)?).map_err(RosterError::Invalid)?;
            let db = database(settings).await?;
            roster::save(
                &db,
                std::slice::from_ref(&checked),
                VolunteerStatus::Active,
                now,
            )
            .await?;
            println!("saved {} ({})", checked.name, checked.phone.redacted());
        }
        VolunteersCommand::List { json, pending } => {
            let db = database(settings).await?;
            let mut list = volunteers::all(&mut *db.acquire().await?).await?;
            list.retain(|v| !pending || v.status == VolunteerStatus::Pending);
            for v in &mut list {
                v.phone = redact(&v.phone);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_table(&list);
            }
        }
        VolunteersCommand::Approve { phone } => {
            set_status(settings, &phone, VolunteerStatus::Active, "approved", now).await?;
        }
        VolunteersCommand::Remove { phone } => {
            set_status(settings, &phone, VolunteerStatus::Removed, "removed", now).await?;
        }
    }
    Ok(())
}

/// Sets a volunteer's status and says so, e.g. `approved Rosa (+1******0102)`.
async fn set_status(
    settings: &Settings,
    phone: &str,
    status: VolunteerStatus,
    done: &str,
    now: i64,
) -> anyhow::Result<()> {
    let db = database(settings).await?;
    let v = roster::set_status(
        &db,
        settings.default_region,
        &settings.dispatch,
        phone,
        status,
        CLI_ACTOR,
        now,
    )
    .await?;
    println!("{done} {} ({})", v.name_to_use, redact(&v.phone));
    Ok(())
}

fn rules(settings: &Settings) -> anyhow::Result<Rules> {
    let flows = load_dir(&settings.flows_dir, settings.default_region)?;
    Ok(Rules::new(&flows, settings.default_region))
}

fn print_table(list: &[volunteers::Volunteer]) {
    println!(
        "{:<20} {:<14} {:<20} {:<9} {:<16} {:<15} open jobs",
        "name", "phone", "zones", "languages", "capabilities", "status"
    );
    for v in list {
        let status = if v.paused {
            format!("{}, paused", v.status)
        } else {
            v.status.to_string()
        };
        println!(
            "{:<20} {:<14} {:<20} {:<9} {:<16} {:<15} {} of {}",
            v.name_to_use,
            v.phone,
            v.zones.join(","),
            v.languages.join(","),
            v.capabilities.join(","),
            status,
            v.open_jobs,
            v.max_open_jobs
        );
    }
    println!("{}", counted(list.len(), "volunteer"));
}
