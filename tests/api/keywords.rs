//! STATUS, cancelling a request, asking for a person and RESTART, at any point of a conversation.

use aidline::store::requests;

use crate::helpers::*;
use crate::on_both_databases;

const WHOLE_INTAKE: [&str; 10] = [
    "hi", "1", "1", "rice", "skip", "skip", "skip", "skip", "skip", "Ana",
];

async fn replies(app: &TestApp, to: &str) -> Vec<String> {
    app.send_due().await;
    app.sent_to(to).await
}

async fn request_status(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT status FROM requests ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

on_both_databases! {
    async fn status_mid_conversation_answers_and_leaves_the_question_where_it_was(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658001";
        // At the "what should we bring" question, any text is a valid answer, and still STATUS
        // is read as the keyword: keywords win over answers.
        for text in ["hi", "1", "1", "status", "rice"] {
            app.text(neighbour, text).await;
        }
        let replies = replies(&app, neighbour).await;
        assert_eq!(replies[3], "You have no open request. Text us what you need.");
        assert!(replies[4].starts_with("How many people"), "{replies:#?}");
    }

    async fn a_neighbour_with_a_request_can_ask_its_status_and_cancel_it_with_two_words(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658002";
        for text in WHOLE_INTAKE.iter().chain(&["STATUS", "cancel request", "status"]) {
            app.text(neighbour, text).await;
        }
        let code = app.requests().await[0].code.clone();
        let replies = replies(&app, neighbour).await;
        assert_eq!(replies[10], format!("Your request {code} is waiting for a volunteer."));
        assert_eq!(replies[11], format!("Your request {code} is cancelled. Text us any time you need help."));
        assert_eq!(replies[12], "You have no open request. Text us what you need.");
        assert_eq!(request_status(&app).await, "cancelled");
        assert_eq!(app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'cancelled' AND actor = 'neighbour'").await, 1);
        // A bare CANCEL would have opted them out at the carrier; it never reaches this path.
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL").await, 0);
    }

    async fn asking_for_a_person_hands_the_conversation_over_with_its_answers(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658003";
        for text in ["hola", "2", "1", "persona"] {
            app.text(neighbour, text).await;
        }
        let replies = replies(&app, neighbour).await;
        assert_eq!(replies[3], "Una persona del grupo le escribirá pronto.");
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].queue, "handoff");
        assert_eq!(requests[0].fields["need"], "groceries");
        assert_eq!(requests[0].fields["handoff_reason"], "asked for a person");
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await, 0);
    }

    async fn texts_after_asking_for_a_person_join_the_hand_off_instead_of_starting_over(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658005";
        for text in ["hola", "2", "persona", "mi mamá está enferma y no tenemos comida", "por favor"] {
            app.text(neighbour, text).await;
        }
        let replies = replies(&app, neighbour).await;
        assert_eq!(replies.len(), 3, "no intake questions again: {replies:#?}");
        assert_eq!(replies[2], "Una persona del grupo le escribirá pronto.");
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].queue, "handoff");
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await, 0);
        assert_eq!(
            app.count("SELECT COUNT(*) FROM request_events WHERE kind = 'attached' AND actor = 'neighbour'").await,
            2,
            "each text is marked on the hand-off for the person who picks it up"
        );
        assert_eq!(
            app.count("SELECT COUNT(*) FROM inbound_messages WHERE outcome = 'joined_handoff'").await,
            2
        );
    }

    async fn thanks_after_a_delivery_gets_a_short_reply_in_their_language_not_a_new_intake(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658006";
        for text in ["hola", "2", "1", "arroz", "saltar", "saltar", "saltar", "saltar", "saltar", "Rosa"] {
            app.text(neighbour, text).await;
        }
        let code = app.requests().await[0].code.clone();
        let mut conn = app.db.acquire().await.unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM requests WHERE code = $1")
            .bind(&code)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let now = app.clock.now_ms();
        requests::cancel(&mut conn, id, "test", now).await.unwrap();
        drop(conn);
        app.text(neighbour, "¡Muchas gracias!").await;
        app.text(neighbour, "thank you").await;
        let replies = replies(&app, neighbour).await;
        assert_eq!(&replies[10..], ["¡De nada! Escríbanos cuando necesite ayuda."; 2]);
        assert_eq!(app.requests().await.len(), 1, "no new request");
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL").await, 0);
    }

    async fn thanks_in_the_middle_of_a_conversation_is_an_answer_like_any_other(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658007";
        for text in ["hi", "1", "1", "thanks"] {
            app.text(neighbour, text).await;
        }
        let replies = replies(&app, neighbour).await;
        assert!(replies[3].starts_with("How many people"), "{replies:#?}");
    }

    async fn restart_begins_the_conversation_again(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658004";
        for text in ["hi", "1", "restart", "1"] {
            app.text(neighbour, text).await;
        }
        let replies = replies(&app, neighbour).await;
        assert!(replies[2].contains("Reply 1 for English"), "{replies:#?}");
        assert!(replies[3].starts_with("What do you need?"));
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE end_reason = 'restarted'").await, 1);
    }

    async fn volunteer_starts_the_sign_up_flow_when_no_conversation_is_going_on(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557658005";
        for text in ["Volunteer", "Sam", "02118", "3", "yes", "evenings"] {
            app.text(neighbour, text).await;
        }
        let replies = replies(&app, neighbour).await;
        assert!(replies[0].starts_with("Thanks for helping!"), "{replies:#?}");
        assert_eq!(replies[5], "Thank you, Sam! An organiser will confirm soon. Text STOP any time to stop.");
        let requests = app.requests().await;
        assert_eq!(requests[0].queue, "volunteers");
        assert_eq!(requests[0].fields["zone"], "southside");
        assert_eq!(requests[0].fields["speaks"], "en,es");
        assert_eq!(requests[0].fields["car"], "yes");
    }
}
