//! Plivo: forms signed with Plivo's V3 scheme under a nonce, numbers written without their `+`;
//! replies out as JSON to the Message API, numbers kept in E.164.

use aidline::gateway::plivo::signature;
use serde_json::{Value, json};
use wiremock::{Request, ResponseTemplate};

use super::voice::{self, Call, Dialled, Fields};
use super::*;
use crate::on_both_databases;

pub struct Plivo;

const AUTH_ID: &str = "MAPLIVOTESTAUTHID001";
const AUTH_TOKEN: &str = "plivo-test-auth-token";

/// `body`, posted to `url` (or, for a GET, in it), signed with `token` under `nonce`.
fn signed(url: &str, body: Option<&str>, token: &str, nonce: &str) -> Vec<(&'static str, String)> {
    let posted = body.map(form_pairs);
    vec![
        (
            "X-Plivo-Signature-V3",
            signature(token, nonce, url, posted.as_deref()),
        ),
        ("X-Plivo-Signature-V3-Nonce", nonce.to_string()),
    ]
}

fn digits(number: &str) -> &str {
    number.trim_start_matches('+')
}

impl Provider for Plivo {
    const GATEWAY: &'static str = "plivo";
    const LINE: &'static str = "+15550007002";
    const TEXTS: &'static str = "/webhooks/plivo/sms";
    const REPORTS: &'static str = "/webhooks/plivo/status";
    const POSTS: &'static str = "application/x-www-form-urlencoded";
    const SEND_PATH: &'static str = "/v1/Account/MAPLIVOTESTAUTHID001/Message/";
    const CONFIRMS_STOP: bool = true;
    /// "Destination number invalid".
    const FAILURE_CODE: &'static str = "50";

    fn settings() -> String {
        format!("auth_id = \"{AUTH_ID}\"\nauth_token = \"{AUTH_TOKEN}\"\napi_base = \"{{api}}\"")
    }

    fn inbound(from: &str, text: &str, id: &str) -> String {
        form(&[
            ("To", digits(Self::LINE)),
            ("From", digits(from)),
            ("TotalRate", "0"),
            ("Units", "1"),
            ("Text", text),
            ("TotalAmount", "0"),
            ("Type", "sms"),
            ("MessageUUID", id),
            ("MessageIntent", ""),
        ])
    }

    fn report(id: &str, to: &str, report: Report) -> String {
        let (status, code) = match report {
            Report::Sent => ("sent", ""),
            Report::Delivered => ("delivered", ""),
            Report::Failed(code) => ("failed", code),
        };
        form(&[
            ("Status", status),
            ("From", digits(Self::LINE)),
            ("To", digits(to)),
            ("MessageUUID", id),
            ("ParentMessageUUID", id),
            ("PartInfo", "1 of 1"),
            ("ErrorCode", code),
            ("Units", "1"),
        ])
    }

    fn sign(app: &TestApp, path: &str, body: &str, signer: Signer) -> Signed {
        let token = match signer {
            Signer::Line => AUTH_TOKEN,
            Signer::Stranger => "someone-elses-token",
        };
        let nonce = format!("{:020}", rand::random::<u64>());
        Signed {
            headers: signed(&app.url(path), Some(body), token, &nonce),
            body: body.to_string(),
        }
    }

    fn message_id(_: &Request, n: u64) -> String {
        format!("db3ce55a-7f1d-11e1-8ea7-{n:012x}")
    }

    fn accepted(request: &Request, id: &str) -> ResponseTemplate {
        // Plivo takes numbers either way; this one holds us to E.164, as its libraries send them.
        let sent: Value = serde_json::from_slice(&request.body).unwrap();
        for field in ["src", "dst"] {
            if !sent[field].as_str().unwrap().starts_with('+') {
                let error = format!("{field} is not in E.164");
                return ResponseTemplate::new(400).set_body_json(json!({"error": error}));
            }
        }
        ResponseTemplate::new(202).set_body_json(json!({
            "message": "message(s) queued",
            "message_uuid": [id],
            "api_id": "db342550-7f1d-11e1-8ea7-1231380bc196"
        }))
    }

    fn assert_authenticated(request: &Request) {
        assert_eq!(
            request.headers["authorization"],
            basic(AUTH_ID, AUTH_TOKEN).as_str()
        );
    }

