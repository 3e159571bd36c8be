//! What a dispatcher does from a request's page: assign, re-offer, set the status, merge a
//! duplicate, cancel, text either side, reveal the number — each a form, each in the history.

use std::time::Duration;

use aidline::lifecycle::RequestStatus;
use aidline::store::{Backend, contacts, requests};
use reqwest::StatusCode;

use crate::dispatch::{CORNER, NOTES, inbox, neighbour_asks, status_of, volunteer};
use crate::error_pages::{BACK_TO_THE_QUEUE, has_navigation, is_error_page};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, Page, account, filed};

const ANA: &str = "+15557662101";
const BEN: &str = "+15557662102";
const CAL: &str = "+15557662103";

/// What only a confirmation page carries: its yes.
const CONFIRMATION: &str = r#"name="confirmed" value="yes""#;

/// A dispatcher `dana`, signed in, on the page of a request Maria texted in, which was offered
/// to Ana and Ben (both cover Northside).
struct Desk {
    app: TestApp,
    dana: Browser,
    code: String,
    ana: i64,
}

impl Desk {
    async fn new(db: TestDb) -> Desk {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let ana = volunteer(&app, ANA, "Ana", &["northside"]).await;
        volunteer(&app, BEN, "Ben", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.send_due().await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        Desk {
            app,
            dana,
            code,
            ana,
        }
    }

    fn path(&self) -> String {
        format!("/requests/{}", self.code)
    }

    async fn page(&self) -> Page {
        self.dana.get(&self.path()).await
    }

    /// Posts the page's form `action` (`assign`, `text/neighbour`...) with the page's token, and
    /// says yes on the confirmation page when one comes, as a dispatcher would.
    async fn post(&self, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.ask(action, fields).await;
        if !page.body.contains(CONFIRMATION) {
            return page;
        }
        let mut form = vec![("csrf", page.csrf()), ("confirmed", "yes".into())];
        form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.dana
            .post(&format!("{}/{action}", self.path()), &form)
            .await
    }

    /// Posts the page's form `action` and stops at whatever answers it.
    async fn ask(&self, action: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.page().await.csrf();
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.dana
            .post(&format!("{}/{action}", self.path()), &form)
            .await
    }

    /// (actor, detail) of each event of this kind on the request with `code`, oldest first.
    async fn events(&self, code: &str, kind: &str) -> Vec<(String, Option<String>)> {
        sqlx::query_as(
            "SELECT e.actor, e.detail FROM request_events e JOIN requests r ON r.id = e.request_id \
             WHERE r.code = $1 AND e.kind = $2 ORDER BY e.id",
        )
        .bind(code)
        .bind(kind)
        .fetch_all(self.app.db.pool())
        .await
        .unwrap()
    }

    /// What the mock gateway was asked to send to `to`, with the number it came from.
    async fn texts_to(&self, to: &str) -> Vec<(String, String)> {
        self.app.send_due().await;
        self.app
            .sent()
            .await
            .into_iter()
            .filter(|s| s.to == to)
            .map(|s| (s.from, s.body))
            .collect()
    }

    async fn last_text_to(&self, to: &str) -> String {
        inbox(&self.app, to).await.pop().unwrap_or_default()
    }
}

fn dana(detail: Option<&str>) -> (String, Option<String>) {
    ("user:dana".to_string(), detail.map(str::to_string))
}

/// The page shows none of these numbers, masked or not, anywhere.
fn no_numbers(page: &Page) {
    for private in [NEIGHBOUR, "5557654321", ANA, BEN, "5557662101"] {
        assert!(!page.body.contains(private), "{private} is on the page");
    }
}

on_both_databases! {
    async fn a_status_set_while_the_neighbour_cancels_waits_and_does_not_reopen_the_request(db) {
        let desk = Desk::new(db).await;
        let app = &desk.app;
        if app.db.backend() == Backend::Sqlite {
            // One writer at a time: a page's change and a text cannot interleave there at all.
            return;
        }
        app.text(ANA, &format!("YES {}", desk.code)).await;
        let page = desk.page().await;
        let (neighbour, request): (i64, i64) =
            sqlx::query_as("SELECT contact_id, id FROM requests WHERE code = $1")
                .bind(&desk.code)
                .fetch_one(app.db.pool())
                .await
                .unwrap();

        // The intake is handling the neighbour's "cancel request": it holds them, and has
        // cancelled the request but not yet committed.
        let mut handling = app.db.begin().await.unwrap();
        contacts::lock_many(&mut handling, Backend::Postgres, &[neighbour]).await.unwrap();
        requests::set_status(&mut handling, request, RequestStatus::Cancelled, "neighbour", None, 0).await.unwrap();
        let intake: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(&mut *handling)
            .await
            .unwrap();

        let form = [("csrf", page.csrf()), ("status", "picked_up".into()), ("reason", String::new())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let action = format!("{}/status", desk.path());
        let post = desk.dana.post(&action, &form);
        tokio::pin!(post);
        // Proof that the change waits: the database names the intake's transaction as its blocker.
        let held_back_by_the_intake = someone_waits_on(app, intake);
        // A guard against hanging, not a measurement.
        let waited = tokio::time::timeout(Duration::from_secs(20), async {
            tokio::select! {
                page = &mut post => panic!("the change went ahead while the neighbour was held: {}", page.status),
                () = held_back_by_the_intake => {}
            }
        });
        waited.await.expect("the change neither waited for the neighbour nor went ahead");

        handling.commit().await.unwrap();
        let page = post.await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
        assert_eq!(status_of(app, &desk.code).await, "cancelled", "the cancel stands");
    }

    async fn a_dispatcher_who_assigns_the_request_to_ana_sees_ana_holding_it_and_ana_gets_the_details(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        let page = desk.page().await;
        let suggested = page.body.split("id=\"suggested\"").nth(1).expect("suggestions");
        let (ana_at, ben_at) = (suggested.find(">Ana<").unwrap(), suggested.find(">Ben<").unwrap());
        assert!(ana_at < ben_at, "equally free: the earlier volunteer first");
        assert!(page.body.contains("Assign to Ana"));

        let ana = desk.ana.to_string();
        let page = desk.post("assign", &[("volunteer", &ana)]).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, desk.path().as_str()));
        assert!(page.body.contains("<dt>Held by</dt><dd>Ana</dd>"), "{}", page.body);
        assert!(page.body.contains("Assigned: the volunteer has the details"));
        no_numbers(&page);

        let details = format!(
            "{code} is yours. Groceries: bread, milk. For Maria, near {CORNER}. Notes: {NOTES}. \
             People: 2. When: today. Area: northside. \
             Text {code} and a message to reach them. DONE {code} when delivered."
        );
        assert_eq!(desk.texts_to(ANA).await.last().unwrap(), &(LINE.to_string(), details));
        assert_eq!(
            desk.last_text_to(NEIGHBOUR).await,
            format!("Good news: Ana will help with your request {code}. Reply here to message them.")
        );
        assert_eq!(status_of(&desk.app, &code).await, "claimed");
        assert_eq!(desk.events(&code, "assigned").await, [dana(Some("Ana"))]);

        // Ben's offer is over: his YES now gets "already taken".
        desk.app.text(BEN, &format!("YES {code}")).await;
        assert!(desk.last_text_to(BEN).await.contains("already taken"));
    }

