//! The stats page: requests texted in over three days, claimed and delivered by volunteers by
//! text, read back as counts per day and queue, median times and a backlog by age.

use std::time::Duration;

use aidline::lifecycle::RequestStatus;
use aidline::store::{contacts, requests};
use reqwest::StatusCode;

use crate::dispatch::{neighbour_asks, volunteer};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account, shows_request};

const MINUTE: i64 = 60 * 1000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

const ANA: &str = "+15557670101";
const BEN: &str = "+15557670102";

/// A neighbour texts in for a prescription pickup, skipping every question; returns its code.
async fn neighbour_needs_a_prescription(app: &TestApp, neighbour: &str) -> String {
    for text in ["hi", "1", "2"].into_iter().chain(["skip"; 7]) {
        app.text(neighbour, text).await;
    }
    app.requests()
        .await
        .into_iter()
        .filter(|r| r.phone == neighbour)
        .max_by_key(|r| r.created_at)
        .expect("a request")
        .code
}

fn advance(app: &TestApp, ms: i64) {
    app.clock.advance(Duration::from_millis(ms as u64));
}

/// How the page names the day `ms` falls in.
fn day_name(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .strftime("%a %-d %b")
        .to_string()
}

/// The row of the per-day table for the day of `ms`: groceries, prescription, total.
fn day_row(ms: i64, groceries: u64, prescription: u64) -> String {
    format!(
        "<tr><th scope=\"row\">{}</th><td data-label=\"groceries\">{groceries}</td>\
         <td data-label=\"prescription\">{prescription}</td><td data-label=\"Total\">{}</td></tr>",
        day_name(ms),
        groceries + prescription
    )
}

fn timing_row(queue: &str, counts: (u32, u32, u32), to_claim: &str, to_delivery: &str) -> String {
    let (made, claimed, delivered) = counts;
    format!(
        "data-label=\"Queue\">{queue}</th><td data-label=\"Requests\">{made}</td>\
         <td data-label=\"Claimed\">{claimed}</td><td data-label=\"Median time to claim\">{to_claim}</td>\
         <td data-label=\"Delivered\">{delivered}</td><td data-label=\"Median time to delivery\">{to_delivery}</td>"
    )
}

/// A fortnight of requests on four queues, most claimed and delivered, some still open, filed
/// straight into the store at past times so that a chart has something to show.
pub async fn a_fortnight_of_requests(app: &TestApp) {
    const QUEUES: [&str; 4] = ["groceries", "prescription", "delivery", "handoff"];
    let volunteer = volunteer(app, "+15557670199", "Vic", &[]).await;
    let mut conn = app.db.acquire().await.unwrap();
    let now = app.clock.now_ms();
    let contact = contacts::upsert_many(&mut conn, &["+15557670198"], now)
        .await
        .unwrap()[0]
        .1;
    let fields = Default::default();
    for days_ago in 0..14 {
        for (q, queue) in QUEUES.iter().enumerate() {
            let q = q as i64;
            let count = (3 + days_ago * days_ago + 5 * q + days_ago * q) % 6 - q / 2;
            for i in 0..count {
                let at = now - days_ago * DAY - i * 37 * MINUTE - q * 50 * MINUTE;
                let new = requests::NewRequest {
                    contact_id: contact,
                    line: LINE,
                    queue,
                    fields: &fields,
                    priority: 0,
                    session_id: None,
                    actor: "test",
                };
                let (id, _) = requests::create(&mut conn, &new, at).await.unwrap();
                if days_ago == 0 && i == 0 {
                    continue;
                }
                let claimed = at + (10 + 7 * i + 5 * q + days_ago) * MINUTE;
                requests::claim(
                    &mut conn,
                    id,
                    volunteer,
                    requests::ClaimRule::Assigned,
                    claimed,
                )
                .await
                .unwrap();
                if days_ago < 4 && i % 2 == 1 {
                    continue;
                }
                let delivered = claimed + (45 + 10 * i + 3 * days_ago) * MINUTE;
                requests::set_status(
                    &mut conn,
                    id,
                    RequestStatus::Delivered,
                    "test",
                    None,
                    delivered,
                )
                .await
                .unwrap();
                if days_ago > 3 {
                    requests::set_status(
                        &mut conn,
                        id,
                        RequestStatus::Confirmed,
                        "test",
                        None,
                        delivered,
                    )
                    .await
                    .unwrap();
                }
            }
        }
    }
}