    fn expected_send(app: &TestApp, to: &str, text: &str, _: i64) -> Value {
        json!({
            "src": Self::LINE,
            "dst": to,
            "text": text,
            "url": app.url(Self::REPORTS),
            "method": "POST",
        })
    }

    fn outages() -> Vec<Outage> {
        vec![Outage {
            status: 503,
            retry_after: Some(30),
            body: json!({"api_id": "c3b4", "error": "service unavailable"}),
        }]
    }

    fn malformed() -> Vec<(&'static str, String)> {
        let text = Self::inbound("+15557657206", "hi", &new_id());
        let mut malformed: Vec<_> = ["From", "To", "MessageUUID"]
            .into_iter()
            .map(|field| (field, form_without(&text, field)))
            .collect();
        // Digits no number can be.
        malformed.push(("From", Self::inbound("+12345", "hi", &new_id())));
        malformed
    }

    fn forgeries(app: &TestApp, body: &str) -> Vec<(&'static str, Signed)> {
        let url = app.url(Self::TEXTS);
        let nonce = "98765432109876543210";
        let mut other_nonce = signed(&url, Some(body), AUTH_TOKEN, nonce);
        other_nonce[1].1 = "98765432109876543211".into();
        let mut garbled = signed(&url, Some(body), AUTH_TOKEN, nonce);
        garbled[0].1 = "c2lnbmVkIGJ5IG5vYm9keQ==".into();
        [
            ("under another nonce", other_nonce),
            ("not a signature", garbled),
        ]
        .into_iter()
        .map(|(forgery, headers)| {
            (
                forgery,
                Signed {
                    headers,
                    body: body.to_string(),
                },
            )
        })
        .collect()
    }
}

impl OptsOut for Plivo {
    /// Plivo blocked the text because the recipient had texted STOP.
    const OPT_OUT_CODE: &'static str = "200";
}

/// Plivo calls: the answer URL's fields, then `<GetInput>`'s, numbers without their `+`.
impl Dialled for Plivo {
    const LISTENS: &'static str = "GetInput";

    fn call(id: &str, from: &str) -> Fields {
        vec![
            ("CallUUID", id.into()),
            ("From", digits(from).into()),
            ("To", digits(Self::LINE).into()),
            ("CallStatus", "in-progress".into()),
            ("Direction", "inbound".into()),
            ("CallerName", "+15557650101".into()),
        ]
    }

    fn pressed(keys: &str) -> Fields {
        vec![("InputType", "dtmf".into()), ("Digits", keys.into())]
    }

    fn said(words: &str) -> Fields {
        vec![
            ("InputType", "speech".into()),
            ("Speech", words.into()),
            ("SpeechConfidenceScore", "0.82".into()),
        ]
    }
}

on_both_databases! {
    async fn a_caller_on_a_plivo_line_hears_the_first_question_and_answers_it_by_pressing_2(db) {
        let app = spawn::<Plivo>(db).await;
        voice::the_first_question_is_answered_by_pressing_2::<Plivo>(&app).await;
    }

    async fn a_spanish_speaker_on_a_plivo_line_answers_by_voice_into_a_request(db) {
        let app = spawn::<Plivo>(db).await;
        let (mut call, _) = Call::<Plivo>::dial(&app, voice::CALLER).await;
        let heard = call.press("2").await;
        assert_eq!(heard.says[0].1, "es-MX");
        let heard = call.say("Medicinas").await;
        assert!(heard.said().starts_with("¿Qué farmacia"), "{heard:?}");
        call.say("La farmacia de la calle Main, a nombre de Ana").await;
        voice::finish_the_prescription_intake(&app, &mut call).await;
        let caller = app.count("SELECT COUNT(*) FROM contacts WHERE language = 'es'").await;
        assert_eq!(caller, 1, "the caller, read from Plivo's digits, in Spanish");
    }

    async fn a_plivo_call_webhook_sent_twice_is_answered_alike_and_taken_once(db) {
        let app = spawn::<Plivo>(db).await;
        voice::a_retried_turn_is_answered_alike_and_taken_once::<Plivo>(&app).await;
    }

    async fn a_plivo_call_signed_with_another_token_is_refused_and_nothing_is_stored(db) {
        let app = spawn::<Plivo>(db).await;
        let forged = voice::call_start::<Plivo>(&app, Signer::Stranger);
        voice::a_forged_call_leaves_nothing_behind::<Plivo>(&app, forged).await;
    }

    async fn a_signed_plivo_text_sent_by_get_is_taken_in_too(db) {
        let app = spawn::<Plivo>(db).await;
        let query = Plivo::inbound("+15557657202", "hi", &new_id());
        let url = app.url(&format!("{}?{query}", Plivo::TEXTS));
        let mut request = app.http.get(&url);
        for (name, value) in signed(&url, None, AUTH_TOKEN, "12345678901234567890") {
            request = request.header(name, value);
        }
        assert_eq!(request.send().await.unwrap().status(), 200);
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages WHERE gateway = 'plivo'").await, 1);
    }

    async fn a_plivo_report_on_a_later_part_of_a_long_text_moves_the_text_it_belongs_to(db) {
        let app = spawn::<Plivo>(db).await;
        text::<Plivo>(&app, "+15557657203", "hi").await;
        app.send_due().await;
        let uuid = outbound(&app).await.gateway_id.unwrap();
        // Each part is reported on its own, naming the first part, whose id our send kept.
        let report = form(&[
            ("Status", "delivered"), ("From", "15550007002"), ("To", "15557657203"),
            ("MessageUUID", "0f1e2d3c-0000-4000-8000-000000000002"), ("ParentMessageUUID", &uuid),
            ("PartInfo", "2 of 2"), ("ErrorCode", ""), ("Units", "1"),
        ]);
        let signed = Plivo::sign(&app, Plivo::REPORTS, &report, Signer::Line);
        assert_eq!(post(&app, Plivo::REPORTS, Plivo::POSTS, signed).await.status(), 200);
        assert_eq!(outbound(&app).await.state, "delivered");
    }
}

