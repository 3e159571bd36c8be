//! Telnyx: JSON events signed with the account's Ed25519 key, replies out through the Messages
//! API under a bearer key.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey};
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::voice::{self, Call, Dialled, Fields};
use super::*;
use crate::on_both_databases;

pub struct Telnyx;

const API_KEY: &str = "KEY01TESTTELNYX";

/// The account's key pair: the RFC 8032 test key, so the public half is a known value.
fn account_key() -> SigningKey {
    let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    SigningKey::from_bytes(&seed.unwrap().try_into().unwrap())
}

/// `body` signed by `key` as of `timestamp`, in Telnyx's headers.
fn signed_at(key: &SigningKey, timestamp: i64, body: &str) -> Signed {
    let signature = key.sign(format!("{timestamp}|{body}").as_bytes());
    Signed {
        headers: vec![
            ("telnyx-timestamp", timestamp.to_string()),
            (
                "telnyx-signature-ed25519",
                BASE64.encode(signature.to_bytes()),
            ),
        ],
        body: body.to_string(),
    }
}

fn event(kind: &str, payload: Value) -> String {
    json!({
        "data": {"record_type": "event", "id": new_id(), "event_type": kind, "payload": payload},
        "meta": {"attempt": 1, "delivered_to": "https://aid.example.org/webhooks/telnyx"}
    })
    .to_string()
}

impl Provider for Telnyx {
    const GATEWAY: &'static str = "telnyx";
    const LINE: &'static str = "+15550007101";
    const TEXTS: &'static str = "/webhooks/telnyx";
    // Per-text updates come to the webhook_url we give with each text, not the portal's address.
    const REPORTS: &'static str = "/webhooks/telnyx/status";
    const POSTS: &'static str = "application/json";
    const SEND_PATH: &'static str = "/v2/messages";
    const CONFIRMS_STOP: bool = true;
    /// "Not routable".
    const FAILURE_CODE: &'static str = "40001";

    fn settings() -> String {
        let public_key = BASE64.encode(account_key().verifying_key().to_bytes());
        format!("api_key = \"{API_KEY}\"\npublic_key = \"{public_key}\"\napi_base = \"{{api}}\"")
    }

    fn inbound(from: &str, text: &str, id: &str) -> String {
        let payload = json!({
            "record_type": "message", "direction": "inbound", "id": id, "type": "SMS",
            "from": {"phone_number": from, "carrier": "T-MOBILE USA, INC.", "line_type": "Wireless"},
            "to": [{"phone_number": Self::LINE, "status": "webhook_delivered"}],
            "text": text, "media": [], "cost": {"amount": "0.0040", "currency": "USD"}
        });
        event("message.received", payload)
    }

    fn report(id: &str, to: &str, report: Report) -> String {
        let (kind, status, code) = match report {
            Report::Sent => ("message.sent", "sent", None),
            Report::Delivered => ("message.finalized", "delivered", None),
            Report::Failed(code) => ("message.finalized", "delivery_failed", Some(code)),
        };
        let errors: Vec<Value> = code
            .map(|code| json!({"code": code, "title": "…"}))
            .into_iter()
            .collect();
        let payload = json!({
            "record_type": "message", "direction": "outbound", "id": id,
            "from": {"phone_number": Self::LINE},
            "to": [{"phone_number": to, "status": status}],
            "cost": {"amount": 0.004, "currency": "USD"}, "errors": errors
        });
        event(kind, payload)
    }

    fn sign(app: &TestApp, _: &str, body: &str, signer: Signer) -> Signed {
        let key = match signer {
            Signer::Line => account_key(),
            Signer::Stranger => SigningKey::from_bytes(&[7; 32]),
        };
        signed_at(&key, now_s(app), body)
    }

    fn message_id(_: &Request, n: u64) -> String {
        format!("40385f64-0000-4000-8000-{n:012x}")
    }

