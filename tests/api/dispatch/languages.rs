//! Offers go to volunteers who can talk with the neighbour, in the neighbour's language.

use crate::dispatch::{
    ASKING_FOR_GROCERIES, DISPATCHER, inbox, spawn, status_of, volunteer, volunteer_speaking,
};
use crate::helpers::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

const NEIGHBOUR: &str = "+15557659001";
const ANA: &str = "+15557659101";
const LUCIA: &str = "+15557659102";
const SAM: &str = "+15557659103";

/// A neighbour asks for groceries in Northside in Spanish.
const PIDIENDO_COMIDA: [&str; 10] = [
    "hola",
    "2",
    "comida",
    "arroz",
    "2",
    "northside",
    "la esquina",
    "hoy",
    "nada",
    "Rosa",
];

async fn asks(app: &TestApp, texts: &[&str]) -> String {
    for text in texts {
        app.text(NEIGHBOUR, text).await;
    }
    sqlx::query_scalar("SELECT code FROM requests ORDER BY id DESC LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn language_of(app: &TestApp, phone: &str) -> Option<String> {
    sqlx::query_scalar("SELECT language FROM contacts WHERE phone = $1")
        .bind(phone)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// Whether an offer of `code` is among `texts`, in English or Spanish.
fn offered(texts: &[String], code: &str) -> bool {
    let (yes, si) = (format!("YES {code}"), format!("SI {code}"));
    texts.iter().any(|t| t.contains(&yes) || t.contains(&si))
}

on_both_databases! {
    async fn a_neighbour_who_picks_english_is_offered_only_to_volunteers_who_speak_it(db) {
        let app = spawn(db).await;
        volunteer_speaking(&app, LUCIA, "Lucía", &[], &["es"]).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        volunteer_speaking(&app, SAM, "Sam", &[], &[]).await;

        let code = asks(&app, &ASKING_FOR_GROCERIES).await;

        assert_eq!(language_of(&app, NEIGHBOUR).await.as_deref(), Some("en"));
        assert!(offered(&inbox(&app, ANA).await, &code));
        assert!(offered(&inbox(&app, SAM).await, &code), "no languages listed: the main one");
        assert!(!offered(&inbox(&app, LUCIA).await, &code), "Lucía speaks only Spanish");
    }

    async fn a_spanish_speakers_request_goes_only_to_volunteers_who_speak_spanish(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        volunteer_speaking(&app, SAM, "Sam", &[], &[]).await;
        volunteer_speaking(&app, LUCIA, "Lucía", &["northside"], &["es"]).await;

        let code = asks(&app, &PIDIENDO_COMIDA).await;

        assert_eq!(language_of(&app, NEIGHBOUR).await.as_deref(), Some("es"));
        let offer = inbox(&app, LUCIA).await;
        assert!(offered(&offer, &code));
        assert_eq!(
            offer.last().unwrap(),
            &format!("Comida para 2 en northside, hoy. Responda SI {code} para tomarlo."),
            "in her language, the need named in it"
        );
        assert!(!offered(&inbox(&app, ANA).await, &code));
        assert!(!offered(&inbox(&app, SAM).await, &code));
        assert!(inbox(&app, DISPATCHER).await.is_empty(), "someone could take it");
    }

    async fn a_neighbour_who_skips_the_language_question_is_taken_to_speak_the_flows_default(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let mut texts = vec!["hi", "SKIP"];
        texts.extend_from_slice(&ASKING_FOR_GROCERIES[2..]);

        let code = asks(&app, &texts).await;

        assert_eq!(language_of(&app, NEIGHBOUR).await.as_deref(), Some("en"));
        assert!(offered(&inbox(&app, ANA).await, &code));
    }

    async fn when_nobody_free_speaks_the_neighbours_language_the_dispatchers_are_told_at_once(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        volunteer_speaking(&app, SAM, "Sam", &[], &[]).await;

        let code = asks(&app, &PIDIENDO_COMIDA).await;

        assert!(!offered(&inbox(&app, ANA).await, &code), "no guessing");
        assert!(!offered(&inbox(&app, SAM).await, &code), "no guessing");
        let alerts = inbox(&app, DISPATCHER).await;
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert!(alerts[0].contains(&code) && alerts[0].contains("speaks es"), "{alerts:?}");
        assert_eq!(status_of(&app, &code).await, "new", "still waiting for a volunteer");

        account(&app, "dana", "dispatcher").await;
        let page = Browser::new(&app).sign_in("dana", PASSWORD).await;
        assert_eq!(page.codes_under("person"), [code.as_str()], "it waits for a person");
    }
}

on_both_databases! {
    async fn the_volunteer_who_takes_a_prescription_pickup_is_told_the_pharmacy_and_nobody_else_is(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let texts = ["hi", "1", "2", "CVS on Main, under Lee", "1", "skip", "skip", "after 5", "skip", "Joe"];
        let code = asks(&app, &texts).await;
        let offer = inbox(&app, ANA).await;
        assert!(offered(&offer, &code));
        assert!(!offer.iter().any(|t| t.contains("CVS")), "not before the claim: {offer:?}");

        app.text(ANA, &format!("YES {code}")).await;
        let yours = inbox(&app, ANA).await.last().unwrap().clone();
        assert_eq!(
            yours,
            format!(
                "{code} is yours. Prescription pickup: see notes. For Joe, near ask them. Notes: none. \
                 People: 1. Pharmacy: CVS on Main, under Lee. When: after 5. \
                 Text {code} and a message to reach them. DONE {code} when delivered."
            )
        );
    }
}
