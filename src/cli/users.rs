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
    /// Disable an account: it is signed out everywhere, cannot sign in, and the API tokens it
    /// made are revoked.
    Disable { username: String },
    /// Let a disabled account sign in again (its revoked tokens stay revoked).
    Enable { username: String },
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
            let db = connect(settings).await?;
            let now = Clock::default().now_ms();
            let user = accounts::add(&db, &username, &name, role.as_str(), &password, now).await?;
            println!("added {} {}", user.role, user.username);
        }
        UsersCommand::Disable { username } => {
            let now = Clock::default().now_ms();
            accounts::set_disabled(&connect(settings).await?, &username, Some(now)).await?;
            println!("disabled {username}");
        }
        UsersCommand::Enable { username } => {
            accounts::set_disabled(&connect(settings).await?, &username, None).await?;
            println!("enabled {username}");
        }
    }
    Ok(())
}

async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    Ok(db)
}

/// The first line without its line ending; spaces inside a password are the password's own.
fn first_line(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let end = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(end);
    Ok(line)
}
