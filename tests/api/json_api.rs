//! The JSON API, used as a program the group runs would use it: with a token an admin made on the
//! tokens page, over real HTTP.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::dispatch::{CORNER, neighbour_asks, status_of, volunteer};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, Page, account};
use crate::request_page::events;

/// Admin `ada`, signed in, makes a token named `name` on the tokens page; returns her browser and
/// the token as the page showed it.
async fn ada_makes_a_token(app: &TestApp, name: &str) -> (Browser, String) {
    account(app, "ada", "admin").await;
    let ada = Browser::new(app);
    ada.sign_in("ada", PASSWORD).await;
    let csrf = ada.get("/admin/tokens").await.csrf();
    let page = ada
        .post("/admin/tokens", &[("name", name), ("csrf", &csrf)])
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("it cannot be shown again"),
        "{}",
        page.body
    );
    (ada, shown_token(&page))
}

fn shown_token(page: &Page) -> String {
    let start = page.body.find("id=\"token\"").expect("the new token") + 10;
    let start = page.body[start..].find("value=\"").unwrap() + start + 7;
    let end = page.body[start..].find('"').unwrap() + start;
    page.body[start..end].to_string()
}

/// An API call: its status, its `WWW-Authenticate` header, and its JSON body.
struct Answer {
    status: StatusCode,
    challenge: Option<String>,
    json: Value,
}

impl Answer {
    fn error(&self) -> &str {
        self.json["error"].as_str().expect("a JSON error")
    }
}

async fn call(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    let text = response.text().await.unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    Answer {
        status,
        challenge,
        json,
    }
}

async fn api_get(app: &TestApp, token: &str, path: &str) -> Answer {
    call(app.http.get(app.url(path)).bearer_auth(token)).await
}

async fn api_post(app: &TestApp, token: &str, path: &str, body: &str) -> Answer {
    let request = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body.to_string());
    call(request).await
}

