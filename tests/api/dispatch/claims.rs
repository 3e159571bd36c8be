//! A volunteer takes only what was offered to them. Codes are short enough to type on a basic
//! phone, so the claim, not the code, is what keeps a neighbour's street from a stranger: a YES
//! for anything not offered to that volunteer takes nothing and is answered as a made-up code
//! would be, and a number that keeps guessing stops being answered and is shown to dispatchers.

use std::time::Duration;

use aidline::lifecycle::VolunteerStatus;
use aidline::store::volunteers::{self, NewVolunteer};

use super::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, account};

const MARIA: &str = "+15557670001";
const JO: &str = "+15557670002";
const SAM: &str = "+15557670003";
/// A volunteer with no car: never offered a delivery.
const ANA: &str = "+15557670101";
const BEN_WITH_A_CAR: &str = "+15557670102";
/// Codes never use the letter O, so this one can name no request.
const MADE_UP: &str = "O7";

/// Maria asks for a delivery in Northside through the whole intake; returns its code.
async fn maria_asks_for_a_delivery(app: &TestApp) -> String {
    let mut texts = ASKING_FOR_GROCERIES;
    texts[2] = "3";
    for text in texts {
        app.text(MARIA, text).await;
    }
    code_on(app, "delivery").await
}

/// The code of the open request on `queue`.
async fn code_on(app: &TestApp, queue: &str) -> String {
    sqlx::query_scalar("SELECT code FROM requests WHERE queue = $1 AND closed_at IS NULL")
        .bind(queue)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

async fn ben_has_a_car(app: &TestApp) {
    let mut conn = app.db.acquire().await.unwrap();
    let now = app.clock.now_ms();
    let contact = contacts::upsert_many(&mut conn, &[BEN_WITH_A_CAR], now)
        .await
        .unwrap()[0]
        .1;
    let ben = NewVolunteer {
        contact_id: contact,
        name_to_use: "Ben",
        zones: &[],
        languages: &["en".to_string()],
        capabilities: &["car".to_string()],
        availability: "",
        max_open_jobs: 2,
        status: VolunteerStatus::Active,
    };
    volunteers::upsert(&mut conn, &ben, now).await.unwrap();
}

/// What Ana is told when she texts `text`, alone.
async fn ana_is_told(app: &TestApp, text: &str) -> Option<String> {
    let before = inbox(app, ANA).await.len();
    app.text(ANA, text).await;
    let after = inbox(app, ANA).await;
    assert!(after.len() <= before + 1, "{after:?}");
    after.get(before).cloned()
}

on_both_databases! {
    async fn a_volunteer_with_no_offer_cannot_take_a_delivery_a_hand_off_or_a_sign_up(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        ben_has_a_car(&app).await;
        let delivery = maria_asks_for_a_delivery(&app).await;
        app.text(JO, "person").await;
        let hand_off = code_on(&app, "handoff").await;
        for text in ["VOLUNTEER", "Sam", "northside", "1", "yes", "evenings"] {
            app.text(SAM, text).await;
        }
        let sign_up = code_on(&app, "volunteers").await;
        assert!(inbox(&app, ANA).await.is_empty(), "a delivery needs a car: Ana is offered nothing");

        let unknown = ana_is_told(&app, &format!("YES {MADE_UP}")).await.unwrap();
        for code in [&delivery, &hand_off, &sign_up] {
            let told = ana_is_told(&app, &format!("YES {code}")).await.unwrap();
            assert_eq!(told, unknown.replace(MADE_UP, code), "the same answer as for a made-up code");
        }
        let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM requests WHERE volunteer_id IS NOT NULL")
            .fetch_one(app.db.pool()).await.unwrap();
        assert_eq!(held, 0, "nothing was claimed");

        // Nothing of Maria's reaches Ana, then or later.
        app.text(MARIA, "Are you coming?").await;
        app.text(ANA, &format!("{delivery} hello Maria")).await;
        for text in inbox(&app, ANA).await {
            assert!(!text.contains(CORNER) && !text.contains(NOTES) && !text.contains("Maria"), "{text}");
            assert!(!text.contains("Are you coming"), "{text}");
        }
        assert!(!inbox(&app, MARIA).await.iter().any(|t| t.contains("hello Maria")));

        // Ben, who was offered it, still wins.
        let offer = inbox(&app, BEN_WITH_A_CAR).await;
        assert!(offer[0].contains(&format!("YES {delivery}")), "{offer:?}");
        app.text(BEN_WITH_A_CAR, &format!("YES {delivery}")).await;
        let details = inbox(&app, BEN_WITH_A_CAR).await.pop().unwrap();
        assert!(details.contains("is yours") && details.contains(CORNER), "{details}");
        assert_eq!(status_of(&app, &delivery).await, "claimed");
        assert_eq!(status_of(&app, &hand_off).await, "new");
    }

    async fn a_volunteer_who_turned_an_offer_down_cannot_take_it_after_all(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        let code = neighbour_asks(&app, MARIA).await;
        app.text(ANA, &format!("NO {code}")).await;
        let told = ana_is_told(&app, &format!("YES {code}")).await.unwrap();
        assert!(told.contains("not an offer open to you"), "{told}");
        assert_eq!(status_of(&app, &code).await, "offered");
    }

    async fn a_volunteer_too_late_the_first_time_can_take_it_when_it_comes_back(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        ben_has_a_car(&app).await;
        let code = neighbour_asks(&app, MARIA).await;
        app.text(BEN_WITH_A_CAR, &format!("YES {code}")).await;
        assert!(ana_is_told(&app, &format!("YES {code}")).await.unwrap().contains("already taken"));
        app.text(BEN_WITH_A_CAR, &format!("DROP {code}")).await;
        assert!(ana_is_told(&app, &format!("YES {code}")).await.unwrap().contains("is yours"));
    }

    async fn a_number_that_keeps_guessing_codes_is_no_longer_answered_and_dispatchers_see_it(db) {
        let app = spawn(db).await;
        volunteer(&app, ANA, "Ana", &[]).await;
        account(&app, "dana", "dispatcher").await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        assert!(!dana.get("/").await.body.contains("codes not offered to them"));

        for guess in ["C2", "C3", "C4", "C5", "C6"] {
            let told = ana_is_told(&app, &format!("YES {guess}")).await;
            assert!(told.unwrap().contains("not an offer open to you"));
        }
        assert_eq!(ana_is_told(&app, "YES C7").await, None, "past the limit: no answer");
        assert_eq!(ana_is_told(&app, "DONE C8").await, None, "any code that is not hers counts");
        assert!(ana_is_told(&app, "MY").await.unwrap().contains("no open jobs"), "other texts are answered");

        let queue = dana.get("/").await.body;
        assert!(queue.contains("codes not offered to them"), "{queue}");
        assert!(queue.contains("<strong>Ana</strong> (+1******0101): 7 codes"), "{queue}");
        assert!(!queue.contains(ANA));

        // An hour later she is answered again; the dispatchers see it for a day.
        app.clock.advance(Duration::from_secs(61 * 60));
        assert!(ana_is_told(&app, "YES C9").await.is_some());
        assert!(dana.get("/").await.body.contains("<strong>Ana</strong>"));
        app.clock.advance(Duration::from_secs(24 * 60 * 60));
        assert!(!dana.get("/").await.body.contains("codes not offered to them"));
    }
}
