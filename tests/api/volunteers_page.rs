//! The volunteers page: the roster read by dispatchers and kept by admins, sign-ups approved, a
//! spreadsheet imported.

use reqwest::StatusCode;

use crate::dispatch::{inbox, neighbour_asks, spawn, status_of, volunteer};
use crate::forms::{shown_again, typed};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, Page, account};

/// Ana, as an admin types her number, and as it is stored.
const ANA_TYPED: &str = "415-555-0101";
const ANA: &str = "+14155550101";
/// Sam signs up by text.
const SAM: &str = "+15557660301";

/// An admin `ada`, signed in.
async fn ada(app: &TestApp) -> Browser {
    account(app, "ada", "admin").await;
    let ada = Browser::new(app);
    ada.sign_in("ada", PASSWORD).await;
    ada
}

async fn csrf(browser: &Browser) -> String {
    browser.get("/volunteers").await.csrf()
}

async fn id_of(app: &TestApp, phone: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT v.id FROM volunteers v JOIN contacts c ON c.id = v.contact_id WHERE c.phone = $1",
    )
    .bind(phone)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

/// The cells of the roster's row for `name`, from its name to its last cell.
fn row<'a>(page: &'a Page, name: &str) -> &'a str {
    let roster = page.body.split("id=\"roster\"").nth(1).expect("the roster");
    let start = roster
        .find(&format!("data-label=\"Name to use\">{name}</th>"))
        .unwrap_or_else(|| panic!("no row for {name}: {roster}"));
    let row = &roster[start..];
    &row[..row.find("</tr>").unwrap()]
}

/// Uploads `csv` through the import form, as a browser sends a file (`csrf` left out if none).
async fn import(browser: &Browser, csrf: Option<&str>, csv: &str) -> Page {
    let boundary = "volunteers-page-test";
    let mut body = String::new();
    if let Some(csrf) = csrf {
        body += &format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n"
        );
    }
    body += &format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let content_type = format!("multipart/form-data; boundary={boundary}");
    browser
        .post_body("/volunteers/import", &content_type, body.into_bytes())
        .await
}

/// Sam texts VOLUNTEER and answers the sign-up's questions.
async fn sam_signs_up(app: &TestApp) {
    for text in [
        "volunteer",
        "Sam",
        "northside",
        "3",
        "yes",
        "weekday evenings",
    ] {
        app.text(SAM, text).await;
    }
}

async fn volunteers(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM volunteers").await
}