    fn accepted(_: &Request, id: &str) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(json!({"data": {
            "record_type": "message", "direction": "outbound", "id": id,
            "to": [{"status": "queued"}], "cost": {"amount": "0.0040", "currency": "USD"}
        }}))
    }

    fn assert_authenticated(request: &Request) {
        assert_eq!(
            request.headers["authorization"],
            format!("Bearer {API_KEY}").as_str()
        );
    }

    fn expected_send(app: &TestApp, to: &str, text: &str, _: i64) -> Value {
        json!({
            "from": Self::LINE,
            "to": to,
            "text": text,
            "webhook_url": app.url(Self::REPORTS),
        })
    }

    fn outages() -> Vec<Outage> {
        vec![
            Outage {
                status: 503,
                retry_after: None,
                body: json!({"errors": [{"code": "10007", "title": "Unexpected error"}]}),
            },
            Outage {
                status: 429,
                retry_after: Some(30),
                body: json!({"errors": [{"code": "10011", "title": "Too many requests"}]}),
            },
        ]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let good = Self::inbound("+15557657106", "hi", "84cca175-9755-4859-b67f-4730d7f58aa5");
        vec![
            (
                "data.payload.from.phone_number",
                good.replace("\"+15557657106\"", "null"),
            ),
            (
                "data.payload.from.phone_number",
                good.replace("\"+15557657106\"", "\"not a number\""),
            ),
            (
                "data.payload.id",
                good.replace("84cca175-9755-4859-b67f-4730d7f58aa5", ""),
            ),
            ("body", "{\"data\": [".to_string()),
        ]
    }

    fn forgeries(app: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        let now = now_s(app);
        let mut moved = signed_at(&account_key(), now, body);
        moved.headers[0].1 = (now + 1).to_string();
        let mut garbled = signed_at(&account_key(), now, body);
        garbled.headers[1].1 = "bm90IGEgc2lnbmF0dXJl".into();
        vec![
            ("timestamp changed after signing", moved),
            ("not a signature", garbled),
        ]
    }
}

impl OptsOut for Telnyx {
    /// "Blocked due to STOP message".
    const OPT_OUT_CODE: &'static str = "40300";

    fn opted_out_refusal() -> Option<(u16, Value)> {
        let body = json!({"errors": [{
            "code": "40300",
            "title": "Blocked due to STOP message",
            "detail": "Messages cannot be sent from '+15550007101' to '+15557657103' due to an existing block rule."
        }]});
        Some((409, body))
    }
}

/// TeXML calls: forms in Twilio's words, signed as messaging events are.
impl Dialled for Telnyx {
    const LISTENS: &'static str = "Gather";

    fn call(id: &str, from: &str) -> Fields {
        let sid = format!("v3:{id}");
        vec![
            ("AccountSid", "0f512bda-ae1e-4597-8e11-e5f5686b97d3".into()),
            ("CallSid", sid.clone().into()),
            ("CallSidLegacy", sid.into()),
            ("From", from.into()),
            ("To", Self::LINE.into()),
            ("CallStatus", "ringing".into()),
            ("ConnectionId", "1684641123236054244".into()),
            ("Direction", "inbound".into()),
        ]
    }

    fn pressed(keys: &str) -> Fields {
        vec![("Digits", keys.into())]
    }

    fn said(words: &str) -> Fields {
        vec![
            ("SpeechResult", words.into()),
            ("Confidence", "0.93".into()),
        ]
    }
}

