//! A request's own page: what a neighbour texted in, read by a dispatcher, with notes added.

use reqwest::StatusCode;

use crate::dispatch::{CORNER, NOTES, neighbour_asks};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, account};

/// A dispatcher `dana`, signed in, and the code of a request texted in through the intake.
async fn dana_and_a_request(app: &TestApp) -> (Browser, String) {
    account(app, "dana", "dispatcher").await;
    let code = neighbour_asks(app, NEIGHBOUR).await;
    app.send_due().await;
    let dana = Browser::new(app);
    dana.sign_in("dana", PASSWORD).await;
    (dana, code)
}

/// (actor, detail) of every event of this kind, oldest first.
pub async fn events(app: &TestApp, kind: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as("SELECT actor, detail FROM request_events WHERE kind = $1 ORDER BY id")
        .bind(kind)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn a_dispatcher_reads_the_request_and_the_conversation_without_the_number(db) {
        let app = TestApp::spawn(db).await;
        let (dana, code) = dana_and_a_request(&app).await;

        let queue = dana.get("/").await;
        assert!(queue.body.contains(&format!("<a href=\"/requests/{code}\">{code}</a>")));

        let page = dana.get(&format!("/requests/{code}")).await;
        assert_eq!(page.status, StatusCode::OK);
        for shown in ["groceries", "bread, milk", "northside", CORNER, NOTES, "Maria", "+1******4321"] {
            assert!(page.body.contains(shown), "{shown}: {}", page.body);
        }
        for private in [NEIGHBOUR, "5557654321", "765-4321"] {
            assert!(!page.body.contains(private), "{private} is on the page");
        }

        let conversation = page.body.split("id=\"conversation\"").nth(1).unwrap();
        let question = conversation.find("What should we bring?").expect("the flow's question");
        let answer = conversation.find("bread, milk").expect("the neighbour's answer");
        let name = conversation.find(">Maria<").expect("the last answer");
        assert!(question < answer && answer < name, "in time order");
        assert!(conversation.contains(">In<") && conversation.contains(">Out<"));
        assert!(conversation.contains(", sent<"), "{conversation}");

        assert_eq!(events(&app, "viewed").await, [("user:dana".to_string(), None)]);
    }

    async fn a_note_needs_the_forms_token_and_then_shows_on_the_page(db) {
        let app = TestApp::spawn(db).await;
        let (dana, code) = dana_and_a_request(&app).await;
        let path = format!("/requests/{code}");
        let notes = format!("{path}/notes");
        let csrf = dana.get(&path).await.csrf();
        let note = "Called back: <b>ring twice</b>";

        for forged in [vec![("note", note)], vec![("note", note), ("csrf", "guessed")]] {
            assert_eq!(dana.post(&notes, &forged).await.status, StatusCode::FORBIDDEN);
        }
        assert!(events(&app, "note").await.is_empty());
        let empty = dana.post(&notes, &[("note", "  "), ("csrf", &csrf)]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.body.contains("the note is empty"));

        let page = dana.post(&notes, &[("note", note), ("csrf", &csrf)]).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, path.as_str()));
        assert!(page.body.contains("ring twice"), "{}", page.body);
        assert!(!page.body.contains("<b>ring"), "escaped");
        assert_eq!(events(&app, "note").await, [("user:dana".to_string(), Some(note.to_string()))]);
    }

    async fn an_unknown_code_is_not_found_and_a_visitor_is_sent_to_sign_in(db) {
        let app = TestApp::spawn(db).await;
        let (dana, code) = dana_and_a_request(&app).await;

        let page = dana.get("/requests/Z99").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("no request has the code Z99"));

        let visitor = Browser::new(&app);
        let page = visitor.get(&format!("/requests/{code}")).await;
        assert_eq!(page.path, "/signin");
        assert!(!page.body.contains("Maria"));
        let page = visitor.post(&format!("/requests/{code}/notes"), &[("note", "hi")]).await;
        assert_eq!(page.path, "/signin");
        assert!(events(&app, "viewed").await.is_empty());
    }
}

on_both_databases! {
    async fn times_on_the_request_page_read_in_the_groups_own_time_zone(db) {
        let options = Options {
            top_settings: "time_zone = \"America/Chicago\"".into(),
            ..Options::default()
        };
        let app = TestApp::spawn_with(db, options).await;
        let (dana, code) = dana_and_a_request(&app).await;
        let expected = aidline::local_time::LocalTime::parse("America/Chicago")
            .unwrap()
            .minute(app.clock.now_ms());
        assert!(expected.ends_with("CST") || expected.ends_with("CDT"), "{expected}");

        let page = dana.get(&format!("/requests/{code}")).await;
        assert!(page.body.contains(&expected), "{expected}: {}", page.body);
        assert!(!page.body.contains(" UTC<"), "no time is left in UTC");
    }
}
