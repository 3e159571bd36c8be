//! Every error a person meets in the pages is a page: what went wrong in words, the sentence
//! that says why, the navigation, and a way back. Programs keep their plain answers. (A request
//! someone else changed first is in `request_actions`.)

use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, Page, account};

/// A page, not a line of text, headed by the status in words.
pub fn is_error_page(page: &Page, heading: &str) -> bool {
    page.body.starts_with("<!doctype html>") && page.body.contains(&format!("<h1>{heading}</h1>"))
}

/// The site's navigation, as every page shows it to someone signed in.
pub fn has_navigation(page: &Page) -> bool {
    page.body.contains("<nav aria-label=\"Pages\">") && page.body.contains(">Sign out</button>")
}

pub const BACK_TO_THE_QUEUE: &str = "<a href=\"/\">Back to the queue</a>";

on_both_databases! {
    async fn a_dispatcher_opening_a_request_that_does_not_exist_gets_a_not_found_page(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;

        let page = dana.get("/requests/ZZ9").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(is_error_page(&page, "Not found"), "{}", page.body);
        assert!(page.body.contains("no request has the code ZZ9"), "{}", page.body);
        assert!(has_navigation(&page), "{}", page.body);
        assert!(page.body.contains(BACK_TO_THE_QUEUE), "{}", page.body);
        assert!(!page.body.contains("href=\"/requests/ZZ9\""), "no way back to what is not there");

        let mistyped = dana.get("/volunteerz").await;
        assert_eq!(mistyped.status, StatusCode::NOT_FOUND);
        assert!(is_error_page(&mistyped, "Not found"), "{}", mistyped.body);
        assert!(has_navigation(&mistyped) && mistyped.body.contains(BACK_TO_THE_QUEUE));
    }

    async fn someone_not_signed_in_is_pointed_to_the_sign_in_page(db) {
        let app = TestApp::spawn(db).await;
        let visitor = Browser::new(&app);
        let page = visitor.get("/no-such-page").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(is_error_page(&page, "Not found"), "{}", page.body);
        assert!(!page.body.contains("<nav aria-label=\"Pages\">"), "no navigation for a visitor");
        assert!(page.body.contains("<a href=\"/signin\">Go to the sign-in page</a>"), "{}", page.body);
    }

    async fn a_dispatcher_posting_an_admin_form_gets_a_not_allowed_page(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        let csrf = dana.sign_in("dana", PASSWORD).await.csrf();

        let new = [("csrf", csrf.as_str()), ("username", "eve"), ("display_name", "Eve"),
                   ("role", "admin"), ("password", PASSWORD)];
        let page = dana.post("/admin/users", &new).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(is_error_page(&page, "Not allowed"), "{}", page.body);
        assert!(page.body.contains("this page is for admins"), "{}", page.body);
        assert!(has_navigation(&page), "{}", page.body);
        assert!(!page.body.contains("href=\"/admin/users\""), "the admin pages stay out of her navigation");
        assert!(page.body.contains(BACK_TO_THE_QUEUE), "{}", page.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    }

    async fn a_webhook_error_stays_plain_text_even_for_a_client_that_asks_for_html(db) {
        let app = TestApp::spawn(db).await;
        let mut params = app.inbound_params("+15557663001", "hi", &app.new_sid());
        params.retain(|(k, _)| k != "From");
        let url = app.url("/webhooks/twilio/sms");
        let signature = aidline::gateway::twilio::signature(TOKEN, &url, &params);
        let response = app.http.post(&url)
            .header("X-Twilio-Signature", signature)
            .header("Accept", "text/html")
            .form(&params)
            .send().await.unwrap();
        assert_eq!(response.status(), 400);
        let content_type = response.headers()["content-type"].to_str().unwrap().to_string();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let body = response.text().await.unwrap();
        assert!(body.contains("`From`") && body.ends_with('\n') && !body.contains('<'), "{body}");
    }
}
