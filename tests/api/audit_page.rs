//! The audit page: an admin sees who opened, revealed or played what and when, and each person
//! forgotten; the same rows as a spreadsheet; never a number nor a neighbour's words.

use std::time::Duration;

use reqwest::StatusCode;

use crate::call_harness::CALLER;
use crate::calls::messages::{leave_a_message, twilio_holds_the_recording};
use crate::dispatch::neighbour_asks;
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, account};

const MINUTE: Duration = Duration::from_secs(60);

async fn signed_in(app: &TestApp, username: &str, role: &str) -> Browser {
    account(app, username, role).await;
    let browser = Browser::new(app);
    browser.sign_in(username, PASSWORD).await;
    browser
}

/// Dina opens the hand-off `code`, reveals the caller's number and plays their message, a
/// minute apart; returns when each happened.
async fn dina_looks_closely(app: &TestApp, dina: &Browser, code: &str) -> [i64; 3] {
    let viewed = app.clock.now_ms();
    let page = dina.get(&format!("/requests/{code}")).await;
    app.clock.advance(MINUTE);
    let revealed = app.clock.now_ms();
    let shown = dina
        .post(
            &format!("/requests/{code}/reveal"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert!(shown.body.contains(CALLER), "Dina was shown the number");
    app.clock.advance(MINUTE);
    let played = app.clock.now_ms();
    let id: i64 = sqlx::query_scalar("SELECT id FROM recordings")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let audio = dina
        .http
        .get(app.url(&format!("/requests/{code}/recordings/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(audio.status(), StatusCode::OK);
    [viewed, revealed, played]
}

/// What Dina did, as the audit lists it, newest first: the page that shows the revealed number
/// is the request's page, opened again.
fn dinas_rows(viewed: i64, revealed: i64, played: i64) -> [(&'static str, i64); 4] {
    [
        ("played the message", played),
        ("opened the request", revealed),
        ("revealed the number", revealed),
        ("opened the request", viewed),
    ]
}

async fn csv_rows(browser: &Browser, app: &TestApp, query: &str) -> Vec<Vec<String>> {
    let body = browser
        .http
        .get(app.url(&format!("/audit.csv{query}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains(&CALLER[2..]) && !body.contains(&NEIGHBOUR[2..]));
    csv::Reader::from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

on_both_databases! {
    async fn an_admin_sees_that_dina_revealed_a_callers_number_and_played_their_message(db) {
        let app = TestApp::spawn(db).await;
        twilio_holds_the_recording(&app).await;
        let code = leave_a_message(&app).await;
        assert_eq!(app.copy_recordings().await, 1);
        let other = neighbour_asks(&app, NEIGHBOUR).await;
        let dina = signed_in(&app, "dina", "dispatcher").await;
        let dana = signed_in(&app, "dana", "dispatcher").await;
        let rosa = signed_in(&app, "rosa", "admin").await;

        let [viewed, revealed, played] = dina_looks_closely(&app, &dina, &code).await;
        app.clock.advance(MINUTE);
        dana.get(&format!("/requests/{other}")).await;
        app.clock.advance(MINUTE);
        let forgotten = app.clock.now_ms();
        let csrf = rosa.get(&format!("/requests/{other}")).await.csrf();
        let form = [("csrf", csrf.as_str()), ("confirmed", "yes")];
        rosa.post(&format!("/requests/{other}/forget"), &form).await;

        let queue = rosa.get("/").await;
        assert!(queue.body.contains("href=\"/audit\""), "admins find it in the navigation");
        let page = rosa.get("/audit?account=dina").await;
        assert_eq!(page.status, StatusCode::OK);
        let zone = &app.settings.time_zone;
        let rows: Vec<String> = page.body.split("<tr>").skip(2).map(str::to_string).collect();
        assert_eq!(rows.len(), 4, "Dina's rows only: {}", page.body);
        for (row, (what, at)) in rows.iter().zip(dinas_rows(viewed, revealed, played)) {
            assert!(row.contains(what) && row.contains(&zone.minute(at)), "{row}");
            assert!(row.contains("dina (display) (dina)") && row.contains(&code), "{row}");
        }
        assert!(!page.body.contains(&CALLER[2..]), "never a number");
        assert!(!page.body.contains("dana (display)</td>"), "Dana's view is filtered out");

        let everything = rosa.get("/audit").await;
        assert!(everything.body.contains("forgot a person"), "{}", everything.body);
        assert!(everything.body.contains(&zone.minute(forgotten)));
        assert!(everything.body.contains("asked to be forgotten"));
        let revealing = rosa.get("/audit?kind=revealed").await;
        assert_eq!(revealing.body.matches("revealed the number</td>").count(), 1);

        let sheet = csv_rows(&rosa, &app, "?account=dina").await;
        assert_eq!(sheet.len(), 4);
        for (row, (what, at)) in sheet.iter().zip(dinas_rows(viewed, revealed, played)) {
            let when = zone.minute(at);
            let who = "dina (display) (dina)";
            assert_eq!(row[..4], [when.as_str(), who, what, code.as_str()]);
        }
        assert!(csv_rows(&rosa, &app, "").await.iter().any(|r| r[2] == "forgot a person" && r[3].is_empty()));

        assert_eq!(dina.get("/audit").await.status, StatusCode::FORBIDDEN);
        let refused = dina.http.get(app.url("/audit.csv")).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let dinas_queue = dina.get("/").await;
        assert!(!dinas_queue.body.contains("href=\"/audit\""), "dispatchers are not shown it");
    }

    async fn an_admin_sees_who_blocked_a_number_from_which_request_but_never_the_number(db) {
        let block_key = "[safety]\nblock_key = \"a test key of some length\"";
        let app = TestApp::spawn_with(db, Options { extra_settings: block_key.into(), ..Options::default() }).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dana = signed_in(&app, "dana", "dispatcher").await;
        let rosa = signed_in(&app, "rosa", "admin").await;
        let page = dana.get(&format!("/requests/{code}")).await;
        let asked = dana.post(&format!("/requests/{code}/block"), &[("csrf", &page.csrf())]).await;
        dana.post(&format!("/requests/{code}/block"), &[("csrf", &asked.csrf()), ("confirmed", "yes")]).await;

        let blocks = rosa.get("/audit?kind=blocked").await;
        let rows: Vec<&str> = blocks.body.split("<tr>").skip(2).collect();
        assert_eq!(rows.len(), 1, "{}", blocks.body);
        assert!(rows[0].contains("blocked a number") && rows[0].contains("dana (display) (dana)"), "{}", rows[0]);
        assert!(rows[0].contains(&code), "the request it was blocked from: {}", rows[0]);
        assert!(!blocks.body.contains(&NEIGHBOUR[2..]), "never the number");
        let sheet = csv_rows(&rosa, &app, "?kind=blocked").await;
        assert_eq!(sheet.len(), 1);
        assert_eq!(sheet[0][2], "blocked a number");
    }

    async fn taking_requests_away_in_the_spreadsheet_shows_as_an_export(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dina = signed_in(&app, "dina", "dispatcher").await;
        let rosa = signed_in(&app, "rosa", "admin").await;
        let export = dina.http.get(app.url("/export/requests.csv")).send().await.unwrap();
        assert_eq!(export.status(), StatusCode::OK);

        let sheet = csv_rows(&rosa, &app, "?kind=exported").await;
        assert_eq!(sheet.len(), 1, "{sheet:?}");
        assert_eq!(sheet[0][2..4], ["took it on a sheet or export", code.as_str()]);
        assert!(sheet[0][4].starts_with("in the CSV export"), "{sheet:?}");
    }
}
