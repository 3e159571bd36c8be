//! SignalWire: the Twilio dialect, signed with the project's signing key and sent through the
//! space's own Messages API.

use super::twilio::{Dialect, SpeaksTwilio};
use super::voice::{self, Call, Dialled, Fields};
use super::*;
use crate::on_both_databases;

pub struct SignalWire;

const PROJECT: &str = "b3877c40-da60-4998-90ad-b792e98472af";
const API_TOKEN: &str = "PTsignalwire-api-token";

impl SpeaksTwilio for SignalWire {
    const DIALECT: Dialect = Dialect {
        gateway: "signalwire",
        line: "+15550007001",
        texts: "/webhooks/signalwire/sms",
        reports: "/webhooks/signalwire/status",
        account: PROJECT,
        api_password: API_TOKEN,
        send_path: "/api/laml/2010-04-01/Accounts/b3877c40-da60-4998-90ad-b792e98472af/Messages",
        signing_key: "PSK_signalwire-signing-key",
        header: "X-SignalWire-Signature",
        message_id: |n| format!("5c7a0000-0000-4000-8000-{n:012x}"),
    };

    fn settings() -> String {
        format!(
            "space = \"example\"\nproject_id = \"{PROJECT}\"\napi_token = \"{API_TOKEN}\"\n\
             signing_key = \"{}\"\napi_base = \"{{api}}\"",
            Self::DIALECT.signing_key
        )
    }

    fn forgeries(app: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        let not_a_signature = Signed {
            headers: vec![(Self::DIALECT.header, "c2lnbmVkIGJ5IG5vYm9keQ==".into())],
            body: body.to_string(),
        };
        // The token sends texts; only the signing key signs webhooks.
        let with_token = Self::DIALECT.sign_with(app, Self::DIALECT.texts, body, API_TOKEN);
        vec![
            ("not a signature", not_a_signature),
            ("signed with the API token", with_token),
        ]
    }
}

/// cXML calls: Twilio's voice fields, under SignalWire's UUID call ids.
impl Dialled for SignalWire {
    const LISTENS: &'static str = "Gather";

    fn call(id: &str, from: &str) -> Fields {
        vec![
            ("CallSid", id.into()),
            ("AccountSid", PROJECT.into()),
            ("From", from.into()),
            ("To", Self::LINE.into()),
            ("CallStatus", "ringing".into()),
            ("Direction", "inbound".into()),
            ("ApiVersion", "2010-04-01".into()),
        ]
    }

    fn pressed(keys: &str) -> Fields {
        vec![("Digits", keys.into())]
    }

    fn said(words: &str) -> Fields {
        vec![
            ("SpeechResult", words.into()),
            ("Confidence", "0.88".into()),
        ]
    }
}

on_both_databases! {
    async fn a_caller_on_a_signalwire_line_hears_the_first_question_and_answers_it_by_pressing_2(db) {
        let app = spawn::<SignalWire>(db).await;
        voice::the_first_question_is_answered_by_pressing_2::<SignalWire>(&app).await;
    }

    async fn a_caller_on_a_signalwire_line_is_heard_by_speech_too(db) {
        let app = spawn::<SignalWire>(db).await;
        let (mut call, _) = Call::<SignalWire>::dial(&app, voice::CALLER).await;
        call.press("1").await;
        let heard = call.press("1").await;
        assert!(heard.said().starts_with("What should we bring?"), "{heard:?}");
        assert_eq!(heard.listen("input"), Some("dtmf speech"));
        let heard = call.say("Milk and rice").await;
        assert!(heard.said().contains("Type the number, then press pound"), "{heard:?}");
    }

    async fn a_signalwire_call_webhook_sent_twice_is_answered_alike_and_taken_once(db) {
        let app = spawn::<SignalWire>(db).await;
        voice::a_retried_turn_is_answered_alike_and_taken_once::<SignalWire>(&app).await;
    }

    async fn a_signalwire_call_signed_with_another_key_is_refused_and_nothing_is_stored(db) {
        let app = spawn::<SignalWire>(db).await;
        let forged = voice::call_start::<SignalWire>(&app, Signer::Stranger);
        voice::a_forged_call_leaves_nothing_behind::<SignalWire>(&app, forged).await;
    }

    async fn a_message_left_on_a_signalwire_call_is_copied_from_the_space_then_deleted_there(db) {
        let app = spawn::<SignalWire>(db).await;
        let recording = "19e436af-5688-4307-b03b-bdb2b42b8142";
        let at = |format: &str| format!("/api/laml/2010-04-01/Accounts/{PROJECT}/Recordings/{recording}.{format}");
        Mock::given(method("GET")).and(path(at("mp3")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(b"ID3 sound".to_vec(), "audio/mpeg"))
            .mount(&app.api).await;
        Mock::given(method("DELETE")).and(path(at("json")))
            .respond_with(ResponseTemplate::new(204))
            .mount(&app.api).await;
        let (mut call, _) = Call::<SignalWire>::dial(&app, voice::CALLER).await;
        let heard = call.press("0").await;
        assert!(heard.said().starts_with("Please leave your message"), "{heard:?}");
        let ready = format!(
            "AccountSid={PROJECT}&CallSid={}&RecordingSid={recording}&RecordingStatus=completed&RecordingDuration=4",
            call.id
        );
        let signed = SignalWire::sign(&app, "/webhooks/signalwire/recording", &ready, Signer::Line);
        let response = post(&app, "/webhooks/signalwire/recording", SignalWire::POSTS, signed).await;
        assert_eq!(response.status(), 204);
        assert_eq!(app.copy_recordings().await, 1);
        assert_eq!(app.api_requests(&at("mp3")).await.len(), 1);
        assert_eq!(app.api_requests(&at("json")).await.len(), 1, "the space's copy is deleted");
        assert_eq!(app.count("SELECT COUNT(*) FROM recordings WHERE state = 'kept'").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM requests WHERE queue = 'handoff'").await, 1);
    }

    async fn a_text_signed_under_the_legacy_twilio_header_name_is_taken_in_too(db) {
        let app = spawn::<SignalWire>(db).await;
        let legacy = Dialect { header: "X-Twilio-Signature", ..SignalWire::DIALECT };
        let body = SignalWire::inbound("+15557657102", "hi", &new_id());
        let signed = legacy.sign_with(&app, SignalWire::TEXTS, &body, legacy.signing_key);
        let response = post(&app, SignalWire::TEXTS, SignalWire::POSTS, signed).await;
        assert_eq!(response.status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE gateway = 'signalwire'").await, 1);
    }
}
