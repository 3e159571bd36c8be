//! Changing flow files while people are mid-conversation.

use std::path::Path;

use crate::helpers::*;
use crate::on_both_databases;

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

async fn reload(app: &TestApp) -> (u16, String) {
    let response = app
        .http
        .post(app.url("/admin/flows/reload"))
        .send()
        .await
        .unwrap();
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
        let app = TestApp::spawn_with(db, Options { flows_dir, flow: "echo", ..Options::default() }).await;
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
        let app = TestApp::spawn_with(db, Options { flows_dir, flow: "echo", ..Options::default() }).await;
        write(dir.path(), &ECHO.replace("id = \"echo\"", "id = \"parrot\""));
        let (status, body) = reload(&app).await;
        assert_eq!(status, 422);
        assert!(body.contains("a line starts in the flow `echo`, but no file defines it (loaded: parrot)"), "{body}");
    }
}