on_both_databases! {
    async fn three_days_of_texted_requests_show_as_counts_per_day_medians_and_a_backlog_by_age(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        volunteer(&app, ANA, "Ana", &[]).await;
        volunteer(&app, BEN, "Ben", &[]).await;
        // The first day starts at 01:00 UTC, so everything on it stays on it.
        let now = app.clock.now_ms();
        advance(&app, DAY - now.rem_euclid(DAY) + HOUR);
        let first_day = app.clock.now_ms() - HOUR;
        let mut codes = Vec::new();
        let mut named = |code: String| { codes.push(code.clone()); code };

        // Day one: a grocery run claimed in 20 minutes and delivered in an hour; a prescription
        // claimed in 10 minutes and delivered in two hours.
        let groceries = named(neighbour_asks(&app, "+15557670001").await);
        let prescription = named(neighbour_needs_a_prescription(&app, "+15557670002").await);
        advance(&app, 10 * MINUTE);
        app.text(BEN, &format!("YES {prescription}")).await;
        advance(&app, 10 * MINUTE);
        app.text(ANA, &format!("YES {groceries}")).await;
        advance(&app, 40 * MINUTE);
        app.text(ANA, &format!("DONE {groceries}")).await;
        advance(&app, 60 * MINUTE);
        app.text(BEN, &format!("DONE {prescription}")).await;

        // Day two: groceries claimed in 40 minutes, not yet delivered.
        advance(&app, 22 * HOUR);
        let held = named(neighbour_asks(&app, "+15557670003").await);
        advance(&app, 40 * MINUTE);
        app.text(ANA, &format!("YES {held}")).await;

        // Day three: two requests nobody has claimed after two hours, and one just in.
        advance(&app, 23 * HOUR + 20 * MINUTE);
        named(neighbour_asks(&app, "+15557670004").await);
        named(neighbour_needs_a_prescription(&app, "+15557670005").await);
        advance(&app, 2 * HOUR);
        named(neighbour_asks(&app, "+15557670006").await);
        app.send_due().await;

        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        let page = dana.get("/stats").await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;

        for row in [
            day_row(first_day - DAY, 0, 0),
            day_row(first_day, 1, 1),
            day_row(first_day + DAY, 1, 0),
            day_row(first_day + 2 * DAY, 2, 1),
        ] {
            assert!(body.contains(&row), "{row}\n{body}");
        }
        assert_eq!(body.matches("<th scope=\"row\">").count(), 14 + 5, "14 days, 5 age groups");
        assert!(body.contains(&format!("{} to {}", day_name(first_day - 11 * DAY), day_name(first_day + 2 * DAY))));

        for row in [
            timing_row("groceries", (4, 2, 1), "30 min", "1 h"),
            timing_row("prescription", (2, 1, 1), "10 min", "2 h"),
            timing_row("All queues", (6, 3, 2), "20 min", "1 h 30 min"),
        ] {
            assert!(body.contains(&row), "{row}\n{body}");
        }

        let backlog = body.split("id=\"backlog-numbers\"").nth(1).unwrap();
        for (words, count) in [("under 1 h", 1), ("1–4 h", 2), ("4–24 h", 0), ("1–3 days", 1), ("over 3 days", 0)] {
            let row = format!("<th scope=\"row\">{words}</th><td data-label=\"Open requests\">{count}</td>");
            assert!(backlog.contains(&row), "{row}\n{backlog}");
        }
        assert!(body.contains("4 open requests not yet delivered"));

        for chart in ["per-day", "backlog"] {
            let svg = body.split(&format!("<svg class=\"chart\" id=\"{chart}-chart\"")).nth(1).unwrap();
            assert!(svg.contains("role=\"img\"") && svg.contains(&format!("<title id=\"{chart}-title\">")));
        }
        assert!(body.contains(&format!("<title>{}, groceries: 2</title>", day_name(first_day + 2 * DAY))));
        assert!(body.contains("<span class=\"swatch c1\"></span>prescription"));

        for code in &codes {
            assert!(!shows_request(body, code), "{code} is on the stats page");
        }
        for private in [
            "+15557670001", "5557670001", ANA, "5557670101", "Maria", "Ana", "Ben", "bread",
        ] {
            assert!(!body.contains(private), "{private} is on the stats page");
        }
    }

    async fn a_request_a_dispatcher_assigns_counts_as_claimed_when_it_was_assigned(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let ana = volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, "+15557670001").await;
        advance(&app, 25 * MINUTE);

        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        let csrf = dana.get(&format!("/requests/{code}")).await.csrf();
        let assigned = dana
            .post(&format!("/requests/{code}/assign"), &[("csrf", &csrf), ("volunteer", &ana.to_string())])
            .await;
        assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);

        let page = dana.get("/stats").await;
        let row = timing_row("groceries", (1, 1, 0), "25 min", "–");
        assert!(page.body.contains(&row), "{row}\n{}", page.body);
    }

    async fn a_quiet_fortnight_shows_empty_charts_and_a_visitor_is_sent_to_sign_in(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;

        let visitor = Browser::new(&app);
        let page = visitor.get("/stats").await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/signin"));
        assert!(!page.body.contains("Requests per day"));

        let dana = Browser::new(&app);
        let queue = dana.sign_in("dana", PASSWORD).await;
        assert!(queue.body.contains("<a href=\"/stats\">Stats</a>"));
        let page = dana.get("/stats").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("No requests in the last 14 days."));
        assert!(page.body.contains("0 open requests not yet delivered"));
        assert!(!page.body.contains("<rect"), "no bars");
    }

    async fn a_fortnight_of_requests_fills_every_day_of_the_chart(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        a_fortnight_of_requests(&app).await;

        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        let page = dana.get("/stats").await;
        let chart = page.body.split("id=\"per-day-chart\"").nth(1).unwrap().split("</svg>").next().unwrap();
        assert!(chart.matches("class=\"total\"").count() >= 13, "{chart}");
        for queue in ["groceries", "prescription", "delivery", "handoff"] {
            assert!(page.body.contains(&format!("</span>{queue}</li>")), "{queue} in the legend");
        }
    }
}