    async fn assigning_a_request_ben_already_claimed_is_refused_and_changes_nothing(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        let csrf = desk.page().await.csrf();
        desk.app.text(BEN, &format!("YES {code}")).await;
        let before = desk.texts_to(ANA).await.len();

        let ana = desk.ana.to_string();
        let page = desk
            .dana
            .post(&format!("{}/assign", desk.path()), &[("csrf", &csrf), ("volunteer", &ana)])
            .await;
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert!(is_error_page(&page, "Already changed"), "{}", page.body);
        assert!(page.body.contains(&format!("{code} is already held by Ben")), "{}", page.body);
        assert!(has_navigation(&page), "{}", page.body);
        let back = format!("<a href=\"/requests/{code}\">Back to request {code}</a>");
        assert!(page.body.contains(&back) && page.body.contains(BACK_TO_THE_QUEUE), "{}", page.body);
        assert_eq!(status_of(&desk.app, &code).await, "claimed");
        assert!(desk.page().await.body.contains("<dt>Held by</dt><dd>Ben</dd>"));
        assert_eq!(desk.texts_to(ANA).await.len(), before, "Ana is told nothing");
        assert!(desk.events(&code, "assigned").await.is_empty());

        let nobody = desk.post("assign", &[("volunteer", "999")]).await;
        assert_eq!(nobody.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(nobody.body.contains("volunteer: no active volunteer has the id 999"));
    }

    async fn re_offering_a_held_request_tells_its_volunteer_and_offers_it_to_someone_new(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        desk.app.text(ANA, &format!("YES {code}")).await;
        volunteer(&desk.app, CAL, "Cal", &[]).await;

        let asked = desk.ask("reoffer", &[]).await;
        assert!(asked.body.contains(CONFIRMATION) && asked.body.contains("Ana (volunteer)"), "{}", asked.body);
        let page = desk.post("reoffer", &[]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Offered again."));
        assert_eq!(
            desk.last_text_to(ANA).await,
            format!("{code} was taken back by the dispatchers, so you do not need to do it. Thank you!")
        );
        assert!(desk.last_text_to(NEIGHBOUR).await.contains("could not make it"));
        assert!(desk.last_text_to(CAL).await.contains(&format!("Reply YES {code}")));
        assert_eq!(status_of(&desk.app, &code).await, "offered");
        assert_eq!(desk.events(&code, "reoffered").await, [dana(Some("to 1 more volunteer(s)"))]);
        assert!(page.body.contains(">reoffered<"), "the history shows it");

        // Nobody holds it now: offering again reaches whoever has not been asked yet.
        let dee = "+15557662104";
        volunteer(&desk.app, dee, "Dee", &["northside"]).await;
        let page = desk.ask("reoffer", &[]).await;
        assert!(!page.body.contains(CONFIRMATION), "nobody loses a job: no confirmation");
        assert!(desk.last_text_to(dee).await.contains(&format!("Reply YES {code}")));
    }

    async fn cancelling_first_shows_who_will_be_texted_and_what_and_changes_nothing_until_yes(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        desk.app.text(ANA, &format!("YES {code}")).await;
        desk.app.send_due().await;
        let before = desk.app.sent().await.len();

        let asked = desk.ask("cancel", &[]).await;
        assert!(asked.body.contains(CONFIRMATION), "{}", asked.body);
        assert!(asked.body.contains("The neighbour (Maria)") && asked.body.contains(&format!("Your request {code} was cancelled")), "{}", asked.body);
        assert!(asked.body.contains("Ana (volunteer)") && asked.body.contains(&format!("{code} was taken back by the dispatchers")), "{}", asked.body);
        assert!(!asked.body.contains(NEIGHBOUR) && !asked.body.contains(ANA), "no numbers on the page");
        desk.app.send_due().await;
        assert_eq!(desk.app.sent().await.len(), before, "nothing sent before the yes");
        assert_eq!(status_of(&desk.app, &code).await, "claimed");

        let done = desk.post("cancel", &[]).await;
        assert!(done.body.contains("Cancelled"), "{}", done.body);
        assert_eq!(status_of(&desk.app, &code).await, "cancelled");
    }

    async fn a_status_form_sent_as_shown_changes_nothing_and_texts_nobody(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        desk.app.text(ANA, &format!("YES {code}")).await;
        desk.app.send_due().await;
        let texts = desk.app.sent().await.len();

        let page = desk.page().await;
        assert!(page.body.contains(r#"<option value="" selected>Keep it claimed</option>"#), "{}", page.body);
        for untouched in ["", "picked_up"] {
            if untouched == "picked_up" {
                desk.post("status", &[("status", "picked_up"), ("reason", "")]).await;
                desk.app.send_due().await;
            }
            let before = desk.app.sent().await.len();
            let page = desk.post("status", &[("status", untouched), ("reason", "")]).await;
            assert!(page.body.contains("Nothing changed"), "{}", page.body);
            desk.app.send_due().await;
            assert_eq!(desk.app.sent().await.len(), before, "nobody is texted");
        }
        assert_eq!(status_of(&desk.app, &code).await, "picked_up");
        assert_eq!(desk.events(&code, "new").await, [], "the volunteer kept the job");
        assert_eq!(desk.app.sent().await.len(), texts + 1, "only the one change texted Ana");
    }

    async fn setting_the_status_does_what_the_volunteers_text_would_and_a_bad_one_is_named(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();

        let bogus = desk.post("status", &[("status", "lost"), ("reason", "")]).await;
        assert_eq!(bogus.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bogus.body.contains("status: `lost` is not a status a request can be set to; use one of: new, picked_up"), "{}", bogus.body);
        let early = desk.post("status", &[("status", "picked_up"), ("reason", "")]).await;
        assert_eq!(early.status, StatusCode::CONFLICT);
        assert!(early.body.contains("no volunteer is working on"));

        desk.app.text(ANA, &format!("YES {code}")).await;
        let page = desk.post("status", &[("status", "picked_up"), ("reason", "Ana phoned")]).await;
        assert!(page.body.contains("Status changed."));
        assert_eq!(status_of(&desk.app, &code).await, "picked_up");
        assert_eq!(desk.last_text_to(ANA).await, format!("Noted: {code} picked up. DONE {code} when delivered."));
        assert_eq!(desk.events(&code, "picked_up").await, [dana(Some("Ana phoned"))]);

        desk.post("status", &[("status", "delivered"), ("reason", "")]).await;
        assert_eq!(status_of(&desk.app, &code).await, "delivered");
        assert!(desk.last_text_to(NEIGHBOUR).await.contains("Did you get it?"));

        let no_reason = desk.post("status", &[("status", "failed"), ("reason", " ")]).await;
        assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(no_reason.body.contains("the reason is empty"));
        desk.post("status", &[("status", "failed"), ("reason", "never arrived")]).await;
        assert_eq!(status_of(&desk.app, &code).await, "failed");
        assert_eq!(desk.events(&code, "failed").await, [dana(Some("never arrived"))]);
    }

    async fn a_duplicate_is_closed_into_the_request_kept_and_both_histories_say_so(db) {
        let desk = Desk::new(db).await;
        let kept = desk.code.clone();
        // Filed straight into the store: the intake would attach a second conversation instead.
        let duplicate = filed(&desk.app, NEIGHBOUR, "groceries", "northside", 0).await;
        let path = format!("/requests/{duplicate}");
        let csrf = desk.page().await.csrf();

        for (into, why) in [("Z99", "duplicate of: no open request has the code Z99"), (duplicate.as_str(), "cannot be a duplicate of itself")] {
            let page = desk.dana.post(&format!("{path}/merge"), &[("csrf", &csrf), ("into", into)]).await;
            assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(page.body.contains(why), "{}", page.body);
        }
        let lower = kept.to_lowercase();
        let asked = desk.dana.post(&format!("{path}/merge"), &[("csrf", &csrf), ("into", &lower)]).await;
        assert!(asked.body.contains(CONFIRMATION), "{}", asked.body);
        assert_eq!(status_of(&desk.app, &duplicate).await, "new", "nothing until the yes");
        let yes = [("csrf", csrf.as_str()), ("into", &lower), ("confirmed", "yes")];
        let page = desk.dana.post(&format!("{path}/merge"), &yes).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, path.as_str()));
        assert!(page.body.contains("Closed as a duplicate.") && page.body.contains("This request is closed (closed)"));
        assert!(!page.body.contains("Act on it"), "a closed request has no actions");
        assert_eq!(status_of(&desk.app, &duplicate).await, "closed");
        let closed_as = format!("a duplicate of {kept}");
        assert_eq!(desk.events(&duplicate, "closed").await, [dana(Some(&closed_as))]);

        let kept_page = desk.page().await;
        let merged = format!("{duplicate} was closed as a duplicate of this one");
        assert!(kept_page.body.contains(&merged), "{}", kept_page.body);
        assert_eq!(desk.events(&kept, "merged").await, [dana(Some(&merged))]);
        assert_eq!(status_of(&desk.app, &kept).await, "offered");
    }

    async fn cancelling_from_the_page_tells_the_volunteer_and_the_neighbour(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        desk.app.text(ANA, &format!("YES {code}")).await;

        let page = desk.post("cancel", &[]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("This request is closed (cancelled)"));
        assert_eq!(status_of(&desk.app, &code).await, "cancelled");
        assert_eq!(desk.last_text_to(ANA).await, format!("{code} was taken back by the dispatchers, so you do not need to do it. Thank you!"));
        assert_eq!(
            desk.last_text_to(NEIGHBOUR).await,
            format!("Your request {code} was cancelled. Text us any time you need something.")
        );
        assert_eq!(desk.events(&code, "cancelled").await, [dana(None)]);
        let timers = desk.app.count("SELECT COUNT(*) FROM timers WHERE request_id IS NOT NULL AND done_at IS NULL").await;
        assert_eq!(timers, 0, "no more offers");
    }

    async fn texts_from_the_page_reach_the_neighbour_and_the_volunteer_from_the_line(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        let to_neighbour = "We will call you at 5 to check the list.";

        let empty = desk.post("text/neighbour", &[("message", "  ")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        let page = desk.post("text/neighbour", &[("message", to_neighbour)]).await;
        assert!(page.body.contains("Text queued"));
        assert_eq!(desk.texts_to(NEIGHBOUR).await.last().unwrap(), &(LINE.to_string(), to_neighbour.to_string()));
        let page = desk.page().await;
        let conversation = page.body.split("id=\"conversation\"").nth(1).unwrap();
        assert!(conversation.contains(to_neighbour), "{conversation}");
        no_numbers(&page);

        let nobody = desk.post("text/volunteer", &[("message", "hello")]).await;
        assert_eq!(nobody.status, StatusCode::CONFLICT);
        desk.app.text(ANA, &format!("YES {code}")).await;
        let to_ana = "The side door is on Oak; ring twice.";
        let page = desk.post("text/volunteer", &[("message", to_ana)]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(desk.texts_to(ANA).await.last().unwrap(), &(LINE.to_string(), to_ana.to_string()));
        assert!(page.body.contains(to_ana), "the history shows it");
        no_numbers(&page);
        assert_eq!(desk.events(&code, "texted_volunteer").await, [dana(Some(to_ana))]);
    }

    async fn revealing_the_number_is_a_recorded_post_and_a_plain_get_stays_masked(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        assert!(desk.page().await.body.contains("+1******4321"));

        let page = desk.post("reveal", &[]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(NEIGHBOUR), "{}", page.body);
        assert_eq!(desk.events(&code, "revealed").await, [dana(None)]);

        let again = desk.page().await;
        assert!(!again.body.contains(NEIGHBOUR) && again.body.contains("+1******4321"));
        assert!(again.body.contains(">revealed<"), "the history shows who saw it");
    }

    async fn a_form_posted_without_the_pages_token_is_refused_and_changes_nothing(db) {
        let desk = Desk::new(db).await;
        let code = desk.code.clone();
        let ana = desk.ana.to_string();
        let sent = desk.app.sent().await.len();
        let forms: [(&str, Vec<(&str, &str)>); 8] = [
            ("assign", vec![("volunteer", ana.as_str())]),
            ("reoffer", vec![]),
            ("status", vec![("status", "closed")]),
            ("merge", vec![("into", "Z99")]),
            ("cancel", vec![]),
            ("text/neighbour", vec![("message", "hi")]),
            ("text/volunteer", vec![("message", "hi")]),
            ("reveal", vec![]),
        ];
        for (action, fields) in forms {
            for token in [None, Some("guessed")] {
                let mut form = fields.clone();
                form.extend(token.map(|t| ("csrf", t)));
                let page = desk.dana.post(&format!("{}/{action}", desk.path()), &form).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{action}");
                assert!(!page.body.contains(NEIGHBOUR));
            }
        }
        assert_eq!(status_of(&desk.app, &code).await, "offered");
        let actors: Vec<String> = sqlx::query_scalar("SELECT DISTINCT actor FROM request_events")
            .fetch_all(desk.app.db.pool())
            .await
            .unwrap();
        assert!(!actors.contains(&"user:dana".to_string()), "{actors:?}");
        desk.app.send_due().await;
        assert_eq!(desk.app.sent().await.len(), sent, "nobody was texted");
    }
}
