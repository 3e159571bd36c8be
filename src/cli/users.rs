//! `aidline users`: accounts for the dispatcher pages. The password comes from standard input, so
//! it never lands in shell history or a process listing.

use std::io::BufRead;

use clap::{Subcommand, ValueEnum};

use crate::accounts;
use crate::clock::Clock;
use crate::config::Settings;
use crate::store::Db;

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add an account; its password is the first line of standard input.
    Add {
        username: String,
        /// The name shown on the pages.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Role {
    Dispatcher,
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Dispatcher => "dispatcher",
            Role::Admin => "admin",
        }
    }
}

pub async fn run(command: UsersCommand, settings: &Settings) -> anyhow::Result<()> {
    match command {
        UsersCommand::Add {
            username,
            name,
            role,
        } => {
            let password = first_line(std::io::stdin().lock())?;
            let db = Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            let now = Clock::default().now_ms();
            let user = accounts::add(&db, &username, &name, role.as_str(), &password, now).await?;
            println!("added {} {}", user.role, user.username);
        }
    }
    Ok(())
}

/// The first line without its line ending; spaces inside a password are the password's own.
fn first_line(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let end = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(end);
    Ok(line)
}