const RECORDING: &str = "e3a4f1b2-0c5d-11ee-8a3b-0242ac110002";

/// What the `<Record>`'s `callbackUrl` gets once the message is ready.
fn recording_ready(call_id: &str) -> Fields {
    vec![
        ("api_id", "2c8a1b3e-0c5d-11ee-8a3b-0242ac110002".into()),
        ("call_uuid", call_id.into()),
        (
            "record_url",
            format!("https://media.plivo.com/v1/Account/{AUTH_ID}/Recording/{RECORDING}.mp3")
                .into(),
        ),
        ("recording_duration", "6".into()),
        ("recording_duration_ms", "6120.00000".into()),
        ("recording_end_ms", "1686830413790.00000".into()),
        ("recording_id", RECORDING.into()),
        ("recording_start_ms", "1686830407670.00000".into()),
    ]
}

on_both_databases! {
    async fn a_message_left_on_a_plivo_call_is_copied_into_the_database_and_deleted_at_plivo(db) {
        let app = spawn::<Plivo>(db).await;
        let at = format!("/v1/Account/{AUTH_ID}/Recording/{RECORDING}/");
        let media = format!("/v1/Account/{AUTH_ID}/Recording/{RECORDING}.mp3");
        let audio_at = format!("{}{media}", app.api.uri());
        Mock::given(method("GET")).and(path(&at))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "api_id": "ff25223a-1c9f-11e4-80aa-12313f048015",
                "recording_id": RECORDING, "recording_format": "mp3", "recording_type": "call",
                "recording_url": audio_at, "recording_duration_ms": "6120.00000",
            })))
            .mount(&app.api).await;
        Mock::given(method("GET")).and(path(&media))
            .respond_with(ResponseTemplate::new(200).set_body_raw(b"ID3 sound".to_vec(), "audio/mpeg"))
            .mount(&app.api).await;
        Mock::given(method("DELETE")).and(path(&at))
            .respond_with(ResponseTemplate::new(204))
            .mount(&app.api).await;
        let response = crate::calls::messages::leave_a_message_on::<Plivo>(
            &app, "callbackUrl", recording_ready, Signer::Line,
        ).await;
        assert_eq!(response.status(), 204);
        crate::calls::messages::a_hand_off_whose_message_is_copied(&app, &media, Some(&at)).await;
        for request in app.api_requests(&at).await {
            Plivo::assert_authenticated(&request);
        }
    }

    async fn a_forged_plivo_recording_callback_is_refused_and_nothing_is_kept(db) {
        let app = spawn::<Plivo>(db).await;
        let response = crate::calls::messages::leave_a_message_on::<Plivo>(
            &app, "callbackUrl", recording_ready, Signer::Stranger,
        ).await;
        crate::calls::messages::a_forged_recording_callback_leaves_nothing(response, &app).await;
    }
}
