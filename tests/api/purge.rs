//! Personal data ages out by kind, as the service clock moves: nothing before its time, what an
//! open request needs never, and the counts for ever.

use std::time::Duration;

use aidline::privacy::{self, Purged};
use aidline::store::purge::Mode;

use crate::dispatch::{inbox, neighbour_asks, volunteer};
use crate::erasure::{NEIGHBOUR, aidline, counted, neighbour_asks_for_kohlrabi};
use crate::helpers::*;
use crate::on_both_databases;

const ANA: &str = "+15557720101";
/// A neighbour whose request is still open.
const WAITING: &str = "+15557720002";
/// Someone who said hello and nothing more.
const PASSER_BY: &str = "+15557720003";

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

async fn purge(app: &TestApp, mode: Mode) -> Purged {
    let settings = &app.settings;
    let now = app.clock.now_ms();
    privacy::purge(&app.db, &settings.dispatch, &settings.retention, now, mode)
        .await
        .unwrap()
}

fn swept(purged: &Purged, what: &str) -> u64 {
    purged
        .swept
        .iter()
        .find(|s| s.what == what)
        .unwrap_or_else(|| panic!("no {what} in {purged:?}"))
        .rows
}

async fn words_of(app: &TestApp, phone: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbound_messages i JOIN contacts c ON c.id = i.contact_id \
         WHERE c.phone = $1 AND i.body <> ''",
    )
    .bind(phone)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

async fn answers_of(app: &TestApp, code: &str) -> String {
    sqlx::query_scalar("SELECT fields FROM requests WHERE code = $1 ORDER BY id DESC")
        .bind(code)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn known(app: &TestApp, phone: &str) -> bool {
    let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE phone = $1")
        .bind(phone)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    found == 1
}

/// A message left on a call by `phone`, on `request` if it is about one.
async fn left_a_message(app: &TestApp, phone: &str, request: Option<&str>) {
    let now = app.clock.now_ms();
    let call: i64 = sqlx::query_scalar(
        "INSERT INTO calls (gateway, call_id, line, contact_id, started_at) \
         SELECT 'twilio', $1, $2, id, $3 FROM contacts WHERE phone = $4 RETURNING id",
    )
    .bind(format!("CA{phone}"))
    .bind(LINE)
    .bind(now)
    .bind(phone)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO recordings (call_id, request_id, provider_id, audio, state, next_attempt_at, \
         created_at, updated_at) \
         VALUES ($1, (SELECT MAX(id) FROM requests WHERE code = $2), 'RE1', $3, 'kept', $4, $4, $4)",
    )
    .bind(call)
    .bind(request)
    .bind(b"RIFF....WAVE".to_vec())
    .bind(now)
    .execute(app.db.pool())
    .await
    .unwrap();
}

/// One neighbour's request delivered and confirmed, another's still waiting, and a passer-by's
/// hello, whose conversation ends two days later; returns the codes of the closed and the open
/// request.
async fn a_day_on_the_line(app: &TestApp) -> (String, String) {
    volunteer(app, ANA, "Ana", &[]).await;
    let closed = neighbour_asks_for_kohlrabi(app).await;
    app.text(ANA, &format!("YES {closed}")).await;
    app.text(ANA, &format!("DONE {closed}")).await;
    app.text(NEIGHBOUR, "1").await;
    let open = neighbour_asks(app, WAITING).await;
    app.text(PASSER_BY, "hi").await;
    inbox(app, ANA).await;
    // The passer-by's conversation goes quiet: a reminder, then its end.
    for _ in ["remind", "expire"] {
        app.clock.advance(DAY);
        app.intake.fire_due_timers().await.unwrap();
        app.send_due().await;
    }
    (closed, open)
}

