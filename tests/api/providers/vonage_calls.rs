//! Calls to the Vonage line: the application's answer webhook (a GET, as Vonage sends it by
//! default) starts the call, and each answer the NCCO's `input` collects is posted as JSON to its
//! `eventUrl`; every webhook carries a bearer token signed with the signature secret.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::vonage_messages::VonageMessages;
use super::vonage_sms::{SIGNATURE_SECRET, digits};
use super::*;
use crate::on_both_databases;

const CALLER: &str = "+15557650301";
const VOICE: &str = "/webhooks/vonage_messages/voice";

/// A token as Vonage signs one, issued at `iat`, for `body` (empty for a GET).
fn token(secret: &str, iat: i64, body: &str) -> String {
    let claims = json!({
        "iat": iat,
        "jti": format!("{:032x}", rand::random::<u128>()),
        "iss": "Vonage",
        "payload_hash": hex::encode(Sha256::digest(body)),
        "api_key": "vonage-key",
        "application_id": "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab",
    });
    let key = EncodingKey::from_secret(secret.as_bytes());
    format!(
        "Bearer {}",
        encode(&Header::new(Algorithm::HS256), &claims, &key).unwrap()
    )
}

/// What one NCCO tells Vonage to do.
#[derive(Debug)]
struct Ncco {
    said: String,
    /// Where the `input` action posts the answer, when the line waits for one.
    event_url: Option<String>,
}

impl Ncco {
    fn parse(body: &str) -> Ncco {
        let actions: Vec<Value> = serde_json::from_str(body).expect("an NCCO is a JSON array");
        let said: Vec<&str> = actions
            .iter()
            .filter(|a| a["action"] == "talk")
            .map(|a| a["text"].as_str().unwrap())
            .collect();
        let event_url = actions
            .iter()
            .find(|a| a["action"] == "input")
            .map(|a| a["eventUrl"][0].as_str().unwrap().to_string());
        Ncco {
            said: said.join(" "),
            event_url,
        }
    }
}

/// One call to the Vonage line.
struct Call<'a> {
    app: &'a TestApp,
    uuid: String,
    /// Where the next answer goes, as a path on the app.
    next: String,
}

impl<'a> Call<'a> {
    /// The answer webhook: Vonage's GET with the call in the query.
    async fn dial(app: &'a TestApp) -> (Call<'a>, Ncco) {
        let uuid = new_id();
        let query = form(&[
            ("to", digits(VonageMessages::LINE)),
            ("from", digits(CALLER)),
            ("uuid", &uuid),
            ("conversation_uuid", &format!("CON-{}", new_id())),
        ]);
        let response = app
            .http
            .get(app.url(&format!("{VOICE}?{query}")))
            .header("Authorization", token(SIGNATURE_SECRET, now_s(app), ""))
            .send()
            .await
            .unwrap();
        let mut call = Call {
            app,
            uuid,
            next: String::new(),
        };
        let ncco = call.follow(response).await;
        (call, ncco)
    }

    fn input(&self, dtmf: &str, speech: Option<&str>) -> String {
        let speech = match speech {
            Some(text) => json!({"results": [{"confidence": "0.91", "text": text}]}),
            None => json!({"timeout_reason": "start_timeout"}),
        };
        json!({
            "from": digits(CALLER),
            "to": digits(VonageMessages::LINE),
            "uuid": self.uuid,
            "conversation_uuid": "CON-f972836a-550f-45fa-956c-12a2ab5b7d22",
            "timestamp": "2025-02-03T12:14:25.000Z",
            "dtmf": {"digits": dtmf, "timed_out": dtmf.is_empty()},
            "speech": speech,
        })
        .to_string()
    }

    async fn post_raw(&self, body: &str, secret: &str) -> reqwest::Response {
        let authorization = token(secret, now_s(self.app), body);
        self.app
            .post_raw(
                &self.next,
                &[("Authorization", authorization)],
                "application/json",
                body.to_string(),
            )
            .await
    }

