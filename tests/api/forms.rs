//! Every form a signed-in person can post is refused without their session's token, whatever it
//! does: the check lives in the extractor every form handler takes, so none can leave it out.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account, filed};

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
