//! The `aidline` command line. Each command is a thin layer over the library.

mod blocks;
mod contacts;
mod flows;
mod purge;
mod tokens;
mod users;
mod volunteers;
mod wind_down;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::{self, App};
use crate::chat;
use crate::clock::Clock;
use crate::config::Settings;
use crate::flow::load_dir;
use crate::flow_tests;
use crate::local_time::LocalTime;
use crate::phone::redact;
use crate::store::{Db, outbound, requests};

#[derive(Parser, Debug)]
#[command(name = "aidline", version, about = "A text line for mutual-aid groups")]
pub struct Cli {
    /// Settings file (default: ./aidline.toml when present).
    #[arg(long, global = true, env = "AIDLINE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the service (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the SQLite database to FILE, safely while the service runs.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
    /// Work with flow files.
    Flows {
        #[command(subcommand)]
        command: FlowsCommand,
    },
    /// Talk to a flow in the terminal, as a neighbour would by text.
    Chat {
        /// The flow to start in (default: the first line's flow).
        #[arg(long)]
        flow: Option<String>,
        /// Start in this language instead of the flow's default.
        #[arg(long)]
        lang: Option<String>,
        /// Keep the conversation and any request in the configured database.
        #[arg(long)]
        save: bool,
        /// Call the line instead of texting it: type keys (`1`, `3#`, `*`) or words.
        #[arg(long)]
        voice: bool,
    },
    /// Look at requests.
    Requests {
        #[command(subcommand)]
        command: RequestsCommand,
    },
    /// Look at texts the line could not send.
    Texts {
        #[command(subcommand)]
        command: TextsCommand,
    },
    /// Manage volunteers: import a CSV, add, list, approve, remove.
    Volunteers {
        #[command(subcommand)]
        command: volunteers::VolunteersCommand,
    },
    /// Manage accounts for the dispatcher pages.
    Users {
        #[command(subcommand)]
        command: users::UsersCommand,
    },
    /// Manage bearer tokens for the JSON API.
    Tokens {
        #[command(subcommand)]
        command: tokens::TokensCommand,
    },
    /// What the line holds about one number: export it, forget it, block or unblock it.
    Contacts {
        #[command(subcommand)]
        command: contacts::ContactsCommand,
    },
    /// Remove personal data that outlived its retention (`[retention]` in the settings).
    Purge {
        /// Only say what would go, per kind; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// A group that stops: write the counts to a file, then forget everyone and purge the rest.
    /// Only with `[wind_down]` set.
    WindDown {
        /// Where the counts go, as JSON.
        #[arg(long)]
        export: PathBuf,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TextsCommand {
    /// Texts that failed, were reported undelivered, or were held back because the recipient
    /// opted out; newest first, numbers masked, no message bodies.
    Failed {
        #[arg(long)]
        json: bool,
        /// How many to show.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum FlowsCommand {
    /// Check flow files and report every problem as file:line:column.
    Check {
        /// Directory of flows (default: flows_dir from the settings).
        dir: Option<PathBuf>,
    },
    /// Run the conversation tests in the flows directory's `tests/` folder, each on a throwaway
    /// line; prints a diff for every conversation that went otherwise, and fails.
    Test {
        /// Directory of flows (default: flows_dir from the settings).
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum RequestsCommand {
    /// List requests, oldest first.
    List {
        /// One JSON document instead of a table.
        #[arg(long)]
        json: bool,
        #[arg(long)]
        queue: Option<String>,
        #[arg(long)]
        status: Option<crate::lifecycle::RequestStatus>,
    },
}

/// Runs the parsed command; the error is what to tell the user.
impl Cli {
    /// Commands whose output is a conversation or a report for the person at the terminal: the
    /// service's own log lines would bury it, so only warnings are logged.
    pub fn talks_to_a_person(&self) -> bool {
        matches!(
            self.command,
            Some(Command::Chat { .. })
                | Some(Command::Flows {
                    command: FlowsCommand::Test { .. }
                })
        )
    }
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let shutdown = CancellationToken::new();
            tokio::spawn(app::cancel_on_signal(shutdown.clone()));
            App::run(settings, Clock::default(), shutdown).await?;
        }
        Command::Migrate => {
            Db::connect(&settings.database_url).await?.migrate().await?;
            println!("database is up to date");
        }
        Command::Backup { file } => {
            Db::connect(&settings.database_url)
                .await?
                .backup_to(&file)
                .await?;
            println!("backed up to {}", file.display());
        }
        Command::Flows {
            command: FlowsCommand::Check { dir },
        } => {
            let dir = dir.unwrap_or_else(|| settings.flows_dir.clone());
            let flows = load_dir(&dir, settings.default_region)?;
            flows::print_check(&dir, &flows, &settings);
        }
        Command::Flows {
            command: FlowsCommand::Test { dir },
        } => {
            let mut settings = settings;
            if let Some(dir) = dir {
                settings.flows_dir = dir;
            }
            let files = flow_tests::load_dir(&settings.flows_dir.join("tests"))?;
            let report = flow_tests::run(&settings, &files).await?;
            println!("{report}");
            if !report.passed() {
                anyhow::bail!("some conversations went otherwise than written");
            }
        }
        Command::Chat {
            flow,
            lang,
            save,
            voice,
        } => {
            let options = chat::Options {
                flow,
                language: lang,
                save,
                voice,
            };
            chat::run(
                settings,
                options,
                std::io::stdin().lock(),
                std::io::stdout(),
            )
            .await?;
        }
        Command::Texts {
            command: TextsCommand::Failed { json, limit },
        } => {
            let db = database(&settings).await?;
            let mut conn = db.acquire().await?;
            let mut list = outbound::unsent(&mut conn, limit).await?;
            for t in &mut list {
                t.line = redact(&t.line);
                t.to_phone = redact(&t.to_phone);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_unsent(&list, &settings.time_zone);
            }
        }
        Command::Requests {
            command:
                RequestsCommand::List {
                    json,
                    queue,
                    status,
                },
        } => {
            let db = database(&settings).await?;
            let mut conn = db.acquire().await?;
            let mut list = requests::list(&mut conn, &requests::Filter { queue, status }).await?;
            for r in &mut list {
                r.phone = redact(&r.phone);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                print_table(&list);
            }
        }
        Command::Volunteers { command } => volunteers::run(command, &settings).await?,
        Command::Users { command } => users::run(command, &settings).await?,
        Command::Tokens { command } => tokens::run(command, &settings).await?,
        Command::Contacts { command } => contacts::run(command, &settings).await?,
        Command::Purge { dry_run, json } => purge::run(dry_run, json, &settings).await?,
        Command::WindDown { export, yes } => wind_down::run(&export, yes, &settings).await?,
    }
    Ok(())
}

/// How request events (a sign-up approved or declined, a request cancelled by a forgetting) and
/// the record of forgetting name what was done from the command line.
const CLI_ACTOR: &str = "cli";

/// The configured database, migrated.
async fn database(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// A moment as a table shows it, to the minute in the group's time zone; `-` for one that has not
/// happened.
fn when(zone: &LocalTime, ms: Option<i64>) -> String {
    ms.map_or_else(|| "-".into(), |ms| zone.minute(ms))
}

fn print_table(list: &[requests::RequestSummary]) {
    println!(
        "{:<6} {:<14} {:<10} {:<14} fields",
        "code", "queue", "status", "phone"
    );
    for r in list {
        let fields: Vec<String> = r.fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
        println!(
            "{:<6} {:<14} {:<10} {:<14} {}",
            r.code,
            r.queue,
            r.status,
            r.phone,
            fields.join("; ")
        );
    }
    println!("{} request(s)", list.len());
}

fn print_unsent(list: &[outbound::Unsent], zone: &LocalTime) {
    println!(
        "{:<8} {:<24} {:<14} {:<22} {:<11} {:>8}  why",
        "id", "when", "to", "kind", "state", "attempts"
    );
    for t in list {
        let when = zone.format(t.updated_at, "%Y-%m-%d %H:%M:%S %Z");
        let why = match (&t.error_code, &t.error_detail) {
            (Some(code), Some(detail)) => format!("{code}: {detail}"),
            (Some(code), None) => code.clone(),
            (None, Some(detail)) => detail.clone(),
            (None, None) => String::new(),
        };
        println!(
            "{:<8} {:<24} {:<14} {:<22} {:<11} {:>8}  {why}",
            t.id, when, t.to_phone, t.kind, t.state, t.attempts
        );
    }
    println!("{} text(s)", list.len());
}
