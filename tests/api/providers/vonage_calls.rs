//! Calls to the Vonage line: the application's answer webhook (a GET, as Vonage sends it by
//! default) starts the call, and each answer the NCCO's `input` collects is posted as JSON to its
//! `eventUrl`; every webhook carries a bearer token signed with the signature secret.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::voice::{self, Call, Dialled, Fields};
use super::vonage_messages::VonageMessages;
use super::vonage_sms::{SIGNATURE_SECRET, digits};
use super::*;
use crate::call_harness::{Document, json_body};
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

/// NCCO calls: the answer webhook is a GET with the call in the query, each answer the NCCO's
/// `input` collects a JSON post, every one under a token signed with the signature secret.
impl Dialled for VonageMessages {
    const LISTENS: &'static str = "input";
    const ACTION: &'static str = "eventUrl";
    const DOCUMENTS: &'static str = "json";

    fn call(id: &str, from: &str) -> Fields {
        vec![
            ("from", digits(from).into()),
            ("to", digits(Self::LINE).into()),
            ("uuid", id.into()),
            (
                "conversation_uuid",
                "CON-f972836a-550f-45fa-956c-12a2ab5b7d22".into(),
            ),
        ]
    }

    fn pressed(keys: &str) -> Fields {
        input(keys, json!({"timeout_reason": "start_timeout"}))
    }

    fn said(words: &str) -> Fields {
        input(
            "",
            json!({"results": [{"confidence": "0.91", "text": words}]}),
        )
    }

    fn webhook(app: &TestApp, _: &str, fields: &Fields, signer: Signer) -> Signed {
        let secret = match signer {
            Signer::Line => SIGNATURE_SECRET,
            Signer::Stranger => "not-our-secret",
        };
        let body = json_body(fields);
        Signed {
            headers: vec![("Authorization", token(secret, now_s(app), &body))],
            body,
        }
    }

    /// The answer webhook: Vonage's GET with the call in the query, its token for no body.
    async fn start(app: &TestApp, path: &str, fields: &Fields) -> reqwest::Response {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(key, value)| (*key, value.as_str().unwrap()))
            .collect();
        app.http
            .get(app.url(&format!("{path}?{}", form(&pairs))))
            .header("Authorization", token(SIGNATURE_SECRET, now_s(app), ""))
            .send()
            .await
            .unwrap()
    }

    /// What the NCCO says, and where its `input` posts the answer.
    fn read(body: &str) -> Document {
        let actions: Vec<Value> = serde_json::from_str(body).expect("an NCCO is a JSON array");
        let says = actions
            .iter()
            .filter(|a| a["action"] == "talk")
            .map(|a| {
                let text = a["text"].as_str().unwrap().to_string();
                (text, a["language"].as_str().unwrap_or_default().to_string())
            })
            .collect();
        let listen = actions.iter().find(|a| a["action"] == "input").map(|a| {
            let event_url = a["eventUrl"][0].as_str().unwrap().to_string();
            vec![("eventUrl".to_string(), event_url)]
        });
        let record = actions.iter().find(|a| a["action"] == "record").map(|a| {
            let event_url = a["eventUrl"][0].as_str().unwrap().to_string();
            let transcription = a["transcription"].is_object().to_string();
            vec![
                ("eventUrl".to_string(), event_url),
                ("transcription".to_string(), transcription),
            ]
        });
        Document {
            says,
            listen,
            record,
            ..Document::default()
        }
    }
}

/// An `input` event: the keys pressed, if any, and what the speech recogniser made of it.
fn input(dtmf: &str, speech: Value) -> Fields {
    vec![
        ("timestamp", "2025-02-03T12:14:25.000Z".into()),
        (
            "dtmf",
            json!({"digits": dtmf, "timed_out": dtmf.is_empty()}),
        ),
        ("speech", speech),
    ]
}

