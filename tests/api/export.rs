//! The paper backups: the requests as a CSV file, and the printable run sheet for a day or for a
//! volunteer. Neither holds a phone number, and each request on them is recorded as viewed.

use std::time::Duration;

use reqwest::StatusCode;

use crate::dispatch::{ASKING_FOR_GROCERIES, CORNER, NOTES, neighbour_asks, volunteer};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, account};
use crate::request_page::events;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// What a neighbour typed as their note: a spreadsheet formula, with their number in it.
const FORMULA: &str = "=HYPERLINK(\"http://x.example\",\"call 555-765-4321\")";
const SECOND: &str = "+15557654322";

/// Dana, a dispatcher, signed in.
async fn dana(app: &TestApp) -> Browser {
    account(app, "dana", "dispatcher").await;
    let dana = Browser::new(app);
    dana.sign_in("dana", PASSWORD).await;
    dana
}

/// A neighbour asks for groceries with `notes` as their note; returns the request's code.
async fn asks_with_notes(app: &TestApp, neighbour: &str, notes: &str) -> String {
    for text in ASKING_FOR_GROCERIES {
        app.text(neighbour, if text == NOTES { notes } else { text })
            .await;
    }
    let requests = app.requests().await;
    requests
        .into_iter()
        .rfind(|r| r.phone == neighbour)
        .expect("a request")
        .code
}

/// The rows of the CSV file a browser downloads with this query.
async fn rows(dana: &Browser, app: &TestApp, query: &str) -> Vec<csv::StringRecord> {
    let url = app.url(&format!("/export/requests.csv{query}"));
    let body = dana
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    csv::Reader::from_reader(&body[..])
        .records()
        .map(Result::unwrap)
        .collect()
}

fn column(header: &csv::StringRecord, name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no {name} column: {header:?}"))
}

/// Whether a run sheet lists the request with this code.
fn lists(html: &str, code: &str) -> bool {
    html.contains(&format!("id=\"sheet-{code}\""))
}

/// Ends a request as of now, as a dispatcher closing it would.
async fn close(app: &TestApp, code: &str) {
    sqlx::query("UPDATE requests SET status = 'closed', closed_at = $1 WHERE code = $2 AND closed_at IS NULL")
        .bind(app.clock.now_ms())
        .bind(code)
        .execute(app.db.pool())
        .await
        .unwrap();
}

