//! Accounts managed from the pages: an admin adds, disables and enables them; everyone changes
//! their own password; sign-ins are limited per username and address together, and per address.

use std::time::Duration;

use reqwest::StatusCode;

use crate::forms::shown_again;
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

const NEW_PASSWORD: &str = "another long password";

/// An admin `ada`, signed in, and the CSRF token of her accounts page.
async fn ada(app: &TestApp) -> (Browser, String) {
    account(app, "ada", "admin").await;
    let ada = Browser::new(app);
    ada.sign_in("ada", PASSWORD).await;
    let csrf = ada.get("/admin/users").await.csrf();
    (ada, csrf)
}

async fn sessions_of(app: &TestApp, username: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM web_sessions s JOIN users u ON u.id = s.user_id WHERE u.username = $1",
    )
    .bind(username)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

on_both_databases! {
    async fn an_admin_adds_a_dispatcher_who_can_then_sign_in(db) {
        let app = TestApp::spawn(db).await;
        let (ada, csrf) = ada(&app).await;
        let form = |username: &'static str, password: &'static str| {
            vec![("csrf", csrf.clone()), ("username", username.to_string()),
                 ("display_name", "Dana D".to_string()), ("role", "dispatcher".to_string()),
                 ("password", password.to_string())]
        };
        let post = |form: Vec<(&'static str, String)>| {
            let ada = &ada;
            async move {
                let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
                ada.post("/admin/users", &form).await
            }
        };

        let short = post(form("dana", "too short")).await;
        shown_again(&short, "password", "password: use at least 10 characters");
        let bad_name = post(form("Dana Smith", PASSWORD)).await;
        shown_again(&bad_name, "username", "username: use 1 to 64 lower-case letters");
        let mut forged = form("dana", PASSWORD);
        forged.remove(0);
        assert_eq!(post(forged).await.status, StatusCode::FORBIDDEN);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);

        let page = post(form("dana", PASSWORD)).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/admin/users"));
        assert!(page.body.contains("Dana D") && page.body.contains("Disable dana"), "{}", page.body);
        let taken = post(form("dana", PASSWORD)).await;
        shown_again(&taken, "username", "username `dana` is taken");

        let dana = Browser::new(&app);
        let queue = dana.sign_in("dana", PASSWORD).await;
        assert_eq!(queue.path, "/");
        assert!(queue.body.contains("Signed in as <strong>Dana D</strong>"));
    }

    async fn a_disabled_account_is_signed_out_at_once_and_signs_in_again_only_once_enabled(db) {
        let app = TestApp::spawn(db).await;
        let (ada, csrf) = ada(&app).await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        assert_eq!(sessions_of(&app, "dana").await, 1);

        let page = ada.post("/admin/users/dana/disable", &[("csrf", &csrf)]).await;
        assert_eq!((page.status, page.path.as_str()), (StatusCode::OK, "/admin/users"));
        assert!(page.body.contains("Enable dana"), "{}", page.body);
        assert_eq!(dana.get("/").await.path, "/signin", "signed out at once");
        assert_eq!(sessions_of(&app, "dana").await, 0);
        let refused = dana.sign_in("dana", PASSWORD).await;
        assert_eq!(refused.path, "/signin");
        assert!(refused.body.contains("do not match an account"));
        assert!(refused.body.contains("<p id=\"password-error\" class=\"field-error\">"), "beside the password");
        assert!(refused.body.contains("value=\"dana\""), "the username is kept");

        ada.post("/admin/users/dana/enable", &[("csrf", &csrf)]).await;
        assert_eq!(dana.sign_in("dana", PASSWORD).await.path, "/");

        let unknown = ada.post("/admin/users/nobody/disable", &[("csrf", &csrf)]).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let forged = ada.post("/admin/users/dana/disable", &[("csrf", "guessed")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert_eq!(dana.get("/").await.path, "/", "a forged form disables no one");
    }

    async fn an_admin_cannot_disable_themself(db) {
        let app = TestApp::spawn(db).await;
        let (ada, csrf) = ada(&app).await;
        let page = ada.post("/admin/users/ada/disable", &[("csrf", &csrf)]).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.body.contains("you cannot disable your own account"));
        assert_eq!(ada.get("/admin/users").await.status, StatusCode::OK);
    }

    async fn a_new_password_needs_the_current_one_and_signs_out_the_other_browsers(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let (laptop, phone) = (Browser::new(&app), Browser::new(&app));
        laptop.sign_in("dana", PASSWORD).await;
        phone.sign_in("dana", PASSWORD).await;
        let csrf = laptop.get("/account/password").await.csrf();

        let wrong = [("csrf", csrf.as_str()), ("current", "not my password"), ("new", NEW_PASSWORD)];
        let page = laptop.post("/account/password", &wrong).await;
        shown_again(&page, "current", "current password: that is not your current password");
        let short = [("csrf", csrf.as_str()), ("current", PASSWORD), ("new", "short")];
        shown_again(&laptop.post("/account/password", &short).await, "new", "at least 10 characters");
        assert_eq!(phone.get("/").await.path, "/", "nothing changed yet");

        let right = [("csrf", csrf.as_str()), ("current", PASSWORD), ("new", NEW_PASSWORD)];
        let page = laptop.post("/account/password", &right).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Your password is changed"), "{}", page.body);
        assert_eq!(phone.get("/").await.path, "/signin", "the other browser is signed out");
        assert_eq!(laptop.get("/").await.path, "/", "this one stays");

        let other = Browser::new(&app);
        assert_eq!(other.sign_in("dana", PASSWORD).await.path, "/signin");
        assert_eq!(other.sign_in("dana", NEW_PASSWORD).await.path, "/");
    }

    async fn twenty_failures_from_one_address_lock_it_whatever_the_usernames(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "ada", "admin").await;
        let guesser = Browser::new(&app);
        for i in 0..20 {
            // Four names, five tries each: no one username reaches its own limit.
            let page = guesser.sign_in(&format!("guess{}", i % 4), "not the password").await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        }
        let page = Browser::new(&app).sign_in("ada", PASSWORD).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(page.body.contains("too many failed sign-ins from this address"), "{}", page.body);

        app.clock.advance(Duration::from_secs(15 * 60 + 1));
        assert_eq!(Browser::new(&app).sign_in("ada", PASSWORD).await.path, "/");
    }

    async fn a_stranger_failing_to_sign_in_as_rosa_does_not_keep_rosa_out(db) {
        let app = TestApp::spawn_with(db, Options {
            behind_proxy: true,
            ..Options::default()
        }).await;
        account(&app, "rosa", "dispatcher").await;
        let stranger = Browser::behind_proxy(&app, "203.0.113.9");
        for _ in 0..5 {
            let page = stranger.sign_in("rosa", "not the password").await;
            assert!(page.body.contains("do not match an account"), "{}", page.body);
        }
        let page = stranger.sign_in("rosa", PASSWORD).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "refused unchecked from there");
        assert!(page.body.contains("for this username from this address"), "{}", page.body);

        let rosa = Browser::behind_proxy(&app, "198.51.100.20");
        assert_eq!(rosa.sign_in("rosa", PASSWORD).await.path, "/", "rosa gets in from elsewhere");
        let again = stranger.sign_in("rosa", PASSWORD).await;
        assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS, "her sign-in lifts nothing for them");

        app.clock.advance(Duration::from_secs(15 * 60 + 1));
        let page = stranger.sign_in("rosa", "not the password").await;
        assert_eq!(page.status, StatusCode::OK, "the window passed");
    }

    async fn behind_a_proxy_twenty_failures_lock_the_guessers_address_and_not_everyone_elses(db) {
        let app = TestApp::spawn_with(db, Options {
            behind_proxy: true,
            ..Options::default()
        }).await;
        account(&app, "ada", "admin").await;
        // Every connection comes from the proxy on this machine; the proxy names the client.
        let guesser = Browser::behind_proxy(&app, "203.0.113.9");
        for i in 0..20 {
            guesser.sign_in(&format!("guess{}", i % 4), "not the password").await;
        }
        let page = Browser::behind_proxy(&app, "203.0.113.9").sign_in("ada", PASSWORD).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        // A client writing its own header is still counted by the address the proxy added.
        let spoofing = Browser::behind_proxy(&app, "198.51.100.1, 203.0.113.9");
        assert_eq!(spoofing.sign_in("ada", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(Browser::behind_proxy(&app, "198.51.100.20").sign_in("ada", PASSWORD).await.path, "/");

        // What the proxy relays did not come from this machine, though the proxy is on it.
        let relayed = reqwest::Client::new()
            .get(app.url("/metrics"))
            .header("x-forwarded-for", "203.0.113.9")
            .send()
            .await
            .unwrap();
        assert_eq!(relayed.status(), StatusCode::FORBIDDEN);
    }

    async fn a_dispatcher_is_refused_the_admin_forms_but_changes_their_own_password(db) {
        let app = TestApp::spawn(db).await;
        account(&app, "ada", "admin").await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        let csrf = dana.sign_in("dana", PASSWORD).await.csrf();

        let new = [("csrf", csrf.as_str()), ("username", "eve"), ("display_name", "Eve"),
                   ("role", "admin"), ("password", PASSWORD)];
        assert_eq!(dana.post("/admin/users", &new).await.status, StatusCode::FORBIDDEN);
        for action in ["/admin/users/ada/disable", "/admin/users/ada/enable"] {
            assert_eq!(dana.post(action, &[("csrf", &csrf)]).await.status, StatusCode::FORBIDDEN);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE disabled_at IS NOT NULL").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 2);

        let page = dana.get("/account/password").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("<label for=\"current\">Current password</label>"));
    }
}
