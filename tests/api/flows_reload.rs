//! Changing flow files while people are mid-conversation.

use std::path::Path;

use reqwest::StatusCode;

use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

const ECHO: &str = r#"
[flow]
id = "echo"
start = "first"
languages = ["en"]

[states.first]
say.en = "Say anything."
expect = "text"
save = "said"
next = "again"

[states.again]
say.en = "Got {said}."
expect = "text"
save = "said"
branches = [{ when = { said = "bye" }, next = "bye" }]
next = "again"

[states.bye]
say.en = "Bye."
end = true
"#;

const RELOAD_SECRET: &str = "the reload secret of this service";

/// A service whose flows are the files in `flows_dir`, and which takes [`RELOAD_SECRET`].
fn echo_service(flows_dir: String) -> Options {
    Options {
        flows_dir,
        flow: "echo",
        top_settings: format!("reload_secret = \"{RELOAD_SECRET}\""),
        ..Options::default()
    }
}

/// Reloads the flows as a program with the reload secret does.
async fn reload(app: &TestApp) -> (u16, String) {
    reload_with(app, Some(RELOAD_SECRET)).await
}

async fn reload_with(app: &TestApp, secret: Option<&str>) -> (u16, String) {
    let mut request = app.http.post(app.url("/admin/flows/reload"));
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn last_reply(app: &TestApp, to: &str) -> String {
    app.send_due().await;
    app.sent_to(to).await.pop().unwrap()
}

fn write(dir: &Path, text: &str) {
    std::fs::write(dir.join("echo.toml"), text).unwrap();
}

on_both_databases! {
    async fn a_flow_edited_mid_conversation_takes_effect_at_the_next_text_and_a_broken_edit_never_goes_live(db) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ECHO);
        let flows_dir = dir.path().display().to_string();
        let app = TestApp::spawn_with(db, echo_service(flows_dir)).await;
        let neighbour = "+15557657001";
        app.text(neighbour, "hi").await;
        app.text(neighbour, "one").await;
        assert_eq!(last_reply(&app, neighbour).await, "Got one.");

        // The same state, new words: the conversation carries on where it was.
        write(dir.path(), &ECHO.replace("Got {said}.", "Heard {said}."));
        assert_eq!(reload(&app).await, (200, "reloaded: echo\n".to_string()));
        app.text(neighbour, "two").await;
        assert_eq!(last_reply(&app, neighbour).await, "Heard two.");

        // A mistake is refused with its position, and the running flow stays.
        write(dir.path(), &ECHO.replace("next = \"again\"\n\n[states.bye]", "next = \"agian\"\n\n[states.bye]"));
        let (status, body) = reload(&app).await;
        assert_eq!(status, 422);
        assert!(body.contains("echo.toml:18:8: `next` points to `agian`, which is not a state in this flow"), "{body}");
        app.text(neighbour, "three").await;
        assert_eq!(last_reply(&app, neighbour).await, "Heard three.");

        // The state they were in is gone: they start the flow again rather than being stranded.
        write(dir.path(), &ECHO.replace("[states.again]", "[states.repeat]").replace("\"again\"", "\"repeat\""));
        assert_eq!(reload(&app).await.0, 200);
        app.text(neighbour, "four").await;
        assert_eq!(last_reply(&app, neighbour).await, "Say anything.");
    }

    async fn a_reload_that_drops_a_line_s_flow_is_refused(db) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ECHO);
        let flows_dir = dir.path().display().to_string();
        let app = TestApp::spawn_with(db, echo_service(flows_dir)).await;
        write(dir.path(), &ECHO.replace("id = \"echo\"", "id = \"parrot\""));
        let (status, body) = reload(&app).await;
        assert_eq!(status, 422);
        assert!(body.contains("a line starts in the flow `echo`, but no file defines it (loaded: parrot)"), "{body}");
    }

    async fn only_the_reload_secret_or_an_admins_form_reloads_the_flows_even_from_this_machine(db) {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), ECHO);
        let app = TestApp::spawn_with(db, echo_service(dir.path().display().to_string())).await;
        // Every request here comes from this machine, as a relay on it would.
        assert_eq!(reload_with(&app, None).await.0, 403);
        let (status, body) = reload_with(&app, Some("a guessed secret of some length")).await;
        assert_eq!(status, 403);
        assert!(body.contains("the reload secret as a bearer token, or an admin's form"), "{body}");
        assert_eq!(reload_with(&app, Some(RELOAD_SECRET)).await.0, 200);

        account(&app, "ada", "admin").await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        let csrf = dana.sign_in("dana", PASSWORD).await.csrf();
        let page = dana.post("/admin/flows/reload", &[("csrf", &csrf)]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "a dispatcher may not");
        let ada = Browser::new(&app);
        let csrf = ada.sign_in("ada", PASSWORD).await.csrf();
        let forged = ada.post("/admin/flows/reload", &[("csrf", "guessed")]).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "a form from another site may not");
        let page = ada.post("/admin/flows/reload", &[("csrf", &csrf)]).await;
        assert_eq!((page.status, page.body.as_str()), (StatusCode::OK, "reloaded: echo\n"));
    }
}
