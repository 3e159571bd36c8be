//! The forms, whatever they do: every one a signed-in person can post is refused without their
//! session's token (the check lives in the extractor every form handler takes, so none can leave
//! it out), and every one sent with a mistake comes back as its page, filled in as it was sent,
//! the mistake beside the field.

use reqwest::StatusCode;

use crate::dispatch::neighbour_asks;
use crate::error_pages::has_navigation;
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, NEIGHBOUR, PASSWORD, Page, account, filed};

/// The page came back with the form on it (422, the site's own page) and `said` beside the field
/// with the id `field`: tied to it for screen readers, in the list at the top linking to it, and
/// where focus lands.
pub fn shown_again(page: &Page, field: &str, said: &str) {
    assert_eq!(
        page.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        page.body
    );
    assert!(has_navigation(page), "{}", page.body);
    let beside = page
        .body
        .split(&format!("<p id=\"{field}-error\" class=\"field-error\">"))
        .nth(1)
        .unwrap_or_else(|| panic!("no mistake beside {field}: {}", page.body));
    let beside = &beside[..beside.find("</p>").unwrap()];
    assert!(beside.contains(said), "beside {field}: {beside}");
    let tag = tag(page, field);
    assert!(tag.contains("aria-invalid=\"true\""), "{tag}");
    assert!(
        tag.contains(&format!("{field}-error\"")),
        "described by its mistake: {tag}"
    );
    assert!(tag.contains(" autofocus"), "focus lands on it: {tag}");
    let summary = page
        .body
        .split("class=\"error-summary\"")
        .nth(1)
        .expect("a summary");
    let summary = &summary[..summary.find("</div>").unwrap()];
    assert!(
        summary.contains(&format!("<a href=\"#{field}\">")),
        "{summary}"
    );
}

/// The opening tag of the field with the id `field`.
fn tag<'a>(page: &'a Page, field: &str) -> &'a str {
    let at = page
        .body
        .find(&format!(" id=\"{field}\""))
        .unwrap_or_else(|| panic!("no field {field}: {}", page.body));
    let start = page.body[..at].rfind('<').unwrap();
    let end = at + page.body[at..].find('>').unwrap();
    &page.body[start..=end]
}

/// What the field with the id `field` holds as the page shows it.
pub fn typed(page: &Page, field: &str) -> String {
    let tag = tag(page, field);
    if tag.starts_with("<textarea") {
        let after = &page.body[page.body.find(tag).unwrap() + tag.len()..];
        return after[..after.find("</textarea>").unwrap()].to_string();
    }
    match tag.split(" value=\"").nth(1) {
        Some(value) => value[..value.find('"').unwrap()].to_string(),
        None => String::new(),
    }
}

on_both_databases! {
    async fn an_admin_lured_into_posting_any_form_from_another_site_changes_nothing(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "ada", "admin").await;
        account(&app, "dana", "dispatcher").await;
        let code = filed(&app, "+15557690001", "groceries", "northside", 0).await;
        let ada = Browser::new(&app);
        ada.sign_in("ada", PASSWORD).await;
        let before = app.count("SELECT COUNT(*) FROM request_events").await;

        let forms = [
            format!("/requests/{code}/assign"),
            format!("/requests/{code}/reoffer"),
            format!("/requests/{code}/status"),
            format!("/requests/{code}/merge"),
            format!("/requests/{code}/cancel"),
            format!("/requests/{code}/text/neighbour"),
            format!("/requests/{code}/reveal"),
            format!("/requests/{code}/notes"),
            "/volunteers".into(),
            "/volunteers/1".into(),
            "/volunteers/1/remove".into(),
            "/admin/users".into(),
            "/admin/users/dana/disable".into(),
            "/admin/tokens".into(),
            "/admin/tokens/any/revoke".into(),
            "/account/password".into(),
            "/signout".into(),
        ];
        let filled = [
            ("status", "cancelled"), ("into", "A2"), ("message", "hi"), ("note", "hi"),
            ("volunteer", "1"), ("name", "Eve"), ("phone", "+15557690002"), ("username", "eve"),
            ("role", "admin"), ("password", "a long enough password"), ("current", PASSWORD),
        ];
        for path in &forms {
            for token in [None, Some("guessed")] {
                let mut form = filled.to_vec();
                form.extend(token.map(|t| ("csrf", t)));
                let page = ada.post(path, &form).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} with {token:?}");
            }
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM request_events").await, before);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);
        assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE disabled_at IS NOT NULL").await, 0);
        assert_eq!(ada.get("/").await.path, "/", "still signed in");
    }
}