on_both_databases! {
    async fn a_caller_on_a_telnyx_line_hears_the_first_question_and_answers_it_by_pressing_2(db) {
        let app = spawn::<Telnyx>(db).await;
        voice::the_first_question_is_answered_by_pressing_2::<Telnyx>(&app).await;
    }

    async fn a_caller_on_a_telnyx_line_presses_and_speaks_their_way_into_a_request(db) {
        let app = spawn::<Telnyx>(db).await;
        let (mut call, _) = Call::<Telnyx>::dial(&app, voice::CALLER).await;
        let heard = call.press("1").await;
        assert!(heard.said().contains("For groceries, press 1"), "{heard:?}");
        assert_eq!(heard.says[0].1, "en-US");
        let heard = call.press("1").await;
        // A list is said; the one key it takes is star to skip (or 0 for a message).
        assert_eq!(heard.listen("input"), Some("dtmf speech"));
        assert_eq!(heard.listen("numDigits"), Some("1"));
        call.say("Milk, bread and rice.").await;
        call.press("3#").await;
        voice::finish_the_groceries_intake_as_rosa(&app, &mut call).await;
        let turns = app.count("SELECT COUNT(*) FROM inbound_messages WHERE gateway = 'telnyx' AND channel = 'voice'").await;
        assert_eq!(turns, 10, "the call's start and nine answers");
    }

    async fn a_telnyx_call_webhook_sent_twice_is_answered_alike_and_taken_once(db) {
        let app = spawn::<Telnyx>(db).await;
        voice::a_retried_turn_is_answered_alike_and_taken_once::<Telnyx>(&app).await;
    }

    async fn a_telnyx_call_signed_by_another_key_is_refused_and_nothing_is_stored(db) {
        let app = spawn::<Telnyx>(db).await;
        let forged = voice::call_start::<Telnyx>(&app, Signer::Stranger);
        voice::a_forged_call_leaves_nothing_behind::<Telnyx>(&app, forged).await;
    }

    async fn a_telnyx_call_signed_six_minutes_ago_is_refused_and_nothing_is_stored(db) {
        let app = spawn::<Telnyx>(db).await;
        let body = voice::call_start::<Telnyx>(&app, Signer::Line).body;
        let stale = signed_at(&account_key(), now_s(&app) - 360, &body);
        voice::a_forged_call_leaves_nothing_behind::<Telnyx>(&app, stale).await;
    }

    async fn a_telnyx_webhook_signed_six_minutes_ago_is_refused_and_nothing_is_stored(db) {
        let app = spawn::<Telnyx>(db).await;
        let body = Telnyx::inbound("+15557657105", "hi", &new_id());
        let stale = signed_at(&account_key(), now_s(&app) - 360, &body);
        let response = post(&app, Telnyx::TEXTS, Telnyx::POSTS, stale).await;
        assert_eq!(response.status(), 403);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
    }
}

const RECORDING: &str = "35094891-3290-4142-b2c2-b2eda57534cf";

/// TeXML's recording status callback once a message is recorded, in Twilio's words.
fn recording_completed(call_id: &str) -> Fields {
    let mut fields = Telnyx::call(call_id, voice::CALLER);
    fields.retain(|(k, _)| {
        matches!(
            *k,
            "AccountSid" | "CallSid" | "CallSidLegacy" | "ConnectionId"
        )
    });
    fields.extend([
        ("RecordingChannels", "1".into()),
        ("RecordingDuration", "5".into()),
        ("RecordingSid", RECORDING.into()),
        ("RecordingSource", "RecordVerb".into()),
        ("RecordingStatus", "completed".into()),
        (
            "RecordingUrl",
            "https://recordings.example.com/expiring-link.mp3".into(),
        ),
    ]);
    fields
}

/// Where Telnyx's pre-signed link to the recording leads.
const MEDIA: &str = "/download/recording.mp3";

/// Telnyx's Call Recordings API, holding the recording until it is deleted. Gives its address.
async fn telnyx_holds_the_recording(app: &TestApp) -> String {
    let at = format!("/v2/recordings/{RECORDING}");
    let fresh = format!("{}{MEDIA}?X-Amz-Expires=600", app.api.uri());
    Mock::given(method("GET"))
        .and(path(&at))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {
            "id": RECORDING, "record_type": "recording", "status": "completed",
            "download_urls": {"mp3": fresh, "wav": null},
        }})))
        .mount(&app.api)
        .await;
    Mock::given(method("GET"))
        .and(path(MEDIA))
        .respond_with(ResponseTemplate::new(200).set_body_raw(b"ID3 sound".to_vec(), "audio/mpeg"))
        .mount(&app.api)
        .await;
    Mock::given(method("DELETE"))
        .and(path(&at))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": RECORDING}})))
        .mount(&app.api)
        .await;
    at
}