fn codes(list: &Value, lane: &str) -> Vec<String> {
    list[lane]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

on_both_databases! {
    async fn an_admin_makes_a_token_and_a_program_lists_the_requests_texted_in(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let (ada, token) = ada_makes_a_token(&app, "Signal-Bot").await;
        app.clock.advance(Duration::from_secs(5 * 60));
        let before = app.clock.now_ms();

        let list = api_get(&app, &token, "/api/v1/requests").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.json);
        assert_eq!(codes(&list.json, "requests"), [code.as_str()]);
        let request = &list.json["requests"][0];
        assert_eq!(request["zone"], "northside");
        assert_eq!(request["name_to_use"], "Maria");
        assert_eq!(request["waiting_minutes"], 5);
        assert_eq!(list.json["counts"][request["status"].as_str().unwrap()], 1);
        for private in [NEIGHBOUR, "5557654321", "4321", "bread, milk"] {
            assert!(!list.json.to_string().contains(private), "{private} is in the list");
        }

        let filtered = api_get(&app, &token, "/api/v1/requests?zone=southside&max_age=30").await;
        assert!(codes(&filtered.json, "requests").is_empty(), "{}", filtered.json);
        let filtered = api_get(&app, &token, "/api/v1/requests?queue=groceries&max_age=30").await;
        assert_eq!(codes(&filtered.json, "requests"), [code.as_str()]);
        assert_eq!(request["lane"], "waiting");
        assert_eq!(request["urgency"], "can wait");
        let found = api_get(&app, &token, "/api/v1/requests?q=bell").await;
        assert_eq!(codes(&found.json, "requests"), [code.as_str()], "a word from the notes");
        let found = api_get(&app, &token, "/api/v1/requests?q=4321").await;
        assert!(codes(&found.json, "requests").is_empty(), "a phone number finds nobody");

        let used: Option<i64> = sqlx::query_scalar("SELECT last_used_at FROM api_tokens")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert!(used.is_some_and(|at| (before..=app.clock.now_ms()).contains(&at)), "{used:?}");
        let page = ada.get("/admin/tokens").await;
        assert!(page.body.contains("signal-bot") && page.body.contains("ada (display)"));
        assert!(!page.body.contains(&token), "the token is shown only once");
        assert!(!page.body.contains(">never<"), "it has been used");
    }

    async fn a_program_reads_one_request_without_the_number_and_the_reading_is_recorded(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let (_, token) = ada_makes_a_token(&app, "dashboard").await;

        let one = api_get(&app, &token, &format!("/api/v1/requests/{}", code.to_lowercase())).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.json);
        assert_eq!(one.json["code"], code.as_str());
        assert_eq!(one.json["phone"], "+1******4321");
        assert_eq!(one.json["holder"], Value::Null);
        assert_eq!(one.json["fields"]["items"], "bread, milk");
        assert_eq!(one.json["fields"]["cross_streets"], CORNER);
        assert_eq!(one.json["events"][0]["kind"], "created");
        assert_eq!(one.json["notes"], serde_json::json!([]));
        for private in [NEIGHBOUR, "5557654321", "765-4321"] {
            assert!(!one.json.to_string().contains(private), "{private} is in the answer");
        }
        assert_eq!(events(&app, "viewed").await, [("token:dashboard".to_string(), None)]);

        let missing = api_get(&app, &token, "/api/v1/requests/Z99").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.error(), "no request has the code Z99");
        let nowhere = api_get(&app, &token, "/api/v1/volunteers").await;
        assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
        assert_eq!(nowhere.error(), "there is no such endpoint");
    }

    async fn a_note_from_a_program_shows_on_the_request_page(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let (ada, token) = ada_makes_a_token(&app, "signal-bot").await;
        let notes = format!("/api/v1/requests/{code}/notes");

        let empty = api_post(&app, &token, &notes, r#"{"note": "   "}"#).await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        assert_eq!(empty.error(), "the note is empty; write something first");

        let added = api_post(&app, &token, &notes, r#"{"note": "Called back: <b>ring twice</b>"}"#).await;
        assert_eq!(added.status, StatusCode::CREATED, "{}", added.json);
        assert_eq!(added.json["by"], "token:signal-bot");
        assert_eq!(added.json["text"], "Called back: <b>ring twice</b>");

        let page = ada.get(&format!("/requests/{code}")).await;
        let notes_section = page.body.split("id=\"notes\"").nth(1).unwrap();
        assert!(notes_section.contains("token:signal-bot"), "{notes_section}");
        assert!(notes_section.contains("ring twice") && !notes_section.contains("<b>"), "escaped");
        let one = api_get(&app, &token, &format!("/api/v1/requests/{code}")).await;
        assert_eq!(one.json["notes"][0]["text"], "Called back: <b>ring twice</b>");
    }

    async fn a_program_moves_a_request_on_as_the_pages_status_form_would(db) {
        let app = TestApp::spawn(db).await;
        let ana = "+15557662101";
        volunteer(&app, ana, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let (_, token) = ada_makes_a_token(&app, "signal-bot").await;
        let status = format!("/api/v1/requests/{code}/status");

        for (body, code_, said) in [
            ("{}", StatusCode::BAD_REQUEST, "the field `status` is missing"),
            (r#"{"status": "lost"}"#, StatusCode::BAD_REQUEST, "status: `lost` is not a status a request can be set to"),
            (r#"{"status": "picked_up", "reason": 7}"#, StatusCode::BAD_REQUEST, "the field `reason` must be a string"),
            (r#"{"status": "failed"}"#, StatusCode::BAD_REQUEST, "say why it failed: the reason is empty"),
            (r#"{"status": "picked_up"}"#, StatusCode::CONFLICT, "no volunteer is working on"),
        ] {
            let answer = api_post(&app, &token, &status, body).await;
            assert_eq!(answer.status, code_, "{body}: {}", answer.json);
            assert!(answer.error().starts_with(said), "{body}: {}", answer.json);
        }
        assert_eq!(status_of(&app, &code).await, "offered");

        app.text(ana, &format!("YES {code}")).await;
        let moved = api_post(&app, &token, &status, r#"{"status": "Picked up", "reason": "Ana phoned"}"#).await;
        assert_eq!(moved.status, StatusCode::OK, "{}", moved.json);
        assert_eq!(moved.json, serde_json::json!({"code": code, "status": "picked_up", "closed": false}));
        let picked: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT actor, detail FROM request_events WHERE kind = 'picked_up'",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(picked, [("token:signal-bot".to_string(), Some("Ana phoned".to_string()))]);
        app.send_due().await;
        let told = app.sent_to(ana).await;
        assert!(told.last().unwrap().contains(&format!("{code} picked up")), "{told:?}");

        let closed = api_post(&app, &token, &status, r#"{"status": "closed", "reason": null}"#).await;
        assert_eq!(closed.json["closed"], true, "{}", closed.json);
        let list = api_get(&app, &token, "/api/v1/requests").await;
        assert!(codes(&list.json, "requests").is_empty(), "{}", list.json);
        let one = api_get(&app, &token, &format!("/api/v1/requests/{code}")).await;
        assert_eq!((one.json["status"].as_str(), one.json["closed"].as_bool()), (Some("closed"), Some(true)));
    }

    async fn a_token_stops_working_when_the_admin_who_made_it_is_disabled(db) {
        let app = TestApp::spawn(db).await;
        let (_, token) = ada_makes_a_token(&app, "signal-bot").await;
        assert_eq!(api_get(&app, &token, "/api/v1/requests").await.status, StatusCode::OK);
        account(&app, "bea", "admin").await;
        let bea = Browser::new(&app);
        bea.sign_in("bea", PASSWORD).await;
        let csrf = bea.get("/admin/tokens").await.csrf();
        let kept = shown_token(&bea.post("/admin/tokens", &[("name", "beas-bot"), ("csrf", &csrf)]).await);
        let page = bea.get("/admin/tokens").await;
        assert!(page.body.contains("<td data-label=\"Made by\">ada (display)</td>"), "{}", page.body);

        let csrf = bea.get("/admin/users").await.csrf();
        bea.post("/admin/users/ada/disable", &[("csrf", &csrf)]).await;
        let refused = api_get(&app, &token, "/api/v1/requests").await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.json);
        assert_eq!(api_get(&app, &kept, "/api/v1/requests").await.status, StatusCode::OK, "only ada's");
        let page = bea.get("/admin/tokens").await;
        assert_eq!(page.body.matches("revoked 20").count(), 1, "{}", page.body);

        bea.post("/admin/users/ada/enable", &[("csrf", &csrf)]).await;
        let still = api_get(&app, &token, "/api/v1/requests").await;
        assert_eq!(still.status, StatusCode::UNAUTHORIZED, "enabling her brings no token back");
    }

    async fn missing_unknown_and_revoked_tokens_are_refused_and_change_nothing(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let (ada, token) = ada_makes_a_token(&app, "old-laptop").await;
        let one = format!("/api/v1/requests/{code}");
        let notes = format!("{one}/notes");
        let note = r#"{"note": "should not be kept"}"#;

        let anonymous = call(app.http.get(app.url(&one))).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        assert_eq!(anonymous.challenge.as_deref(), Some("Bearer"));
        assert!(anonymous.error().contains("Authorization: Bearer"), "{}", anonymous.json);
        let basic = call(app.http.get(app.url(&one)).basic_auth("ada", Some(PASSWORD))).await;
        assert_eq!(basic.status, StatusCode::UNAUTHORIZED);

        let guessed = api_post(&app, "guessed", &notes, note).await;
        assert_eq!(guessed.status, StatusCode::UNAUTHORIZED);
        assert!(guessed.challenge.as_deref().unwrap().starts_with("Bearer error=\"invalid_token\""));
        assert_eq!(guessed.error(), "this API token is unknown or has been revoked");

        let csrf = ada.get("/admin/tokens").await.csrf();
        let forged = ada.post("/admin/tokens/old-laptop/revoke", &[("csrf", "guessed")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(api_get(&app, &token, "/api/v1/requests").await.status, StatusCode::OK);
        let page = ada.post("/admin/tokens/old-laptop/revoke", &[("csrf", &csrf)]).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/admin/tokens"));
        assert!(page.body.contains("revoked 20"), "{}", page.body);

        let close = r#"{"status": "closed"}"#;
        for refused in [
            api_get(&app, &token, "/api/v1/requests").await,
            api_get(&app, &token, &one).await,
            api_post(&app, &token, &notes, note).await,
            api_post(&app, &token, &format!("{one}/status"), close).await,
            api_post(&app, "guessed", &format!("{one}/status"), close).await,
        ] {
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.json);
        }
        assert!(events(&app, "viewed").await.is_empty());
        assert!(events(&app, "note").await.is_empty());
        assert_eq!(status_of(&app, &code).await, "new");
    }

    async fn a_malformed_body_is_refused_naming_the_field(db) {
        let app = TestApp::spawn(db).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let (_, token) = ada_makes_a_token(&app, "script").await;
        let notes = format!("/api/v1/requests/{code}/notes");

        for (body, said) in [
            ("{}", "the field `note` is missing"),
            (r#"{"text": "hi"}"#, "the field `note` is missing"),
            (r#"{"note": 5}"#, "the field `note` must be a string"),
            (r#"["hi"]"#, "the body must be a JSON object"),
            (r#"{"note": "hi""#, "the body is not valid JSON (line 1, column 13)"),
        ] {
            let answer = api_post(&app, &token, &notes, body).await;
            assert_eq!((answer.status, answer.error()), (StatusCode::BAD_REQUEST, said), "{body}");
        }
        let huge = format!(r#"{{"note": "{}"}}"#, "a".repeat(app.settings.max_body_bytes));
        let answer = api_post(&app, &token, &notes, &huge).await;
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
        assert!(answer.error().starts_with("the body is larger than"), "{}", answer.json);
        let answer = api_get(&app, &token, &notes).await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(answer.error().starts_with("this endpoint does not take that method"));
        assert!(events(&app, "note").await.is_empty());
    }

    async fn a_dispatcher_cannot_open_the_tokens_page_and_the_database_keeps_no_token(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        let queue = dana.sign_in("dana", PASSWORD).await;
        assert!(!queue.body.contains("/admin/tokens"), "no link for a dispatcher");
        assert_eq!(dana.get("/admin/tokens").await.status, StatusCode::FORBIDDEN);
        let made = dana.post("/admin/tokens", &[("name", "mine"), ("csrf", &queue.csrf())]).await;
        assert_eq!(made.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 0);

        let (ada, token) = ada_makes_a_token(&app, "dashboard").await;
        assert!(ada.get("/").await.body.contains("href=\"/admin/tokens\""));
        let csrf = ada.get("/admin/tokens").await.csrf();
        let again = ada.post("/admin/tokens", &[("name", "dashboard"), ("csrf", &csrf)]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again.body.contains("exists already"), "{}", again.body);

        let stored: Vec<(String, String)> =
            sqlx::query_as("SELECT name, token_sha256 FROM api_tokens")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
        let digest = hex::encode(Sha256::digest(token.as_bytes()));
        assert_eq!(stored, [("dashboard".to_string(), digest)]);
        assert!(!stored[0].1.contains(&token) && token.len() >= 43);
    }
}
