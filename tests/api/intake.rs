//! A neighbour texting the line and being taken in.

use crate::helpers::*;
use crate::on_both_databases;

on_both_databases! {
    async fn a_neighbour_who_texts_walks_the_intake_and_their_request_lands_on_its_queue(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557654321";
        for text in ["hello", "1", "2", "Amoxicillin at Main St Pharmacy, under Rosa", "5th and Elm", "after 3pm", "Rosa"] {
            app.text(neighbour, text).await;
        }
        app.send_due().await;

        let replies = app.sent_to(neighbour).await;
        assert_eq!(replies.len(), 7, "{replies:#?}");
        assert!(replies[0].contains("Reply 1 for English"));
        assert!(replies[1].starts_with("What do you need?"));
        assert!(replies[2].starts_with("Which pharmacy"));
        assert_eq!(replies[6], "Thank you, Rosa. A neighbour will text you soon. Reply STOP to stop texts.");
        assert!(app.sent().await.iter().all(|s| s.from == LINE));

        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.queue, "prescription");
        assert_eq!(request.status, "new");
        assert_eq!(request.phone, neighbour);
        assert_eq!(request.fields["cross_streets"], "5th and Elm");
        assert_eq!(request.fields["when"], "after 3pm");
        assert_eq!(request.fields["name_to_use"], "Rosa");
        assert!(request.code.len() >= 2);
    }

    async fn a_neighbour_who_chooses_spanish_is_answered_in_spanish_from_then_on(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557654322";
        for text in ["hola", "Español", "comida"] {
            app.text(neighbour, text).await;
        }
        app.send_due().await;
        let replies = app.sent_to(neighbour).await;
        assert_eq!(replies[1], "Que necesita? Responda 1 comida, 2 recoger medicinas, 3 otra entrega.");
        assert_eq!(replies[2], "Que le llevamos? Una lista corta esta bien.");
    }

    async fn an_answer_that_fits_no_choice_is_asked_again_and_then_handed_to_a_person(db) {
        let app = TestApp::spawn(db).await;
        let neighbour = "+15557654323";
        for text in ["hi", "1", "pizza", "tacos", "soup"] {
            app.text(neighbour, text).await;
        }
        app.send_due().await;
        let replies = app.sent_to(neighbour).await;
        assert_eq!(replies[2], "Please reply 1, 2 or 3.");
        assert_eq!(replies[3], "Please reply 1, 2 or 3.");
        assert!(replies[4].contains("A person from the group will text you back"), "{replies:#?}");
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].queue, "handoff");
        assert_eq!(requests[0].fields["lang"], "en");
    }

    async fn the_console_line_answers_with_its_replies_in_the_response(db) {
        let app = TestApp::spawn(db).await;
        let reply = app
            .http
            .post(app.url("/webhooks/console/sms"))
            .form(&[("from", "555-867-5309"), ("body", "hi")])
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        assert!(reply.text().await.unwrap().contains("Reply 1 for English"));
        // The console line never goes near Twilio.
        app.send_due().await;
        assert!(app.sent().await.is_empty());
    }
}
