//! Reporting through the relay, and a volunteer ending their part of it: either side's `REPORT`
//! pauses the messages and puts the request in front of a dispatcher, who can resume them; a
//! volunteer's `LEAVE` ends their part for good. Nothing leaks to anyone who is not on the job.

use super::*;
use crate::on_both_databases;
use crate::pages::{Browser, PASSWORD, Page, account};

const NEIGHBOUR: &str = "+15557663001";
const ANA: &str = "+15557663101";
const BEN: &str = "+15557663102";
const STRANGER: &str = "+15557663201";

/// A dispatcher `dana`, signed in, and a request of Maria's that Ana holds.
struct Relay {
    app: TestApp,
    dana: Browser,
    code: String,
    ana: i64,
}

impl Relay {
    async fn new(db: TestDb) -> Relay {
        let app = spawn(db).await;
        account(&app, "dana", "dispatcher").await;
        let ana = volunteer(&app, ANA, "Ana", &["northside"]).await;
        let code = neighbour_asks(&app, NEIGHBOUR).await;
        app.text(ANA, &format!("YES {code}")).await;
        app.send_due().await;
        let dana = Browser::new(&app);
        dana.sign_in("dana", PASSWORD).await;
        Relay {
            app,
            dana,
            code,
            ana,
        }
    }

    async fn last_to(&self, phone: &str) -> String {
        inbox(&self.app, phone).await.pop().unwrap_or_default()
    }

    /// Whether any text to `phone` so far contains `words`.
    async fn reached(&self, phone: &str, words: &str) -> bool {
        inbox(&self.app, phone)
            .await
            .iter()
            .any(|t| t.contains(words))
    }

    async fn request_page(&self) -> Page {
        self.dana.get(&format!("/requests/{}", self.code)).await
    }

    /// (actor, detail) of each event of this kind on the request, oldest first.
    async fn events(&self, kind: &str) -> Vec<(String, Option<String>)> {
        sqlx::query_as(
            "SELECT e.actor, e.detail FROM request_events e JOIN requests r ON r.id = e.request_id \
             WHERE r.code = $1 AND e.kind = $2 ORDER BY e.id",
        )
        .bind(&self.code)
        .bind(kind)
        .fetch_all(self.app.db.pool())
        .await
        .unwrap()
    }

