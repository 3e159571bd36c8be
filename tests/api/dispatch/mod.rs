//! Dispatch by text, told as stories: a neighbour's request offered to volunteers, claimed by the
//! first to answer, worked through the relay, delivered and confirmed.

mod claims;
mod desk;
mod languages;
mod race;
mod reports;
mod stories;

use aidline::lifecycle::VolunteerStatus;
use aidline::store::volunteers::{self, NewVolunteer};
use aidline::store::{contacts, requests};

use crate::helpers::*;

/// The on-call dispatcher's phone.
pub const DISPATCHER: &str = "+15557660999";

/// A service whose dispatchers are alerted at [`DISPATCHER`].
pub async fn spawn(db: TestDb) -> TestApp {
    let options = Options {
        extra_settings: format!("[dispatch]\nalert_to = [\"{DISPATCHER}\"]"),
        ..Options::default()
    };
    TestApp::spawn_with(db, options).await
}

/// Adds an active volunteer who covers `zones` (none: everywhere) and speaks English.
pub async fn volunteer(app: &TestApp, phone: &str, name: &str, zones: &[&str]) -> i64 {
    volunteer_speaking(app, phone, name, zones, &["en"]).await
}

/// Adds an active volunteer who covers `zones` and speaks `languages` (none listed: the group's
/// main language).
pub async fn volunteer_speaking(
    app: &TestApp,
    phone: &str,
    name: &str,
    zones: &[&str],
    languages: &[&str],
) -> i64 {
    let mut conn = app.db.acquire().await.unwrap();
    let now = app.clock.now_ms();
    let contact = contacts::upsert_many(&mut conn, &[phone], now)
        .await
        .unwrap()[0]
        .1;
    let zones: Vec<String> = zones.iter().map(|z| z.to_string()).collect();
    let v = NewVolunteer {
        contact_id: contact,
        name_to_use: name,
        zones: &zones,
        languages: &languages.iter().map(|l| l.to_string()).collect::<Vec<_>>(),
        capabilities: &[],
        availability: "",
        max_open_jobs: 2,
        status: VolunteerStatus::Active,
    };
    volunteers::upsert(&mut conn, &v, now).await.unwrap()
}

/// Where the neighbour in these stories asks to meet, and what they note: neither may reach a
/// volunteer before their claim wins.
pub const CORNER: &str = "Oak and 3rd";
pub const NOTES: &str = "Side door, the bell is broken";

/// What a neighbour texts, one text at a time, to ask for groceries in Northside.
pub const ASKING_FOR_GROCERIES: [&str; 10] = [
    "hi",
    "1",
    "1",
    "bread, milk",
    "2",
    "northside",
    CORNER,
    "today",
    NOTES,
    "Maria",
];

/// A neighbour texts in a grocery request for Northside through the whole intake; returns its code.
pub async fn neighbour_asks(app: &TestApp, neighbour: &str) -> String {
    for text in ASKING_FOR_GROCERIES {
        app.text(neighbour, text).await;
    }
    let contact: i64 = sqlx::query_scalar("SELECT id FROM contacts WHERE phone = $1")
        .bind(neighbour)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let mut conn = app.db.acquire().await.unwrap();
    requests::open_for(&mut conn, &[contact])
        .await
        .unwrap()
        .pop()
        .expect("a request")
        .code
}

/// The texts `to` was sent, sending whatever is due first.
pub async fn inbox(app: &TestApp, to: &str) -> Vec<String> {
    app.send_due().await;
    app.sent_to(to).await
}

pub async fn status_of(app: &TestApp, code: &str) -> String {
    sqlx::query_scalar("SELECT status FROM requests WHERE code = $1 ORDER BY id DESC LIMIT 1")
        .bind(code)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}