on_both_databases! {
    async fn a_caller_on_a_vonage_line_hears_the_first_question_and_answers_it_by_pressing_2(db) {
        let app = spawn::<VonageMessages>(db).await;
        let (mut call, ncco) = Call::<VonageMessages>::dial(&app, CALLER).await;
        assert!(ncco.said().contains("For English, press 1"), "{ncco:?}");
        assert_eq!(
            ncco.listen("eventUrl"),
            Some(app.url(&format!("{VOICE}?turn=1&quiet=0")).as_str())
        );
        let ncco = call.press("2").await;
        assert!(ncco.said().contains("Para comida, oprima 1"), "{ncco:?}");
        let ncco = call.say("Medicinas").await;
        assert!(ncco.said().starts_with("¿Qué farmacia"), "answered by voice: {ncco:?}");
        let language = app.count("SELECT COUNT(*) FROM contacts WHERE language = 'es'").await;
        assert_eq!(language, 1);
    }

    async fn a_vonage_caller_with_no_number_is_told_to_call_showing_it(db) {
        let app = spawn::<VonageMessages>(db).await;
        voice::a_hidden_caller_is_told_to_call_showing_their_number::<VonageMessages>(&app, "").await;
    }

    async fn a_vonage_input_event_sent_twice_gets_the_same_answer_and_is_taken_once(db) {
        let app = spawn::<VonageMessages>(db).await;
        voice::a_retried_turn_is_answered_alike_and_taken_once::<VonageMessages>(&app).await;
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
        let call = Call::<VonageMessages>::at(&app, CALLER, &format!("{VOICE}?turn=1&quiet=0"));
        let pressed = VonageMessages::pressed;
        let response = call.post_signed(call.webhook(pressed("1"), Signer::Stranger)).await;
        assert_eq!(response.status(), 403, "an input event signed with another secret");
        let changed = Signed {
            headers: call.webhook(pressed("2"), Signer::Line).headers,
            body: call.webhook(pressed("1"), Signer::Line).body,
        };
        let changed = call.post_signed(changed).await;
        assert_eq!(changed.status(), 403, "an input event whose body was changed");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }
}

const FILE: &str = "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab";

/// The `record` action's event once the message is ready. It names the conversation, not the
/// call: the call is in the address the line gave.
fn recorded(_: &str) -> Fields {
    vec![
        ("start_time", "2025-02-03T12:14:30.000Z".into()),
        (
            "recording_url",
            format!("https://api.nexmo.com/v1/files/{FILE}").into(),
        ),
        ("size", 12222.into()),
        (
            "recording_uuid",
            "5b7a7a1e-0d2e-4f3c-9a53-0e0f1c2d3e4f".into(),
        ),
        ("end_time", "2025-02-03T12:14:39.000Z".into()),
        (
            "conversation_uuid",
            "CON-f972836a-550f-45fa-956c-12a2ab5b7d22".into(),
        ),
        ("timestamp", "2025-02-03T12:14:39.100Z".into()),
    ]
}

on_both_databases! {
    async fn a_message_left_on_a_vonage_call_is_copied_and_marked_as_kept_by_vonage_which_cannot_delete_it(db) {
        let app = spawn::<VonageMessages>(db).await;
        let media = format!("/v1/files/{FILE}");
        Mock::given(method("GET")).and(path(&media))
            .respond_with(ResponseTemplate::new(200).set_body_raw(b"ID3 sound".to_vec(), "audio/mpeg"))
            .mount(&app.api).await;
        let response = crate::calls::messages::leave_a_message_on::<VonageMessages>(
            &app, "eventUrl", recorded, Signer::Line,
        ).await;
        assert_eq!(response.status(), 204);
        crate::calls::messages::a_hand_off_whose_message_is_copied(&app, &media, None).await;
        VonageMessages::assert_authenticated(&app.api_requests(&media).await[0]);
        let seconds = app.count("SELECT COUNT(*) FROM recordings WHERE duration_seconds = 9").await;
        assert_eq!(seconds, 1);
    }

    async fn a_vonage_caller_is_not_asked_for_words_the_line_cannot_read(db) {
        let app = spawn::<VonageMessages>(db).await;
        let (mut call, _) = Call::<VonageMessages>::dial(&app, CALLER).await;
        let ncco = call.press("0").await;
        assert_eq!(ncco.record("transcription"), Some("false"), "{ncco:?}");
    }

    async fn a_forged_vonage_recording_event_is_refused_and_nothing_is_kept(db) {
        let app = spawn::<VonageMessages>(db).await;
        let response = crate::calls::messages::leave_a_message_on::<VonageMessages>(
            &app, "eventUrl", recorded, Signer::Stranger,
        ).await;
        crate::calls::messages::a_forged_recording_callback_leaves_nothing(response, &app).await;
    }
}
