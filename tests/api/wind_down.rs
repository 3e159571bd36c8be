//! A group that stops: with `[wind_down]` set, the intake answers with where to turn instead,
//! once a day, and makes no request; jobs volunteers already hold carry on to the end.

use std::time::Duration;

use crate::calls::{CALLER, Call};
use crate::dispatch::{inbox, neighbour_asks, status_of, volunteer};
use crate::helpers::*;
use crate::on_both_databases;

const ANA: &str = "+15557661101";
/// Ana holds this neighbour's groceries when the line winds down.
const HELD: &str = "+15557661201";
/// Halfway through asking when the line winds down.
const MIDWAY: &str = "+15557661202";
const NEWCOMER: &str = "+15557661203";
/// Still waiting for a volunteer when the line winds down.
const WAITING: &str = "+15557661204";
/// Offered the waiting request, holding nothing.
const BEN: &str = "+15557661102";
const REFERRAL: &str = "We have closed. Text Eastside Aid at 555-0199.";
const REFERRAL_ES: &str = "Cerramos. Escriba a Eastside Aid al 555-0199.";

/// The service started again with the referral set, once it answers: the start-up's work is done.
async fn restarted_winding_down(db: TestDb, twilio: wiremock::MockServer) -> TestApp {
    let app = TestApp::start(db, winding_down(), twilio).await;
    let up = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert!(up.status().is_success());
    app
}

fn winding_down() -> Options {
    Options {
        extra_settings: format!(
            "[wind_down]\nreferral.en = \"{REFERRAL}\"\nreferral.es = \"{REFERRAL_ES}\""
        ),
        ..Options::default()
    }
}

on_both_databases! {
    async fn a_line_winding_down_refers_newcomers_and_askers_and_finishes_the_jobs_it_holds(db) {
        let app = TestApp::spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, HELD).await;
        app.text(ANA, &format!("YES {code}")).await;
        app.text(MIDWAY, "hi").await;
        app.text(MIDWAY, "1").await;
        let (db, twilio) = app.stop().await;
        let app = restarted_winding_down(db, twilio).await;
        let requests = app.requests().await.len();

        app.text(NEWCOMER, "hi, I need groceries").await;
        let both = format!("{REFERRAL} / {REFERRAL_ES}");
        assert_eq!(inbox(&app, NEWCOMER).await, [both.as_str()], "a language nobody chose: all of them");
        app.text(MIDWAY, "1").await;
        assert_eq!(inbox(&app, MIDWAY).await.last().unwrap(), REFERRAL, "in the language they chose");
        app.text(MIDWAY, "bread, milk").await;
        app.text(MIDWAY, "person").await;
        app.text(MIDWAY, "restart").await;
        app.text(NEWCOMER, "hello?").await;
        assert_eq!(inbox(&app, NEWCOMER).await.len(), 1, "once a day is enough");
        assert_eq!(inbox(&app, MIDWAY).await.iter().filter(|t| *t == REFERRAL).count(), 1);
        assert_eq!(app.requests().await.len(), requests, "nothing new is filed");
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await, 0);

        app.clock.advance(Duration::from_secs(25 * 60 * 60));
        app.text(NEWCOMER, "hi").await;
        assert_eq!(inbox(&app, NEWCOMER).await, [both.as_str(), both.as_str()], "a day later, again");

        app.text(ANA, &format!("DONE {code}")).await;
        assert_eq!(status_of(&app, &code).await, "delivered");
        assert!(inbox(&app, HELD).await.last().unwrap().contains("Did you get it?"));
        app.text(HELD, "1").await;
        assert_eq!(status_of(&app, &code).await, "confirmed");
    }

    async fn neighbours_still_waiting_are_told_once_and_their_requests_close(db) {
        let app = TestApp::spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let held = neighbour_asks(&app, HELD).await;
        app.text(ANA, &format!("YES {held}")).await;
        volunteer(&app, BEN, "Ben", &[]).await;
        let waiting = neighbour_asks(&app, WAITING).await;
        let (ana, ben) = (inbox(&app, ANA).await.len(), inbox(&app, BEN).await.len());
        let told = inbox(&app, WAITING).await.len();
        let (db, twilio) = app.stop().await;

        let app = restarted_winding_down(db, twilio).await;
        let texts = inbox(&app, WAITING).await;
        assert_eq!(texts.len(), told + 1);
        assert_eq!(texts.last().unwrap(), REFERRAL, "in the language they asked in");
        assert_eq!(status_of(&app, &waiting).await, "cancelled");
        assert_eq!(status_of(&app, &held).await, "claimed", "a job held carries on");
        assert_eq!(inbox(&app, BEN).await.len(), ben, "a volunteer holding nothing is not bothered");
        assert_eq!(inbox(&app, ANA).await.len(), ana);
        let (db, twilio) = app.stop().await;

        let app = restarted_winding_down(db, twilio).await;
        assert_eq!(inbox(&app, WAITING).await.len(), told + 1, "a restart does not tell them again");
    }

    async fn a_caller_hears_where_to_turn_and_the_call_ends(db) {
        let app = TestApp::spawn_with(db, winding_down()).await;
        let requests = app.requests().await.len();
        let (_, heard) = Call::dial(&app, CALLER).await;
        assert!(heard.said().contains(REFERRAL), "{heard:?}");
        // Nothing says which language the caller speaks: each is said in its own voice.
        let languages: Vec<&str> = heard.says.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(languages, ["en-US", "es-MX"], "{heard:?}");
        assert!(heard.hangup);
        assert_eq!(app.requests().await.len(), requests);
    }
}
