//! Forgetting by text: a person texts DELETE, confirms with DELETE ME, and is forgotten; the
//! last text to them goes too, once sent. Over real signed webhooks.

use std::time::Duration;

use serde_json::json;

use crate::dispatch::{inbox, volunteer};
use crate::erasure::{
    ANA, NEIGHBOUR, NUMBER_DIGITS, WORD, ana_holds_the_kohlrabi_request, everything_stored, holds,
};
use crate::helpers::*;
use crate::on_both_databases;

const ASK: &str = "Reply DELETE ME within 15 minutes to erase everything we hold about this \
                   number. This cannot be undone.";
const STRANGER: &str = "+15557714444";

async fn farewells_waiting(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM outbound_messages WHERE kind = 'farewell'")
        .await
}

async fn contacts_for(app: &TestApp, phone: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM contacts WHERE phone = $1")
        .bind(phone)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn a_neighbour_who_texts_delete_and_confirms_is_forgotten_and_the_last_text_to_them_is_gone_once_sent(db) {
        let app = TestApp::spawn(db).await;
        let code = ana_holds_the_kohlrabi_request(&app).await;

        app.text(NEIGHBOUR, "DELETE").await;
        assert_eq!(inbox(&app, NEIGHBOUR).await.last().unwrap(), ASK);
        assert!(!inbox(&app, ANA).await.iter().any(|t| t.contains("DELETE")), "not relayed");

        app.text(NEIGHBOUR, "delete me").await;
        assert_eq!(contacts_for(&app, NEIGHBOUR).await, 0, "forgotten before the last text goes");
        assert_eq!(farewells_waiting(&app).await, 1);

        let told = inbox(&app, NEIGHBOUR).await;
        assert!(told.last().unwrap().starts_with("Done: everything we held"), "{told:?}");
        let ana = inbox(&app, ANA).await;
        let last = ana.last().unwrap();
        assert!(last.contains(&code) && last.contains("cancelled"), "{ana:?}");

        assert_eq!(farewells_waiting(&app).await, 0, "the last text went once sent");
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE phone LIKE 'forgotten:%'").await, 0);
        let stored = everything_stored(&app).await;
        assert!(!holds(&stored, NUMBER_DIGITS), "the number is still in the database");
        assert!(!holds(&stored, WORD), "the neighbour's words are still in the database");
        assert!(!holds(&stored, "Rosalind"), "the neighbour's name is still in the database");
        assert!(!holds(&stored, "everything we held"), "the last text is still in the database");
        let recorded: (String, String) = sqlx::query_as("SELECT actor, reason FROM erasures")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(recorded, ("neighbour".to_string(), "asked_by_text".to_string()));
    }

    async fn a_spanish_speaker_is_forgotten_with_borrar_and_borrar_todo(db) {
        let app = TestApp::spawn(db).await;
        for text in ["hola", "2", "comida"] {
            app.text(NEIGHBOUR, text).await;
        }

        app.text(NEIGHBOUR, "BORRAR").await;
        let asked = inbox(&app, NEIGHBOUR).await;
        assert!(asked.last().unwrap().starts_with("Responda BORRAR TODO"), "{asked:?}");
        app.text(NEIGHBOUR, "Borrar todo").await;

        let told = inbox(&app, NEIGHBOUR).await;
        assert!(told.last().unwrap().starts_with("Listo: borramos todo"), "{told:?}");
        assert_eq!(contacts_for(&app, NEIGHBOUR).await, 0);
        assert_eq!(farewells_waiting(&app).await, 0);
        assert!(!holds(&everything_stored(&app).await, NUMBER_DIGITS));
    }

    async fn a_neighbour_in_a_conversation_is_asked_to_confirm_and_a_reply_other_than_the_confirmation_lets_the_ask_go(db) {
        let app = TestApp::spawn(db).await;
        const OTHER: &str = "+15557714445";
        for text in ["hi", "1"] {
            app.text(NEIGHBOUR, text).await;
            app.text(OTHER, text).await;
        }

        app.text(NEIGHBOUR, "DELETE").await;
        assert_eq!(inbox(&app, NEIGHBOUR).await.last().unwrap(), ASK);
        // The answer after the ask is taken where the conversation was, as for anyone else.
        app.text(NEIGHBOUR, "1").await;
        app.text(OTHER, "1").await;
        let (mine, theirs) = (inbox(&app, NEIGHBOUR).await, inbox(&app, OTHER).await);
        assert_eq!(mine.last(), theirs.last());

        // The ask was let go: confirming now only asks again.
        app.text(NEIGHBOUR, "DELETE ME").await;
        assert_eq!(inbox(&app, NEIGHBOUR).await.last().unwrap(), ASK);
        assert_eq!(contacts_for(&app, NEIGHBOUR).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM erasures").await, 0);
    }

    async fn a_delete_not_confirmed_in_time_forgets_nothing(db) {
        let app = TestApp::spawn(db).await;
        app.text(NEIGHBOUR, "hi").await;
        app.text(NEIGHBOUR, "DELETE").await;

        app.clock.advance(Duration::from_secs(16 * 60));
        app.text(NEIGHBOUR, "DELETE ME").await;

        let told = inbox(&app, NEIGHBOUR).await;
        assert_eq!(told.iter().filter(|t| *t == ASK).count(), 2, "{told:?}");
        assert_eq!(contacts_for(&app, NEIGHBOUR).await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM erasures").await, 0);
    }

    async fn a_stranger_who_texts_delete_is_told_nothing_is_held_and_leaves_nothing_behind(db) {
        let app = TestApp::spawn(db).await;
        app.text(STRANGER, "DELETE").await;
        assert_eq!(inbox(&app, STRANGER).await, ["We hold nothing about this number."]);
        app.text(STRANGER, "DELETE ME").await;
        assert_eq!(inbox(&app, STRANGER).await.len(), 2);

        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 0);
        assert!(!holds(&everything_stored(&app).await, "5557714444"));
    }

    async fn the_last_text_to_someone_forgotten_goes_too_when_it_fails_for_good(db) {
        let app = TestApp::spawn(db).await;
        app.text(STRANGER, "DELETE").await;
        let refusal = json!({"code": 21211, "message": "The 'To' number is not valid."});
        app.refuse_next_send(MESSAGES_PATH, 400, None, refusal).await;

        assert_eq!(app.send_due().await, 1);
        assert_eq!(app.send_due().await, 0, "refused for good: not tried again");
        assert_eq!(app.count("SELECT COUNT(*) FROM outbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }

    async fn a_volunteer_who_texts_delete_and_confirms_leaves_the_roster(db) {
        let app = TestApp::spawn(db).await;
        volunteer(&app, ANA, "Ana", &["northside"]).await;

        app.text(ANA, "DELETE").await;
        assert_eq!(inbox(&app, ANA).await.last().unwrap(), ASK);
        app.text(ANA, "DELETE ME").await;
        inbox(&app, ANA).await;

        assert_eq!(app.count("SELECT COUNT(*) FROM volunteers").await, 0);
        assert_eq!(contacts_for(&app, ANA).await, 0);
        let actor: String = sqlx::query_scalar("SELECT actor FROM erasures")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        assert_eq!(actor, "volunteer");
    }
}