on_both_databases! {
    async fn a_dispatcher_who_texts_the_neighbour_an_empty_message_sees_the_form_again_with_an_error_beside_it(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        let path = format!("/requests/{code}");
        let csrf = dana.get(&path).await.csrf();
        let texts = app.count("SELECT COUNT(*) FROM outbound_messages").await;

        let page = dana.post(&format!("{path}/text/neighbour"), &[("csrf", &csrf), ("message", "  ")]).await;
        shown_again(&page, "to-neighbour", "the message is empty; write something first");
        assert!(page.body.contains(&format!("<h1>Request {code}</h1>")), "the request's own page");

        let long = "We will call at five. ".repeat(50);
        let page = dana.post(&format!("{path}/text/neighbour"), &[("csrf", &csrf), ("message", &long)]).await;
        shown_again(&page, "to-neighbour", "a message can be at most 1000 characters");
        assert_eq!(typed(&page, "to-neighbour"), long, "not a word of it lost");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, texts, "nobody texted");
    }

    async fn a_note_or_a_duplicate_code_with_a_mistake_keeps_what_was_typed_beside_its_error(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        let path = format!("/requests/{code}");
        let csrf = dana.get(&path).await.csrf();

        let note = "x".repeat(2001);
        let page = dana.post(&format!("{path}/notes"), &[("csrf", &csrf), ("note", &note)]).await;
        shown_again(&page, "note", "a note can be at most");
        assert_eq!(typed(&page, "note"), note);

        for (into, why) in [("Z99", "no open request has the code Z99"), (code.as_str(), "cannot be a duplicate of itself")] {
            let page = dana.post(&format!("{path}/merge"), &[("csrf", &csrf), ("into", into)]).await;
            shown_again(&page, "into", why);
            assert_eq!(typed(&page, "into"), into);
        }
        let page = dana.post(&format!("{path}/status"), &[("csrf", &csrf), ("status", "failed"), ("reason", " ")]).await;
        shown_again(&page, "reason", "the reason is empty");
        assert!(page.body.contains("<option value=\"failed\" selected>"), "the status chosen is kept");
        assert_eq!(app.count("SELECT COUNT(*) FROM request_events WHERE actor = 'user:dana' AND kind <> 'viewed'").await, 0);
    }

    async fn adding_a_volunteer_with_a_number_that_is_not_a_phone_number_keeps_the_name_typed_and_says_what_is_wrong_with_the_number(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "ada", "admin").await;
        let ada = Browser::new(&app);
        ada.sign_in("ada", PASSWORD).await;
        let csrf = ada.get("/volunteers").await.csrf();

        let form = [
            ("csrf", csrf.as_str()), ("phone", "12345"), ("name", "Ana"), ("zones", "northside, uptown"),
            ("availability", "evenings"), ("max_open_jobs", "0"),
        ];
        let page = ada.post("/volunteers", &form).await;
        shown_again(&page, "v-phone", "phone: `12345` is not a phone number");
        for (field, kept) in [("v-phone", "12345"), ("v-name", "Ana"), ("v-zones", "northside, uptown"), ("v-availability", "evenings")] {
            assert_eq!(typed(&page, field), kept, "{field}");
        }
        // Every mistake is named at once, each beside its own field.
        let zones = tag(&page, "v-zones");
        assert!(zones.contains("aria-describedby=\"v-zones-hint v-zones-error\""), "{zones}");
        assert!(page.body.contains("<a href=\"#v-max-open-jobs\">max_open_jobs: `0` is not a whole number"), "{}", page.body);
        // A form with none of its fields is one with all of them empty.
        let page = ada.post("/volunteers", &[("csrf", &csrf)]).await;
        shown_again(&page, "v-phone", "phone: is empty");
        assert!(page.body.contains("<a href=\"#v-name\">name: is empty"), "{}", page.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers").await, 0);
    }

    async fn a_new_account_or_token_with_a_mistake_keeps_what_was_typed_but_never_a_password(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "ada", "admin").await;
        let ada = Browser::new(&app);
        ada.sign_in("ada", PASSWORD).await;
        let csrf = ada.get("/admin/users").await.csrf();

        let secret = "a long enough secret";
        let form = [("csrf", csrf.as_str()), ("username", "ada"), ("display_name", "Ada Two"), ("role", "admin"), ("password", secret)];
        let page = ada.post("/admin/users", &form).await;
        shown_again(&page, "username", "username `ada` is taken");
        assert_eq!((typed(&page, "username").as_str(), typed(&page, "display_name").as_str()), ("ada", "Ada Two"));
        assert!(page.body.contains("<option value=\"admin\" selected>"), "the role chosen is kept");
        assert!(!page.body.contains(secret), "the password is not sent back");

        let page = ada.post("/admin/tokens", &[("csrf", &csrf), ("name", "signal bot")]).await;
        shown_again(&page, "name", "name: use 1 to 64 lower-case letters");
        assert_eq!(typed(&page, "name"), "signal bot");
        assert_eq!(app.count("SELECT COUNT(*) FROM api_tokens").await, 0);

        let wrong = [("csrf", csrf.as_str()), ("current", secret), ("new", "another long password")];
        let page = ada.post("/account/password", &wrong).await;
        shown_again(&page, "current", "that is not your current password");
        assert!(!page.body.contains(secret) && !page.body.contains("another long password"));
        let short = [("csrf", csrf.as_str()), ("current", PASSWORD), ("new", "short")];
        shown_again(&ada.post("/account/password", &short).await, "new", "use at least 10 characters");
    }
}