    async fn press(&mut self, keys: &str) -> Ncco {
        let response = self
            .post_raw(&self.input(keys, None), SIGNATURE_SECRET)
            .await;
        self.follow(response).await
    }

    async fn say(&mut self, words: &str) -> Ncco {
        let body = self.input("", Some(words));
        let response = self.post_raw(&body, SIGNATURE_SECRET).await;
        self.follow(response).await
    }

    async fn follow(&mut self, response: reqwest::Response) -> Ncco {
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"].to_str().unwrap();
        assert!(content_type.contains("json"), "{content_type}");
        let ncco = Ncco::parse(&response.text().await.unwrap());
        if let Some(url) = &ncco.event_url {
            self.next = url.strip_prefix(&self.app.url("")).unwrap().to_string();
        }
        ncco
    }
}

on_both_databases! {
    async fn a_caller_on_a_vonage_line_hears_the_first_question_and_answers_it_by_pressing_2(db) {
        let app = spawn::<VonageMessages>(db).await;
        let (mut call, ncco) = Call::dial(&app).await;
        assert!(ncco.said.contains("For English, press 1"), "{ncco:?}");
        assert_eq!(
            ncco.event_url.as_deref(),
            Some(app.url(&format!("{VOICE}?turn=1&quiet=0")).as_str())
        );
        let ncco = call.press("2").await;
        assert!(ncco.said.contains("Para comida, oprima 1"), "{ncco:?}");
        let ncco = call.say("Medicinas").await;
        assert!(ncco.said.starts_with("¿Qué farmacia"), "answered by voice: {ncco:?}");
        let language = app.count("SELECT COUNT(*) FROM contacts WHERE language = 'es'").await;
        assert_eq!(language, 1);
    }

    async fn a_vonage_input_event_sent_twice_gets_the_same_answer_and_is_taken_once(db) {
        let app = spawn::<VonageMessages>(db).await;
        let (call, _) = Call::dial(&app).await;
        let body = call.input("1", None);
        let first = call.post_raw(&body, SIGNATURE_SECRET).await;
        assert_eq!(first.status(), 200);
        let first = first.text().await.unwrap();
        let again = call.post_raw(&body, SIGNATURE_SECRET).await.text().await.unwrap();
        assert_eq!(first, again);
        assert!(Ncco::parse(&again).said.contains("For groceries"), "{again}");
        let turns = app.count("SELECT COUNT(*) FROM inbound_messages WHERE channel = 'voice'").await;
        assert_eq!(turns, 2, "the call's start and one answer");
    }

    async fn a_vonage_call_with_a_forged_or_stale_token_is_refused_and_leaves_nothing_behind(db) {
        let app = spawn::<VonageMessages>(db).await;
        let query = form(&[
            ("to", digits(VonageMessages::LINE)),
            ("from", digits(CALLER)),
            ("uuid", "63f61863-4a51-4f6b-86e1-46edebcf9356"),
        ]);
        let answer_url = app.url(&format!("{VOICE}?{query}"));
        let now = now_s(&app);
        for (forgery, authorization) in [
            ("another secret", Some(token("not-our-secret", now, ""))),
            ("issued an hour ago", Some(token(SIGNATURE_SECRET, now - 3600, ""))),
            ("for a body it does not have", Some(token(SIGNATURE_SECRET, now, "{}"))),
            ("unsigned", None),
        ] {
            let mut request = app.http.get(&answer_url);
            if let Some(authorization) = authorization {
                request = request.header("Authorization", authorization);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 403, "{forgery}");
        }
        let call = Call { app: &app, uuid: new_id(), next: format!("{VOICE}?turn=1&quiet=0") };
        let response = call.post_raw(&call.input("1", None), "not-our-secret").await;
        assert_eq!(response.status(), 403, "an input event signed with another secret");
        let changed = app
            .post_raw(
                &call.next,
                &[("Authorization", token(SIGNATURE_SECRET, now, &call.input("2", None)))],
                "application/json",
                call.input("1", None),
            )
            .await;
        assert_eq!(changed.status(), 403, "an input event whose body was changed");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }
}