    /// Presses "Resume the messages" on the request's page and says yes when asked.
    async fn resume(&self) -> Page {
        let path = format!("/requests/{}/resume", self.code);
        let csrf = self.request_page().await.csrf();
        let asked = self.dana.post(&path, &[("csrf", &csrf)]).await;
        assert!(
            asked.body.contains(r#"name="confirmed" value="yes""#),
            "{}",
            asked.body
        );
        let form = [("csrf", asked.csrf()), ("confirmed", "yes".to_string())];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.dana.post(&path, &form).await
    }
}

/// The section of a page about stopped relays, if it has one.
fn stopped_section(page: &Page) -> Option<String> {
    let section = page.body.split(r#"id="relay-stopped""#).nth(1)?;
    Some(section.split("</section>").next()?.to_string())
}

/// A reply with the code taken out, to compare the answers two codes got.
fn without(text: &str, code: &str) -> String {
    text.replace(code, "CODE")
}

on_both_databases! {
    async fn a_neighbour_who_reports_their_volunteer_stops_getting_that_volunteers_messages_until_a_dispatcher_resumes_them(db) {
        let relay = Relay::new(db).await;
        let code = relay.code.clone();
        relay.app.text(ANA, "On my way").await;
        assert!(relay.reached(NEIGHBOUR, "Ana (").await, "the relay works before the report");

        relay.app.text(NEIGHBOUR, "REPORT he was rude to me").await;
        let told = relay.last_to(NEIGHBOUR).await;
        assert!(told.contains("Thank you for telling us") && told.contains(&code), "{told}");
        assert!(relay.reached(DISPATCHER, "reported the relay").await, "the dispatchers are alerted");

        relay.app.text(ANA, "I'm outside, blue car").await;
        assert!(!relay.reached(NEIGHBOUR, "blue car").await, "the volunteer's message is not passed on");
        let ana_told = relay.last_to(ANA).await;
        assert!(ana_told.contains("paused, so this was not passed on"), "{ana_told}");
        relay.app.text(NEIGHBOUR, "please leave it at the door").await;
        assert!(!relay.reached(ANA, "at the door").await, "the neighbour's message is not passed on");
        assert!(relay.last_to(NEIGHBOUR).await.contains("paused"));
        let ana_texts = inbox(&relay.app, ANA).await;
        assert!(ana_texts.iter().all(|t| !t.contains("report") && !t.contains("Thank you for telling")),
            "the volunteer is not told who reported: {ana_texts:?}");

        let withheld = relay.events("withheld").await;
        assert_eq!(withheld, [
            (format!("volunteer:{}", relay.ana), Some("I'm outside, blue car".to_string())),
            ("neighbour".to_string(), Some("please leave it at the door".to_string())),
        ]);
        assert_eq!(relay.events("reported").await, [("neighbour".to_string(), Some("he was rude to me".to_string()))]);

        let queue = relay.dana.get("/").await;
        let flagged = stopped_section(&queue).expect("the queue flags the reported request");
        assert!(flagged.contains(&format!("/requests/{code}")) && flagged.contains("he was rude to me"), "{flagged}");
        let page = relay.request_page().await;
        let banner = stopped_section(&page).expect("the request page has a banner");
        assert!(banner.contains("Reported: messages paused") && banner.contains("The neighbour reported"), "{banner}");
        assert!(banner.contains("he was rude to me") && banner.contains("Resume the messages"), "{banner}");
        assert!(page.body.contains("blue car") && page.body.contains("at the door"), "what was withheld is shown to the dispatchers");

        let resumed = relay.resume().await;
        assert!(resumed.body.contains("Messages pass again"), "{}", resumed.body);
        assert!(stopped_section(&resumed).is_none());
        assert!(relay.last_to(ANA).await.contains("pass again"));
        assert!(stopped_section(&relay.dana.get("/").await).is_none(), "the queue no longer flags it");
        relay.app.text(ANA, "Back on, at the corner now").await;
        assert!(relay.reached(NEIGHBOUR, "at the corner now").await, "messages pass again");
        assert_eq!(relay.events("relay_resumed").await, [("user:dana".to_string(), None)]);
    }

    async fn a_volunteer_reports_with_a_code_and_anyone_else_reporting_it_gets_what_a_code_that_does_not_exist_gets(db) {
        let relay = Relay::new(db).await;
        let code = relay.code.clone();
        let nowhere = if code == "Z999" { "Z998" } else { "Z999" };
        volunteer(&relay.app, BEN, "Ben", &["downtown"]).await;

        for who in [STRANGER, BEN] {
            relay.app.text(who, &format!("REPORT {code} I know this one")).await;
            let theirs = relay.last_to(who).await;
            relay.app.text(who, &format!("REPORT {nowhere}")).await;
            let none = relay.last_to(who).await;
            assert_eq!(without(&theirs, &code), without(&none, nowhere), "{who}");
            assert!(theirs.contains("is not a request you can report"), "{theirs}");
        }
        assert!(relay.events("reported").await.is_empty(), "nothing changed");
        assert!(stopped_section(&relay.dana.get("/").await).is_none());
        relay.app.text(ANA, "Still coming").await;
        assert!(relay.reached(NEIGHBOUR, "Still coming").await, "the relay still passes messages");

        relay.app.text(ANA, &format!("REPORT {code} the dog bit me")).await;
        assert!(relay.last_to(ANA).await.contains("Thank you for telling us"));
        relay.app.text(NEIGHBOUR, "Are you close?").await;
        assert!(!relay.reached(ANA, "Are you close?").await);
        let neighbour_told = relay.last_to(NEIGHBOUR).await;
        assert!(neighbour_told.contains("paused") && !neighbour_told.contains("report"), "{neighbour_told}");
        assert_eq!(
            relay.events("reported").await,
            [(format!("volunteer:{}", relay.ana), Some("the dog bit me".to_string()))]
        );
        let banner = stopped_section(&relay.request_page().await).unwrap();
        assert!(banner.contains("Ana, the volunteer, reported the neighbour") && banner.contains("the dog bit me"), "{banner}");
    }

    async fn a_volunteer_who_leaves_a_relay_keeps_the_job_and_the_neighbour_is_told_a_person_will_follow_up(db) {
        let relay = Relay::new(db).await;
        let code = relay.code.clone();
        relay.app.text(ANA, &format!("LEAVE {code}")).await;
        assert!(relay.last_to(ANA).await.contains(&format!("No more messages pass for {code}")));
        assert!(relay.reached(DISPATCHER, "left the relay").await, "the dispatchers are alerted");
        assert_eq!(status_of(&relay.app, &code).await, "claimed", "the job is still Ana's");

        relay.app.text(NEIGHBOUR, "Where are you?").await;
        assert!(!relay.reached(ANA, "Where are you?").await);
        let told = relay.last_to(NEIGHBOUR).await;
        assert!(told.contains("can no longer get messages") && told.contains("follow up"), "{told}");
        relay.app.text(ANA, &format!("{code} sorry, one more thing")).await;
        assert!(!relay.reached(NEIGHBOUR, "one more thing").await);
        assert!(relay.last_to(ANA).await.contains("You left the messages"));

        let flagged = stopped_section(&relay.dana.get("/").await).unwrap();
        assert!(flagged.contains("Ana, the volunteer, left the messages"), "{flagged}");
        let banner = stopped_section(&relay.request_page().await).unwrap();
        assert!(!banner.contains("Resume the messages"), "a volunteer who left is not put back: {banner}");
        assert_eq!(relay.events("left_relay").await, [(format!("volunteer:{}", relay.ana), None)]);

        relay.app.text(ANA, &format!("DONE {code}")).await;
        assert_eq!(status_of(&relay.app, &code).await, "delivered");
    }

    async fn a_volunteer_can_report_a_neighbour_just_after_delivering(db) {
        let relay = Relay::new(db).await;
        let code = relay.code.clone();
        relay.app.text(ANA, &format!("DONE {code}")).await;
        relay.app.text(ANA, &format!("REPORT {code} shouted at me at the door")).await;
        assert!(relay.last_to(ANA).await.contains("Thank you for telling us"));
        let flagged = stopped_section(&relay.dana.get("/").await).unwrap();
        assert!(flagged.contains("shouted at me at the door"), "{flagged}");
        relay.app.text(NEIGHBOUR, "1").await;
        assert_eq!(status_of(&relay.app, &code).await, "confirmed", "the neighbour's answer still counts");
        assert!(stopped_section(&relay.dana.get("/").await).is_none(), "a closed request leaves the queue");
    }

    async fn the_spanish_words_report_and_leave(db) {
        let app = spawn(db).await;
        let lucia = volunteer_speaking(&app, ANA, "Lucía", &[], &["es"]).await;
        for text in ["hola", "2", "comida", "arroz", "2", "northside", "la esquina", "hoy", "nada", "Rosa"] {
            app.text(NEIGHBOUR, text).await;
        }
        let code: String = sqlx::query_scalar("SELECT code FROM requests ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
        app.text(ANA, &format!("SI {code}")).await;

        app.text(NEIGHBOUR, "Denunciar: no me gusta").await;
        let told = inbox(&app, NEIGHBOUR).await.pop().unwrap();
        assert!(told.contains("Gracias por avisarnos") && told.contains("quedan en pausa"), "{told}");
        app.text(ANA, "Ya voy").await;
        let paused = inbox(&app, ANA).await.pop().unwrap();
        assert!(paused.contains("siguen en pausa"), "{paused}");

        app.text(ANA, &format!("reportar {code}")).await;
        assert!(inbox(&app, ANA).await.pop().unwrap().contains("Gracias por avisarnos"));
        app.text(ANA, &format!("salir {code}")).await;
        assert!(inbox(&app, ANA).await.pop().unwrap().contains("Ya no pasan mensajes"));
        app.text(NEIGHBOUR, "¿Hola?").await;
        let left = inbox(&app, NEIGHBOUR).await.pop().unwrap();
        assert!(left.contains("ya no puede recibir mensajes"), "{left}");
        let reported: Vec<String> = sqlx::query_scalar(
            "SELECT actor FROM request_events WHERE kind = 'reported' ORDER BY id",
        )
        .fetch_all(app.db.pool())
        .await
        .unwrap();
        assert_eq!(reported, ["neighbour".to_string(), format!("volunteer:{lucia}")]);
    }
}