on_both_databases! {
    async fn the_csv_export_holds_no_phone_number_and_neutralises_a_formula_a_neighbour_typed(db) {
        let app = TestApp::spawn(db).await;
        let code = asks_with_notes(&app, NEIGHBOUR, FORMULA).await;
        let dana = dana(&app).await;

        let response = dana.http.get(app.url("/export/requests.csv")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let header = |name: &str| response.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("content-type"), "text/csv; charset=utf-8");
        assert!(header("content-disposition").starts_with("attachment; filename=\"requests-"));
        assert_eq!(header("cache-control"), "no-store");
        let body = response.text().await.unwrap();
        for private in [NEIGHBOUR, "5557654321", "765-4321"] {
            assert!(!body.contains(private), "{private} is in the file: {body}");
        }

        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let names = reader.headers().unwrap().clone();
        assert_eq!(&names.iter().take(3).collect::<Vec<_>>(), &["code", "queue", "status"]);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1);
        let cell = |name: &str| rows[0][column(&names, name)].to_string();
        assert_eq!(cell("code"), code);
        assert_eq!(cell("name_to_use"), "Maria");
        assert_eq!(cell("zone"), "northside");
        assert_eq!(cell("cross_streets"), CORNER, "where, as the request page shows it");
        assert_eq!(cell("items"), "bread, milk");
        let notes = cell("notes");
        assert!(notes.starts_with("'=HYPERLINK("), "read as text, not run: {notes}");
        assert!(notes.contains("+5*****4321"), "the number typed in is masked: {notes}");

        let viewed = events(&app, "viewed").await;
        assert_eq!(viewed.len(), 1);
        assert_eq!(viewed[0].0, "user:dana");
        assert!(viewed[0].1.as_deref().unwrap().starts_with("in the CSV export"), "{viewed:?}");
    }

    async fn the_csv_export_keeps_closed_requests_for_the_days_asked_and_refuses_a_nonsense_number(db) {
        let app = TestApp::spawn(db).await;
        let closed = neighbour_asks(&app, NEIGHBOUR).await;
        close(&app, &closed).await;
        let open = neighbour_asks(&app, SECOND).await;
        app.clock.advance(8 * DAY);
        let dana = dana(&app).await;

        let codes = |rows: &[csv::StringRecord]| rows.iter().map(|r| r[0].to_string()).collect::<Vec<_>>();
        let week = rows(&dana, &app, "").await;
        assert_eq!(codes(&week), [open.as_str()], "a week unless asked");
        let month = rows(&dana, &app, "?days=30").await;
        assert_eq!(codes(&month), [closed, open]);

        for nonsense in ["?days=-1", "?days=365", "?days=soon"] {
            let page = dana.get(&format!("/export/requests.csv{nonsense}")).await;
            assert_eq!(page.status, StatusCode::BAD_REQUEST, "{nonsense}");
            assert!(page.body.contains("days must be a whole number from 0 to 90"), "{}", page.body);
        }
        let visitor = Browser::new(&app);
        assert_eq!(visitor.get("/export/requests.csv").await.path, "/signin");
    }

    async fn the_run_sheet_for_a_volunteer_lists_only_their_jobs(db) {
        let app = TestApp::spawn(db).await;
        let ana = volunteer(&app, "+15557658101", "Ana", &["northside"]).await;
        let ben = volunteer(&app, "+15557658102", "Ben", &["northside"]).await;
        let anas = neighbour_asks(&app, NEIGHBOUR).await;
        let bens = neighbour_asks(&app, SECOND).await;
        let dana = dana(&app).await;
        for (code, volunteer) in [(&anas, ana), (&bens, ben)] {
            let path = format!("/requests/{code}");
            let csrf = dana.get(&path).await.csrf();
            let id = volunteer.to_string();
            let page = dana.post(&format!("{path}/assign"), &[("csrf", &csrf), ("volunteer", &id)]).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        }

        let sheet = dana.get(&format!("/runsheet?volunteer={ana}")).await;
        assert_eq!(sheet.status, StatusCode::OK);
        assert!(sheet.body.contains("Run sheet for Ana"));
        assert!(lists(&sheet.body, &anas) && !lists(&sheet.body, &bens), "{}", sheet.body);
        for shown in ["Maria", "northside, Oak and 3rd", "bread, milk", "Taken by:", "Neighbour confirmed"] {
            assert!(sheet.body.contains(shown), "{shown}: {}", sheet.body);
        }
        for private in [NEIGHBOUR, "5557654321", "765-4321", "5557658101"] {
            assert!(!sheet.body.contains(private), "{private} is on the sheet");
        }
        let viewed = events(&app, "viewed").await;
        let on_sheet: Vec<_> = viewed.iter().filter(|(_, d)| d.as_deref().is_some_and(|d| d.contains("run sheet"))).collect();
        assert_eq!(on_sheet.len(), 1, "only Ana's request was on the sheet: {viewed:?}");

        let page = dana.get("/runsheet?volunteer=999").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
    }

    async fn a_days_run_sheet_lists_what_was_open_that_day(db) {
        let app = TestApp::spawn(db).await;
        let first_day = app.clock.now_ms();
        let closed = neighbour_asks(&app, NEIGHBOUR).await;
        let open = neighbour_asks(&app, SECOND).await;
        app.clock.advance(DAY);
        close(&app, &closed).await;
        app.clock.advance(DAY);
        let dana = dana(&app).await;
        let day = |ms: i64| {
            jiff::Timestamp::from_millisecond(ms).unwrap().strftime("%Y-%m-%d").to_string()
        };

        let today = dana.get("/runsheet").await;
        assert!(today.body.contains(&format!("Run sheet for {}", day(app.clock.now_ms()))));
        assert!(lists(&today.body, &open) && !lists(&today.body, &closed), "{}", today.body);
        let then = dana.get(&format!("/runsheet?day={}", day(first_day))).await;
        assert!(lists(&then.body, &open) && lists(&then.body, &closed), "{}", then.body);
        let before = dana.get(&format!("/runsheet?day={}", day(first_day - 2 * 86_400_000))).await;
        assert!(before.body.contains("No requests on this sheet."));

        let page = dana.get("/runsheet?day=tomorrow").await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.body.contains("YYYY-MM-DD"));
    }
}
