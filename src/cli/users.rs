//! `aidline users`: accounts for the dispatcher pages. The password is typed at a prompt that does
//! not show it, or comes from standard input when that is not a terminal, so it never lands in
//! shell history, a process listing or the screen.

use std::io::{BufRead, IsTerminal};

use clap::{Subcommand, ValueEnum};

use super::{database, when};
use crate::accounts;
use crate::clock::Clock;
use crate::config::Settings;
use crate::local_time::LocalTime;
use crate::store::users;

#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// Add an account; its password is typed at a prompt that does not show it, or is the first
    /// line of standard input when that is not a terminal.
    Add {
        username: String,
        /// The name shown on the pages.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: Role,
    },
    /// List the accounts: username, name, role, and when one was disabled.
    List,
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
            let stdin = std::io::stdin();
            let password = if stdin.is_terminal() {
                typed_twice(&username)?
            } else {
                first_line(stdin.lock())?
            };
            let db = database(settings).await?;
            let now = Clock::default().now_ms();
            let user = accounts::add(&db, &username, &name, role.as_str(), &password, now).await?;
            println!("added {} {}", user.role, user.username);
        }
        UsersCommand::List => {
            let db = database(settings).await?;
            let list = users::all(&mut *db.acquire().await?).await?;
            print_accounts(&list, &settings.time_zone);
        }
        UsersCommand::Disable { username } => {
            let now = Clock::default().now_ms();
            accounts::set_disabled(&database(settings).await?, &username, Some(now)).await?;
            println!("disabled {username}");
        }
        UsersCommand::Enable { username } => {
            accounts::set_disabled(&database(settings).await?, &username, None).await?;
            println!("enabled {username}");
        }
    }
    Ok(())
}

/// The password typed at the terminal, not shown; asked twice, since a typing mistake nobody saw
/// would lock the account's owner out.
fn typed_twice(username: &str) -> anyhow::Result<String> {
    let password = rpassword::prompt_password(format!("password for {username}: "))?;
    let again = rpassword::prompt_password("the same password again: ")?;
    anyhow::ensure!(
        password == again,
        "the two passwords differ; nothing was added"
    );
    Ok(password)
}

fn print_accounts(list: &[users::User], zone: &LocalTime) {
    println!("{:<24} {:<24} {:<11} disabled", "username", "name", "role");
    for user in list {
        println!(
            "{:<24} {:<24} {:<11} {}",
            user.username,
            user.display_name,
            user.role,
            when(zone, user.disabled_at)
        );
    }
    println!("{}", crate::roster::counted(list.len(), "account"));
}

/// The first line without its line ending; spaces inside a password are the password's own.
fn first_line(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input.read_line(&mut line)?;
    let end = line.trim_end_matches(['\r', '\n']).len();
    line.truncate(end);
    Ok(line)
}
