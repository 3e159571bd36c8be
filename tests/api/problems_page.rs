//! The problems panel: texts that did not reach their recipient, on the pages with a count in the
//! navigation, until a dispatcher marks them dealt with.

use std::time::Duration;

use aidline::lifecycle::OutboundKind;
use aidline::store::contacts::{self, OptChange};
use aidline::store::outbound::{self, NewOutbound};
use reqwest::StatusCode;
use serde_json::json;

use crate::dispatch::{neighbour_asks, volunteer};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, Page, account};

const ANA: &str = "+15557658201";

/// Dana, a dispatcher, signed in.
async fn dana(app: &TestApp) -> Browser {
    account(app, "dana", "dispatcher").await;
    let dana = Browser::new(app);
    dana.sign_in("dana", PASSWORD).await;
    dana
}

/// The provider refuses the next text for good, saying the number is wrong (and quoting it).
async fn refuse_next(app: &TestApp, to: &str) {
    let words = format!("The 'To' number {to} is not a valid phone number.");
    let body = json!({"code": 21211, "message": words});
    app.refuse_next_send(MESSAGES_PATH, 400, None, body).await;
}

/// A neighbour texts "hi", and the provider refuses the line's answer.
async fn a_refused_reply(app: &TestApp, neighbour: &str) {
    app.text(neighbour, "hi").await;
    refuse_next(app, neighbour).await;
    assert_eq!(app.send_due().await, 1);
}

/// What the navigation's problems link says.
fn nav_problems(page: &Page) -> &str {
    let start = page
        .body
        .find("href=\"/problems\"")
        .expect("the problems link");
    let link = &page.body[start..];
    let text = &link[link.find('>').unwrap() + 1..];
    &text[..text.find("</a>").unwrap()]
}

