//! Forgetting a person: from the command line and from the request page, with the database
//! searched afterwards, the counts kept, and the volunteer on their request told.

use aidline::store::{Backend, stats};
use reqwest::StatusCode;

use crate::dispatch::{inbox, volunteer};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

pub const NEIGHBOUR: &str = "+15557710001";
/// How the neighbour's number reads in any form, with or without its country code.
pub const NUMBER_DIGITS: &str = "5557710001";
pub const ANA: &str = "+15557710101";
const BEN: &str = "+15557710102";
/// A word only this neighbour ever texted.
pub const WORD: &str = "kohlrabi";

/// A neighbour asks for groceries with a word of their own, by text, through the whole intake;
/// returns the request's code.
pub async fn neighbour_asks_for_kohlrabi(app: &TestApp) -> String {
    let answers = [
        "hi",
        "1",
        "1",
        "kohlrabi and rye bread",
        "2",
        "northside",
        "Elm and 9th",
        "today",
        "skip",
        "Rosalind",
    ];
    for text in answers {
        app.text(NEIGHBOUR, text).await;
    }
    sqlx::query_scalar("SELECT code FROM requests WHERE closed_at IS NULL ORDER BY id DESC")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Runs `aidline` on the test's database, as an organiser on the service's machine would.
pub async fn aidline(app: &TestApp, args: &[&str]) -> String {
    let url = app.test_db.url.clone();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_aidline"))
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("AIDLINE_CONFIG", "tests/fixtures/test.toml")
            .env("AIDLINE_DATABASE_URL", url)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The requests the stats page counts, as it reads them (in no particular order).
pub async fn counted(app: &TestApp) -> Vec<stats::Made> {
    let mut conn = app.db.acquire().await.unwrap();
    let mut made = stats::made_since(&mut conn, 0, "volunteers").await.unwrap();
    made.sort_by_key(|m| (m.created_at, m.claimed_at, m.delivered_at, m.queue.clone()));
    made
}

/// Every row of every table, as text (PostgreSQL), or the database files' bytes (SQLite, where
/// deleted rows would linger in free pages and the write-ahead log).
pub async fn everything_stored(app: &TestApp) -> Vec<u8> {
    match app.db.backend() {
        Backend::Sqlite => {
            let path = app.test_db.url.trim_start_matches("sqlite://").to_string();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            bytes
        }
        Backend::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(app.db.pool())
            .await
            .unwrap();
            let mut text = String::new();
            for table in tables {
                let sql = format!("SELECT string_agg(t::text, ' ') FROM {table} t");
                let rows: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap();
                text.push_str(&rows.unwrap_or_default());
            }
            text.into_bytes()
        }
    }
}

pub fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Ana holds the neighbour's request, and the neighbour has messaged her through the relay.
pub async fn ana_holds_the_kohlrabi_request(app: &TestApp) -> String {
    volunteer(app, ANA, "Ana", &["northside"]).await;
    let code = neighbour_asks_for_kohlrabi(app).await;
    app.text(ANA, &format!("YES {code}")).await;
    app.text(NEIGHBOUR, "small kohlrabi is fine").await;
    let ana = inbox(app, ANA).await;
    assert!(ana.iter().any(|t| t.contains(WORD)), "{ana:?}");
    code
}

on_both_databases! {
    async fn a_neighbour_forgotten_from_the_command_line_leaves_no_trace_and_their_volunteer_is_told(db) {
        let app = TestApp::spawn(db).await;
        let code = ana_holds_the_kohlrabi_request(&app).await;
        let before = counted(&app).await;
        assert!(holds(&everything_stored(&app).await, WORD));

        let said = aidline(&app, &["contacts", "forget", NEIGHBOUR]).await;
        assert!(said.contains("forgot +1******0001"), "{said}");
        assert!(!said.contains(NEIGHBOUR) && !said.contains(WORD), "{said}");

        // The command ran on the machine's clock, a little ahead of the test's.
        app.clock.advance(std::time::Duration::from_secs(60));
        let told = inbox(&app, ANA).await;
        let last = told.last().unwrap();
        assert!(last.contains(&code) && last.contains("cancelled"), "{told:?}");
        let stored = everything_stored(&app).await;
        assert!(!holds(&stored, NUMBER_DIGITS), "the number is still in the database");
        assert!(!holds(&stored, WORD), "the neighbour's words are still in the database");
        assert!(!holds(&stored, "Rosalind"), "the neighbour's name is still in the database");
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE phone = '+15557710001'").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM requests WHERE contact_id IS NULL").await, 1);
        assert_eq!(counted(&app).await, before, "the stats count the request as before");
        let status: String = sqlx::query_scalar("SELECT status FROM requests WHERE code = $1")
            .bind(&code)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(status, "cancelled");
        let recorded: (String, String) = sqlx::query_as("SELECT actor, reason FROM erasures")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(recorded, ("cli".to_string(), "asked".to_string()));
    }

    async fn a_forgotten_volunteers_job_goes_back_to_the_queue_and_their_neighbour_is_told(db) {
        let app = TestApp::spawn(db).await;
        let code = ana_holds_the_kohlrabi_request(&app).await;
        volunteer(&app, BEN, "Ben", &["northside"]).await;

        aidline(&app, &["contacts", "forget", ANA]).await;
        app.clock.advance(std::time::Duration::from_secs(60));

        let neighbour = inbox(&app, NEIGHBOUR).await;
        assert!(neighbour.last().unwrap().contains("could not make it"), "{neighbour:?}");
        assert!(inbox(&app, BEN).await.last().unwrap().contains(&format!("YES {code}")));
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers").await, 1, "only Ben is left");
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE phone = '+15557710101'").await, 0);
        assert!(!holds(&everything_stored(&app).await, "5557710101"));
    }

    async fn a_neighbour_who_reported_their_volunteer_is_forgotten_with_the_words_of_the_report(db) {
        let app = TestApp::spawn(db).await;
        let code = ana_holds_the_kohlrabi_request(&app).await;
        app.text(NEIGHBOUR, &format!("REPORT {code} she kept asking about kohlrabi")).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM relay_stops").await, 1);

        aidline(&app, &["contacts", "forget", NEIGHBOUR]).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM relay_stops").await, 0);
        assert!(!holds(&everything_stored(&app).await, WORD), "the report's words are gone");
    }

    async fn a_volunteer_who_left_a_relay_can_be_forgotten(db) {
        let app = TestApp::spawn(db).await;
        let code = ana_holds_the_kohlrabi_request(&app).await;
        app.text(ANA, &format!("LEAVE {code}")).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM relay_stops").await, 1);

        let said = aidline(&app, &["contacts", "forget", ANA]).await;
        assert!(said.contains("forgot"), "{said}");
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM relay_stops").await, 0);
    }

    async fn a_neighbour_who_asks_gets_everything_held_about_them_as_json(db) {
        let app = TestApp::spawn(db).await;
        let code = ana_holds_the_kohlrabi_request(&app).await;

        let json: serde_json::Value =
            serde_json::from_str(&aidline(&app, &["contacts", "export", "(555) 771-0001"]).await)
                .unwrap();
        assert_eq!(json["contact"]["phone"], NEIGHBOUR);
        assert_eq!(json["contact"]["name_to_use"], "Rosalind");
        let said: Vec<&str> = json["texts_in"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["body"].as_str().unwrap())
            .collect();
        assert!(said.contains(&"small kohlrabi is fine"), "{said:?}");
        assert!(!json["texts_out"].as_array().unwrap().is_empty());
        assert_eq!(json["requests"][0]["code"], code.as_str());
        assert_eq!(json["requests"][0]["answers"]["items"], "kohlrabi and rye bread");
        assert_eq!(json["requests"][0]["history"][0]["kind"], "created");
        assert_eq!(json["conversations"][0]["answers"]["name_to_use"], "Rosalind");
        assert!(json["volunteer"].is_null());

        let ana: serde_json::Value =
            serde_json::from_str(&aidline(&app, &["contacts", "export", ANA]).await).unwrap();
        assert_eq!(ana["volunteer"]["name_to_use"], "Ana");
    }

    async fn an_admin_forgets_the_neighbour_from_the_request_page_and_a_dispatcher_cannot(db) {
        let app = TestApp::spawn(db).await;
        let code = ana_holds_the_kohlrabi_request(&app).await;
        account(&app, "dana", "dispatcher").await;
        account(&app, "ada", "admin").await;
        let (dana, ada) = (Browser::new(&app), Browser::new(&app));
        dana.sign_in("dana", PASSWORD).await;
        ada.sign_in("ada", PASSWORD).await;
        let path = format!("/requests/{code}");

        let seen_by_dana = dana.get(&path).await;
        assert!(!seen_by_dana.body.contains("/forget"), "no button for a dispatcher");
        let csrf = seen_by_dana.csrf();
        let refused = dana.post(&format!("{path}/forget"), &[("csrf", &csrf), ("confirmed", "yes")]).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE phone = '+15557710001'").await, 1);

        let page = ada.get(&path).await;
        assert!(page.body.contains("Forget this person"));
        let asked = ada.post(&format!("{path}/forget"), &[("csrf", &page.csrf())]).await;
        assert_eq!(asked.status, StatusCode::OK);
        assert!(asked.body.contains("cannot be undone"));
        assert_eq!(
            app.count("SELECT COUNT(*) FROM contacts WHERE phone = '+15557710001'").await,
            1,
            "nothing is forgotten before the second yes"
        );
        let done = ada
            .post(&format!("{path}/forget"), &[("csrf", &asked.csrf()), ("confirmed", "yes")])
            .await;
        assert_eq!((done.status, done.path.as_str()), (StatusCode::OK, "/"));
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE phone = '+15557710001'").await, 0);
        assert_eq!(ada.get(&path).await.status, StatusCode::NOT_FOUND);
        assert!(inbox(&app, ANA).await.last().unwrap().contains("cancelled"));
        let actor: String = sqlx::query_scalar("SELECT actor FROM erasures")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(actor, "user:ada");
    }
}
