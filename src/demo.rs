//! The demo: `aidline` started with no settings file runs a console line on a local database. So
//! that a newcomer can see the whole loop in a browser, start-up makes an admin account (its
//! password is shown once, on the terminal) and a volunteer who covers every zone and language
//! the flows know, and the phone simulator texts the line as a neighbour and as that volunteer.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::accounts::{self, AccountError, random_token};
use crate::flow::Flows;
use crate::lifecycle::VolunteerStatus;
use crate::phone::Region;
use crate::roster::{self, RosterError, Rules, Written};
use crate::store::{Db, StoreError, users, volunteers};

/// The demo's admin account.
pub const ADMIN: &str = "demo";
/// The simulator's phones, numbers set aside for fiction.
pub const NEIGHBOUR_PHONE: &str = "+14155550100";
pub const VOLUNTEER_PHONE: &str = "+14155550123";

/// What start-up tells the person running the demo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Welcome {
    /// The database had no accounts: this one was made, and its password is shown this once.
    Created { password: String },
    /// Accounts exist from an earlier start; none was added.
    Existing,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo account: {0}")]
    Account(#[from] AccountError),
    #[error("demo volunteer: {0}")]
    Roster(#[from] RosterError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes the demo account when there is none, and the demo volunteer when they are missing; a
/// restart adds neither again.
pub async fn prepare(
    db: &Db,
    flows: &Flows,
    region: Region,
    now: i64,
) -> Result<Welcome, DemoError> {
    // The volunteer first: should it fail, no account is left whose password was never shown.
    let volunteer = volunteers::by_phone(&mut *db.acquire().await?, VOLUNTEER_PHONE).await?;
    if volunteer.is_none() {
        let volunteer = roster::check(&demo_volunteer(flows), &Rules::new(flows, region))
            .map_err(RosterError::Invalid)?;
        roster::save(db, &[volunteer], VolunteerStatus::Active, now).await?;
    }
    let accounts = users::count(&mut *db.acquire().await?).await?;
    let welcome = if accounts == 0 {
        let password = random_token();
        accounts::add(db, ADMIN, "Demo admin", "admin", &password, now).await?;
        Welcome::Created { password }
    } else {
        Welcome::Existing
    };
    Ok(welcome)
}

/// A volunteer an offer from any zone and in any language reaches.
fn demo_volunteer(flows: &Flows) -> Written {
    let mut languages: Vec<&str> = flows
        .ids()
        .into_iter()
        .filter_map(|id| flows.get(id))
        .flat_map(|flow| flow.languages.iter().map(String::as_str))
        .collect();
    languages.sort_unstable();
    languages.dedup();
    Written {
        phone: VOLUNTEER_PHONE.into(),
        name: "Vic".into(),
        zones: Some(flows.zone_names().join(";")),
        languages: Some(languages.join(";")),
        capabilities: Some("car;money;heavy".into()),
        availability: Some("any time (the demo's volunteer)".into()),
        max_open_jobs: Some("5".into()),
    }
}

/// The address a browser on this machine opens to reach a service listening on `bound`: a
/// service listening on every interface is reached on the loopback one.
pub fn address_to_open(bound: SocketAddr) -> String {
    let ip = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, bound.port()))
}

/// What the terminal shows at start: where to go, and how to sign in.
pub fn greeting(welcome: &Welcome, address: &str) -> String {
    let address = address.trim_end_matches('/');
    let sign_in = match welcome {
        Welcome::Created { password } => format!(
            "Sign in as `{ADMIN}` with the password {password}\n\
             (shown this once; change it on the page Your password)."
        ),
        Welcome::Existing => format!(
            "Sign in with an account made earlier (the `{ADMIN}` account's password was shown\n\
             when it was made)."
        ),
    };
    format!(
        "\nThe aidline demo is running: open {address}/\n{sign_in}\n\
         The phone simulator, {address}/simulator, texts the line as a neighbour or a volunteer.\n\
         Add accounts on the Accounts page or with `aidline users add USERNAME --name \"Name\" --role admin`.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_on_every_interface_is_opened_on_this_machine_at_its_port() {
        let open = |bound: &str| address_to_open(bound.parse().unwrap());
        assert_eq!(open("0.0.0.0:8080"), "http://127.0.0.1:8080");
        assert_eq!(open("[::]:8080"), "http://[::1]:8080");
        assert_eq!(open("192.168.1.5:41234"), "http://192.168.1.5:41234");
    }
}