async fn failed_id(app: &TestApp) -> i64 {
    sqlx::query_scalar(
        "SELECT id FROM outbound_messages WHERE state = 'failed' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// The longest run of letters and spaces in `text`: a piece of it the page could not show by
/// accident.
fn telling_words(text: &str) -> &str {
    text.split(|c: char| !(c.is_alphabetic() || c == ' '))
        .max_by_key(|run| run.len())
        .unwrap()
        .trim()
}

on_both_databases! {
    async fn a_text_the_gateway_refused_shows_on_the_problems_page_with_a_masked_number_and_the_count_in_the_navigation(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        refuse_next(&app, NEIGHBOUR).await;
        app.send_due().await;
        let dana = dana(&app).await;

        let queue = dana.get("/").await;
        assert_eq!(nav_problems(&queue), "Problems (1)");

        let page = dana.get("/problems").await;
        assert_eq!(page.status, StatusCode::OK);
        let link = format!("<a href=\"/requests/{code}\">Open request {code}</a>");
        for shown in [
            "Failed to send", "Neighbour (Maria)", "+1******4321", "21211", "a reply to their text",
            "is not a valid phone number", "last 7 days", "text again or phone them", &link,
        ] {
            assert!(page.body.contains(shown), "{shown}: {}", page.body);
        }
        for private in [NEIGHBOUR, "5557654321", "765-4321"] {
            assert!(!page.body.contains(private), "{private} is on the page");
        }
        let body: String = sqlx::query_scalar("SELECT body FROM outbound_messages WHERE state = 'failed'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert!(!page.body.contains(telling_words(&body)), "the text's words are on the page");
    }

    async fn marking_it_dealt_with_takes_it_off_the_count_and_says_who(db) {
        let app = TestApp::spawn(db).await;
        a_refused_reply(&app, NEIGHBOUR).await;
        let dana = dana(&app).await;
        let id = failed_id(&app).await;
        let path = format!("/problems/{id}/dealt-with");

        let page = dana.get("/problems").await;
        let forged = dana.post(&path, &[("csrf", "guessed")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(nav_problems(&dana.get("/").await), "Problems (1)");

        let marked = dana.post(&path, &[("csrf", &page.csrf())]).await;
        assert_eq!((marked.status, marked.path.as_str()), (StatusCode::OK, "/problems"));
        assert_eq!(nav_problems(&marked), "Problems");
        assert!(marked.body.contains("Marked dealt with."), "{}", marked.body);
        assert!(marked.body.contains("No problems to look at."));
        let dealt = marked.body.split("id=\"dealt\"").nth(1).expect("a dealt-with list");
        assert!(dealt.contains("by user:dana") && dealt.contains("Failed to send"), "{dealt}");

        // Somebody else got there first: their name stays.
        let again = dana.post(&path, &[("csrf", &page.csrf())]).await;
        assert!(again.body.contains("somebody had already dealt with it"), "{}", again.body);
        let by: String = sqlx::query_scalar("SELECT dealt_with_by FROM outbound_messages WHERE id = $1")
            .bind(id)
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(by, "user:dana");
    }

    async fn an_undelivered_text_and_one_held_back_from_a_volunteer_who_opted_out_show_for_a_week(db) {
        let app = TestApp::spawn(db).await;
        let dana = dana(&app).await;
        // The phone never got the reply.
        app.text(NEIGHBOUR, "hi").await;
        app.send_due().await;
        let sid: String = sqlx::query_scalar("SELECT gateway_id FROM outbound_messages WHERE state = 'sent'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        let report = [("MessageSid", sid.as_str()), ("MessageStatus", "undelivered"),
            ("ErrorCode", "30003"), ("AccountSid", ACCOUNT)]
            .map(|(k, v)| (k.to_string(), v.to_string()));
        assert_eq!(app.post_signed("/webhooks/twilio/status", &report).await.status(), 200);
        // An offer to a volunteer who had texted STOP is held back.
        volunteer(&app, ANA, "Ana", &["northside"]).await;
        let now = app.clock.now_ms();
        let mut conn = app.db.acquire().await.unwrap();
        let ana = contacts::upsert_many(&mut conn, &[ANA], now).await.unwrap()[0].1;
        contacts::record_opt_change(&mut conn, ana, OptChange::OptOut, "keyword:STOP", LINE, now).await.unwrap();
        let offer = NewOutbound { contact_id: ana, line: LINE, to: ANA, body: "K42: groceries", kind: OutboundKind::Offer, inbound_id: None, spoken: false, spoken_audio: None };
        outbound::enqueue_many(&mut conn, &[offer], now).await.unwrap();
        drop(conn);
        app.send_due().await;

        let page = dana.get("/problems").await;
        assert_eq!(nav_problems(&page), "Problems (2)");
        for shown in ["Not delivered", "30003", "Opted out", "Volunteer Ana", "+1******8201",
            "an offer of a request", "They texted STOP", "Ana on the roster"] {
            assert!(page.body.contains(shown), "{shown}: {}", page.body);
        }
        assert!(!page.body.contains("5557658201"));

        // A week on (and signed in again, a shift being shorter than that).
        app.clock.advance(Duration::from_secs(8 * 24 * 60 * 60));
        dana.sign_in("dana", PASSWORD).await;
        let page = dana.get("/problems").await;
        assert_eq!(nav_problems(&page), "Problems");
        assert!(page.body.contains("No problems to look at."), "{}", page.body);
    }

    async fn marking_all_dealt_with_leaves_a_problem_that_came_in_after_the_page(db) {
        let app = TestApp::spawn(db).await;
        a_refused_reply(&app, NEIGHBOUR).await;
        a_refused_reply(&app, "+15557654322").await;
        let dana = dana(&app).await;
        let page = dana.get("/problems").await;
        assert!(page.body.contains("Mark all 2 dealt with"), "{}", page.body);
        let start = page.body.find("name=\"shown_at\" value=\"").unwrap() + 23;
        let shown_at = &page.body[start..start + page.body[start..].find('"').unwrap()];

        app.clock.advance(Duration::from_secs(60));
        a_refused_reply(&app, "+15557654323").await;
        let form = [("csrf", page.csrf()), ("shown_at", shown_at.to_string())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let marked = dana.post("/problems/dealt-with", &form).await;
        assert!(marked.body.contains("2 problems marked dealt with."), "{}", marked.body);
        assert_eq!(nav_problems(&marked), "Problems (1)");
    }

    async fn a_visitor_who_is_not_signed_in_sees_no_problems(db) {
        let app = TestApp::spawn(db).await;
        a_refused_reply(&app, NEIGHBOUR).await;
        let visitor = Browser::new(&app);
        assert_eq!(visitor.get("/problems").await.path, "/signin");
        let id = failed_id(&app).await;
        let page = visitor.post(&format!("/problems/{id}/dealt-with"), &[]).await;
        assert_eq!(page.path, "/signin");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages WHERE dealt_with_at IS NOT NULL").await, 0);
    }
}