on_both_databases! {
    async fn texts_and_answers_go_a_month_after_the_request_closes_but_an_open_ones_stay(db) {
        let app = TestApp::spawn(db).await;
        let (closed, open) = a_day_on_the_line(&app).await;
        let before = counted(&app).await;

        // 29 days after the request closed.
        app.clock.advance(27 * DAY);
        let early = purge(&app, Mode::Apply).await;
        assert!(early.is_empty(), "nothing is due before its time: {early:?}");

        app.clock.advance(2 * DAY);
        let would = purge(&app, Mode::DryRun).await;
        assert!(swept(&would, "texts in") > 0, "{would:?}");
        assert!(swept(&would, "requests' answers") == 1, "{would:?}");
        assert_eq!(would.quiet_numbers, 0);
        assert!(words_of(&app, NEIGHBOUR).await > 0, "a dry run changes nothing");
        assert!(answers_of(&app, &closed).await.contains("kohlrabi"));

        let went = purge(&app, Mode::Apply).await;
        assert_eq!(went, would, "the dry run said what would go");
        assert_eq!(words_of(&app, NEIGHBOUR).await, 0);
        assert_eq!(words_of(&app, PASSER_BY).await, 0);
        assert_eq!(answers_of(&app, &closed).await, "{}");
        assert!(words_of(&app, WAITING).await > 0, "the open request's texts stay");
        assert!(answers_of(&app, &open).await.contains("northside"));
        assert!(known(&app, NEIGHBOUR).await, "the number stays until it has been quiet long enough");
        assert_eq!(counted(&app).await, before, "the counts stay");
        assert!(purge(&app, Mode::Apply).await.is_empty(), "nothing twice");
    }

    async fn quiet_numbers_are_forgotten_after_ninety_days_but_not_one_with_a_request_open(db) {
        let app = TestApp::spawn(db).await;
        a_day_on_the_line(&app).await;

        // 89 days after the neighbour's last text, and 87 after the passer-by's conversation ended.
        app.clock.advance(87 * DAY);
        assert_eq!(purge(&app, Mode::Apply).await.quiet_numbers, 0);
        assert!(known(&app, NEIGHBOUR).await && known(&app, PASSER_BY).await);

        app.clock.advance(4 * DAY);
        assert_eq!(purge(&app, Mode::DryRun).await.quiet_numbers, 2);
        assert!(known(&app, NEIGHBOUR).await, "a dry run forgets nobody");
        assert_eq!(purge(&app, Mode::Apply).await.quiet_numbers, 2);
        assert!(!known(&app, NEIGHBOUR).await && !known(&app, PASSER_BY).await);
        assert!(known(&app, WAITING).await, "their request is still open");
        assert!(known(&app, ANA).await, "a volunteer on the roster stays");
        let reasons: Vec<String> =
            sqlx::query_scalar("SELECT reason FROM erasures WHERE actor = 'retention'")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        assert_eq!(reasons, ["retention", "retention"]);
        assert_eq!(app.count("SELECT COUNT(*) FROM requests WHERE contact_id IS NULL").await, 1);
    }

    async fn recordings_go_after_two_weeks_and_events_after_a_year_except_an_open_requests(db) {
        let app = TestApp::spawn(db).await;
        let (closed, open) = a_day_on_the_line(&app).await;
        left_a_message(&app, PASSER_BY, None).await;
        left_a_message(&app, WAITING, Some(&open)).await;
        // A closed request's code may be given again to an open one, so each is told apart by
        // whether it is closed too.
        let events_of = |code: String, closed: bool| {
            let app = &app;
            async move {
                let sql = "SELECT COUNT(*) FROM request_events e JOIN requests r ON r.id = e.request_id \
                           WHERE r.code = $1 AND (r.closed_at IS NOT NULL) = $2";
                let n: i64 = sqlx::query_scalar(sql)
                    .bind(code)
                    .bind(closed)
                    .fetch_one(app.db.pool())
                    .await
                    .unwrap();
                n
            }
        };

        app.clock.advance(13 * DAY);
        assert_eq!(swept(&purge(&app, Mode::Apply).await, "recordings"), 0);
        app.clock.advance(2 * DAY);
        assert_eq!(swept(&purge(&app, Mode::Apply).await, "recordings"), 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM recordings").await, 1, "the open request's stays");

        app.clock.advance(351 * DAY);
        let went = purge(&app, Mode::Apply).await;
        assert!(swept(&went, "request events") > 0, "{went:?}");
        assert_eq!(events_of(closed.clone(), true).await, 0);
        assert!(events_of(open.clone(), false).await > 0, "an open request keeps its history");
        assert_eq!(app.count("SELECT COUNT(*) FROM requests").await, 2, "requests are counted for ever");
    }
}

#[tokio::test]
async fn the_command_line_purge_dry_run_reports_each_kind_and_changes_nothing() {
    let db = TestDb::create(Backend::Sqlite).await.unwrap();
    let app = TestApp::spawn(db).await;
    neighbour_asks_for_kohlrabi(&app).await;
    let report = aidline(&app, &["purge", "--dry-run"]).await;
    for kind in [
        "quiet numbers, forgotten",
        "texts in",
        "recordings",
        "request events",
    ] {
        assert!(report.contains(kind), "{report}");
    }
    assert!(report.contains("nothing was changed"), "{report}");
    assert!(words_of(&app, NEIGHBOUR).await > 0);
}