on_both_databases! {
    async fn a_message_left_on_a_telnyx_call_is_copied_into_the_database_and_deleted_at_telnyx(db) {
        let app = spawn::<Telnyx>(db).await;
        let at = telnyx_holds_the_recording(&app).await;
        let response = crate::calls::messages::leave_a_message_on::<Telnyx>(
            &app, "recordingStatusCallback", recording_completed, Signer::Line,
        ).await;
        assert_eq!(response.status(), 204);
        crate::calls::messages::a_hand_off_whose_message_is_copied(&app, MEDIA, Some(&at)).await;
        let lookup = &app.api_requests(&at).await[0];
        assert_eq!(lookup.headers["authorization"], format!("Bearer {API_KEY}").as_str());
        let download = &app.api_requests(MEDIA).await[0];
        assert!(download.headers.get("authorization").is_none(), "a pre-signed link gets no key");
    }

    async fn the_words_telnyx_keeps_of_a_message_are_deleted_there_once_they_are_ours(db) {
        let app = spawn::<Telnyx>(db).await;
        telnyx_holds_the_recording(&app).await;
        let words = "6a09cdc3-8948-47f0-aa62-74ac943d6c58";
        let words_at = format!("/v2/recording_transcriptions/{words}");
        Mock::given(method("DELETE")).and(path(&words_at))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"id": words}})))
            .mount(&app.api).await;
        let response = crate::calls::messages::leave_a_message_on::<Telnyx>(
            &app, "recordingStatusCallback", recording_completed, Signer::Line,
        ).await;
        assert_eq!(response.status(), 204);
        let call_sid: String = sqlx::query_scalar("SELECT call_id FROM calls")
            .fetch_one(app.db.pool()).await.unwrap();
        let transcribed = form(&[
            ("AccountSid", "0f512bda-ae1e-4597-8e11-e5f5686b97d3"), ("CallSid", &call_sid),
            ("RecordingSid", RECORDING), ("TranscriptionSid", words),
            ("TranscriptionStatus", "completed"), ("TranscriptionText", "I need milk and bread."),
        ]);
        let at = "/webhooks/telnyx/transcription";
        let signed = Telnyx::sign(&app, at, &transcribed, Signer::Line);
        assert_eq!(post(&app, at, "application/x-www-form-urlencoded", signed).await.status(), 204);
        let kept = app.count("SELECT COUNT(*) FROM recordings WHERE transcript = 'I need milk and bread.'").await;
        assert_eq!(kept, 1, "the words are ours first");
        assert_eq!(app.copy_recordings().await, 2, "the recording and its words, in one pass");
        let kept = app.count("SELECT COUNT(*) FROM recordings WHERE state = 'kept'").await;
        assert_eq!(kept, 1);
        let deletes = app.api_requests(&words_at).await;
        assert_eq!(deletes.len(), 1, "then Telnyx's transcription is deleted");
        assert_eq!(deletes[0].headers["authorization"], format!("Bearer {API_KEY}").as_str());
        let deleted = app.count("SELECT COUNT(*) FROM recordings WHERE transcription_state = 'deleted'").await;
        assert_eq!(deleted, 1);
    }

    async fn a_forged_telnyx_recording_callback_is_refused_and_nothing_is_kept(db) {
        let app = spawn::<Telnyx>(db).await;
        let response = crate::calls::messages::leave_a_message_on::<Telnyx>(
            &app, "recordingStatusCallback", recording_completed, Signer::Stranger,
        ).await;
        crate::calls::messages::a_forged_recording_callback_leaves_nothing(response, &app).await;
    }
}