on_both_databases! {
    async fn an_admin_adds_edits_pauses_and_resumes_ana_and_paused_she_gets_no_offer(db) {
        let app = spawn(db).await;
        let ada = ada(&app).await;
        let csrf = csrf(&ada).await;

        let page = ada.post("/volunteers", &[
            ("csrf", &csrf), ("phone", ANA_TYPED), ("name", "Ana"), ("zones", "Northside"),
            ("languages", "en, es"), ("capabilities", "car"), ("availability", "evenings"),
            ("max_open_jobs", "3"),
        ]).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/volunteers"));
        let ana = row(&page, "Ana");
        for shown in ["+1******0101", "northside", "en, es", "car", "evenings", "0 / 3", ">active<"] {
            assert!(ana.contains(shown), "{shown}: {ana}");
        }

        let id = id_of(&app, ANA).await;
        let edit = format!("/volunteers/{id}");
        let form = ada.get(&edit).await;
        assert!(form.body.contains("value=\"evenings\""), "{}", form.body);
        let page = ada.post(&edit, &[
            ("csrf", &csrf), ("name", "Ana B"), ("zones", "northside; downtown"),
            ("languages", "es, en"), ("max_open_jobs", "1"),
        ]).await;
        assert_eq!(page.path, "/volunteers");
        let ana = row(&page, "Ana B");
        for shown in ["northside, downtown", ">es, en<", "0 / 1", ">active<"] {
            assert!(ana.contains(shown), "{shown}: {ana}");
        }
        let bad = ada.post(&edit, &[("csrf", &csrf), ("name", "Ana"), ("zones", "uptown")]).await;
        shown_again(&bad, "v-zones", "zones: `uptown` is not a zone");
        assert_eq!(typed(&bad, "v-name"), "Ana", "the edit as sent, not as saved");
        assert!(bad.body.contains("<h1>Ana B</h1>"), "{}", bad.body);

        let page = ada.post(&format!("{edit}/pause"), &[("csrf", &csrf)]).await;
        assert!(row(&page, "Ana B").contains(">paused<"));
        assert!(row(&page, "Ana B").contains(&format!("/volunteers/{id}/resume")));
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        assert!(!inbox(&app, ANA).await.iter().any(|t| t.contains(&code)), "paused: no offer");

        let page = ada.post(&format!("{edit}/resume"), &[("csrf", &csrf)]).await;
        assert!(row(&page, "Ana B").contains(">active<"));
        // Resumed in time for the wider wave, which offers it to her.
        app.clock.advance(std::time::Duration::from_secs(31 * 60));
        app.intake.fire_due_timers().await.unwrap();
        app.text(ANA, &format!("YES {code}")).await;
        assert_eq!(status_of(&app, &code).await, "claimed");
        assert!(row(&ada.get("/volunteers").await, "Ana B").contains("1 / 1"));
    }

    async fn removing_a_volunteer_who_holds_a_request_sends_it_back_out_to_others(db) {
        let app = spawn(db).await;
        let ada = ada(&app).await;
        let ana = volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        assert_eq!(status_of(&app, &code).await, "claimed");
        const BEN: &str = "+14155550102";
        volunteer(&app, BEN, "Ben", &[]).await;

        let csrf = csrf(&ada).await;
        let page = ada.post(&format!("/volunteers/{ana}/remove"), &[("csrf", &csrf)]).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/volunteers"));
        assert_eq!(status_of(&app, &code).await, "offered");
        assert!(inbox(&app, BEN).await.iter().any(|t| t.contains(&code)), "Ben is offered it");
        let told = inbox(&app, NEIGHBOUR).await;
        assert!(told.last().unwrap().contains("could not make it"), "{told:?}");
        let told = inbox(&app, ANA).await;
        assert!(told.last().unwrap().contains("taken back"), "{told:?}");
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM requests WHERE volunteer_id = $1 AND status IN ('claimed', 'picked_up')",
        )
        .bind(ana)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(held, 0);
    }

    async fn a_csv_with_a_bad_row_imports_nothing_and_names_the_row_and_column(db) {
        let app = TestApp::spawn(db).await;
        let ada = ada(&app).await;
        let csrf = csrf(&ada).await;
        let csv = "phone,name,zones\n415-555-0102,Ben,northside\n12345,Cal,uptown\n";

        let page = import(&ada, Some(&csrf), csv).await;
        shown_again(&page, "v-file", "Nothing was imported: 1 bad row of 2");
        let each_problem = ["<a href=\"#v-file\">row 3: phone: ", "12345", "; zones: ", "uptown"];
        for said in each_problem {
            assert!(page.body.contains(said), "{said}: {}", page.body);
        }
        assert_eq!(volunteers(&app).await, 0);

        let page = import(&ada, Some(&csrf), "phone,name,shoe_size\n415-555-0102,Ben,9\n").await;
        shown_again(&page, "v-file", "the column `shoe_size` is unknown");
        assert_eq!(volunteers(&app).await, 0);
    }

    async fn a_good_csv_adds_new_volunteers_and_updates_known_ones(db) {
        let app = TestApp::spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let ada = ada(&app).await;
        let csrf = csrf(&ada).await;
        let csv = "name,phone,max_open_jobs\nAna,415-555-0101,4\n\"Ben, Jr\",415-555-0102,\n";

        let page = import(&ada, Some(&csrf), csv).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Imported 2 volunteers: 1 added, 1 updated."), "{}", page.body);
        assert!(row(&page, "Ana").contains("0 / 4"));
        assert!(row(&page, "Ben, Jr").contains("0 / 2"));
        assert_eq!(volunteers(&app).await, 2);
    }

    async fn a_sign_up_by_text_waits_and_once_approved_gets_offers(db) {
        let app = spawn(db).await;
        sam_signs_up(&app).await;
        let ada = ada(&app).await;
        let sign_up: String = sqlx::query_scalar("SELECT code FROM requests WHERE queue = 'volunteers'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();

        let page = ada.get("/volunteers").await;
        let waiting = page.body.split("id=\"pending\"").nth(1).unwrap();
        let waiting = waiting.split("</section>").next().unwrap();
        for shown in ["Sam", "+1******0301", "northside", "en, es", "car", "weekday evenings"] {
            assert!(waiting.contains(shown), "{shown}: {waiting}");
        }
        assert!(row(&page, "Sam").contains(">pending<"));
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        assert!(!inbox(&app, SAM).await.iter().any(|t| t.contains(&code)), "not approved yet");

        let id = id_of(&app, SAM).await;
        let page = ada.post(&format!("/volunteers/{id}/approve"), &[("csrf", &page.csrf())]).await;
        assert!(page.body.contains("Nobody is waiting."), "{}", page.body);
        assert!(row(&page, "Sam").contains(">active<"));
        assert_eq!(status_of(&app, &sign_up).await, "closed");
        let settled: (String, Option<String>) = sqlx::query_as(
            "SELECT e.actor, e.detail FROM request_events e JOIN requests r ON r.id = e.request_id \
             WHERE r.code = $1 AND e.kind = 'closed'",
        )
        .bind(&sign_up)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
        assert_eq!(settled, ("user:ada".into(), Some("volunteer approved".into())));
        assert!(!ada.get("/").await.body.contains(&format!(">{sign_up}<")), "off the queue");

        let later = neighbour_asks(&app, "+15557660002").await;
        let offers = inbox(&app, SAM).await;
        assert!(offers.iter().any(|t| t.contains(&format!("YES {later}"))), "{offers:?}");
    }

    async fn a_dispatcher_sees_the_roster_but_a_change_they_post_is_forbidden(db) {
        let app = TestApp::spawn(db).await;
        let id = volunteer(&app, ANA, "Ana", &["northside"]).await;
        sam_signs_up(&app).await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;

        let page = dana.get("/volunteers").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<a href=\"/volunteers\">Volunteers</a>"));
        assert!(row(&page, "Ana").contains(">active<") && row(&page, "Sam").contains(">pending<"));
        for admins_only in ["/pause\"", "/approve\"", "Add a volunteer", "/volunteers/import"] {
            assert!(!page.body.contains(admins_only), "{admins_only} is on the page");
        }

        let csrf = page.csrf();
        let sam = id_of(&app, SAM).await;
        for path in [format!("/volunteers/{id}/pause"), format!("/volunteers/{sam}/approve")] {
            assert_eq!(dana.post(&path, &[("csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);
        }
        let add = [("csrf", csrf.as_str()), ("phone", "415-555-0102"), ("name", "Ben")];
        assert_eq!(dana.post("/volunteers", &add).await.status, StatusCode::FORBIDDEN);
        assert_eq!(dana.get(&format!("/volunteers/{id}")).await.status, StatusCode::FORBIDDEN);
        let upload = import(&dana, Some(&csrf), "phone,name\n415-555-0102,Ben\n").await;
        assert_eq!(upload.status, StatusCode::FORBIDDEN);

        assert_eq!(volunteers(&app).await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers WHERE paused_at IS NOT NULL").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers WHERE status = 'pending'").await, 1);
    }

    async fn no_full_phone_number_reaches_the_volunteers_pages(db) {
        let app = TestApp::spawn(db).await;
        sam_signs_up(&app).await;
        let ada = ada(&app).await;
        let csrf = csrf(&ada).await;
        ada.post("/volunteers", &[("csrf", &csrf), ("phone", ANA_TYPED), ("name", "Ana")]).await;

        let list = ada.get("/volunteers").await;
        let edit = ada.get(&format!("/volunteers/{}", id_of(&app, ANA).await)).await;
        let sam = ada.get(&format!("/volunteers/{}", id_of(&app, SAM).await)).await;
        for page in [&list, &edit, &sam] {
            assert_eq!(page.status, StatusCode::OK);
            for private in [ANA, "4155550101", "555-0101", SAM, "5557660301"] {
                assert!(!page.body.contains(private), "{private} is on {}", page.path);
            }
        }
        assert!(edit.body.contains("+1******0101") && sam.body.contains("+1******0301"));
    }

    async fn forms_without_the_csrf_token_change_nothing(db) {
        let app = TestApp::spawn(db).await;
        let id = volunteer(&app, ANA, "Ana", &[]).await;
        let ada = ada(&app).await;

        for csrf in [None, Some("guessed")] {
            let with = |mut form: Vec<(&'static str, &'static str)>| {
                form.extend(csrf.map(|c| ("csrf", c)));
                form
            };
            let add = with(vec![("phone", "415-555-0102"), ("name", "Ben")]);
            assert_eq!(ada.post("/volunteers", &add).await.status, StatusCode::FORBIDDEN);
            let edit = with(vec![("name", "Someone else")]);
            let path = format!("/volunteers/{id}");
            assert_eq!(ada.post(&path, &edit).await.status, StatusCode::FORBIDDEN);
            for action in ["pause", "remove"] {
                let page = ada.post(&format!("{path}/{action}"), &with(vec![])).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN);
            }
            let upload = import(&ada, csrf, "phone,name\n415-555-0102,Ben\n").await;
            assert_eq!(upload.status, StatusCode::FORBIDDEN);
        }
        let page = ada.get("/volunteers").await;
        assert!(row(&page, "Ana").contains(">active<"));
        assert_eq!(volunteers(&app).await, 1);
    }

    async fn a_file_over_the_size_limit_is_refused_as_too_large(db) {
        let app = TestApp::spawn(db).await;
        let ada = ada(&app).await;
        let csrf = csrf(&ada).await;
        let limit = app.settings.max_body_bytes;
        let mut csv = String::from("phone,name\n");
        while csv.len() <= limit {
            csv += "415-555-0102,Ben\n";
        }

        let page = import(&ada, Some(&csrf), &csv).await;
        assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(page.body.contains("the file is too large"), "{}", page.body);
        assert_eq!(volunteers(&app).await, 0);
    }
}
