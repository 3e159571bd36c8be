//! Calls to the Bandwidth line: the Voice application posts an `initiate` event when a call comes
//! in and a `gather` event for each answer to the `<Gather>`'s `gatherUrl`, as JSON behind the
//! callback credentials. Bandwidth hears keys only.

use super::bandwidth::Bandwidth;
use super::voice::{self, Call, Dialled, Fields};
use super::*;
use crate::call_harness::json_body;
use crate::calls::recorded_prompts;
use crate::on_both_databases;

const CALLER: &str = "+15557650201";
const VOICE: &str = "/webhooks/bandwidth/voice";

/// BXML calls: an `initiate` event, then a `gather` event for each answer, as JSON behind the
/// callback credentials.
impl Dialled for Bandwidth {
    const LISTENS: &'static str = "Gather";
    const ACTION: &'static str = "gatherUrl";

    fn call_id() -> String {
        format!("c-{}", new_id())
    }

    fn call(id: &str, from: &str) -> Fields {
        vec![
            ("eventType", "initiate".into()),
            ("eventTime", "2019-06-20T15:54:25.435Z".into()),
            ("accountId", "9900000".into()),
            (
                "applicationId",
                "04e88489-df02-4e34-a0ee-27a91849555f".into(),
            ),
            ("from", from.into()),
            ("to", Self::LINE.into()),
            ("direction", "inbound".into()),
            ("callId", id.into()),
            (
                "callUrl",
                format!("https://voice.bandwidth.com/api/v2/accounts/9900000/calls/{id}").into(),
            ),
            ("startTime", "2019-06-20T15:54:22.234Z".into()),
        ]
    }

    /// Keys as Bandwidth reports them: `#` that ended them apart from the digits.
    fn pressed(keys: &str) -> Fields {
        let (digits, terminating) = match keys.strip_suffix('#') {
            Some(digits) => (digits, "#"),
            None => (keys, ""),
        };
        vec![
            ("eventType", "gather".into()),
            ("answerTime", "2019-06-20T15:54:22.234Z".into()),
            ("digits", digits.into()),
            ("terminatingDigit", terminating.into()),
        ]
    }

    fn said(_: &str) -> Fields {
        panic!("Bandwidth hears keys only")
    }

    /// An event as one JSON object, what the answer adds over what every event carries.
    fn webhook(app: &TestApp, path: &str, fields: &Fields, signer: Signer) -> Signed {
        Self::sign(app, path, &json_body(fields), signer)
    }
}

on_both_databases! {
    async fn a_caller_on_a_bandwidth_line_hears_the_first_question_and_answers_it_by_pressing_2(db) {
        let app = spawn::<Bandwidth>(db).await;
        let (mut call, bxml) = Call::<Bandwidth>::dial(&app, CALLER).await;
        assert!(bxml.said().contains("For English, press 1"), "{bxml:?}");
        assert_eq!(
            bxml.listen("gatherUrl"),
            Some(app.url(&format!("{VOICE}?turn=1&quiet=0")).as_str())
        );
        let bxml = call.press("2").await;
        assert!(bxml.said().contains("Para comida, oprima 1"), "{bxml:?}");
    }

    async fn a_bandwidth_caller_walks_the_intake_by_keys_and_skips_what_only_speech_could_answer(db) {
        let app = spawn::<Bandwidth>(db).await;
        let (mut call, _) = Call::<Bandwidth>::dial(&app, CALLER).await;
        let bxml = call.press("1").await;
        assert!(bxml.said().contains("For groceries, press 1"), "{bxml:?}");
        let bxml = call.press("1").await;
        assert!(bxml.said().starts_with("What should we bring?"), "{bxml:?}");
        let bxml = call.press("*").await; // a list is said, and Bandwidth hears no speech
        assert!(bxml.said().contains("Type the number, then press pound"), "{bxml:?}");
        let bxml = call.press("3#").await;
        assert!(bxml.said().contains("zip code"), "{bxml:?}");
        call.press("02139#").await;
        for _ in 0..3 {
            call.press("*").await; // where, when, notes: spoken answers only
        }
        let bxml = call.press("*").await; // the name
        assert!(bxml.said().starts_with("Thank you, neighbour! Your request is "), "{bxml:?}");
        assert!(bxml.hangup && bxml.listen.is_none(), "{bxml:?}");
        let requests = app.requests().await;
        assert_eq!(requests.len(), 1);
        let fields = &requests[0].fields;
        assert_eq!(fields["need"], "groceries");
        assert_eq!(fields["household"], "3");
        assert_eq!(fields["zone"], "northside");
        assert!(!fields.contains_key("items"));
        assert!(!fields.contains_key("cross_streets"));
    }

    async fn a_bandwidth_caller_hears_the_organisers_recording_from_the_same_address(db) {
        let flows = recorded_prompts::recorded_flows();
        let options = Options {
            extra_lines: Bandwidth::lines(),
            ..recorded_prompts::service(flows.path())
        };
        let app = TestApp::spawn_with(db, options).await;
        let (mut call, _) = Call::<Bandwidth>::dial(&app, CALLER).await;
        let bxml = call.press("1").await;
        let [url] = bxml.plays.as_slice() else { panic!("{bxml:?}") };
        assert!(url.starts_with(&app.url("/audio/intake/need/en/")), "{url}");
        let fetched = app.http.get(url).send().await.unwrap();
        assert_eq!(fetched.headers()["content-type"], "audio/mpeg");
        assert_eq!(fetched.bytes().await.unwrap().to_vec(), recorded_prompts::mp3(1));
    }

    async fn a_bandwidth_gather_sent_twice_gets_the_same_answer_and_is_taken_once(db) {
        let app = spawn::<Bandwidth>(db).await;
        voice::a_retried_turn_is_answered_alike_and_taken_once::<Bandwidth>(&app).await;
    }

    async fn a_bandwidth_call_with_wrong_credentials_is_refused_and_leaves_nothing_behind(db) {
        let app = spawn::<Bandwidth>(db).await;
        let wrong = voice::call_start::<Bandwidth>(&app, Signer::Stranger);
        let initiate = wrong.body.clone();
        let response = post(&app, VOICE, Bandwidth::POSTS, wrong).await;
        assert_eq!(response.status(), 403, "a wrong password");
        let unsigned = app.post_raw(VOICE, &[], "application/json", initiate.clone()).await;
        assert_eq!(unsigned.status(), 403, "no credentials");
        let api = app
            .post_raw(VOICE, &[("Authorization", basic("api-user", "api-password"))], "application/json", initiate)
            .await;
        assert_eq!(api.status(), 403, "the API user's credentials");
        assert_eq!(app.count("SELECT COUNT(*) FROM inbound_messages").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM contacts").await, 0);
    }
}

const RECORDING: &str = "r-fbe05094-9fd2afe9-0e18-4b8c-9e34-b5e6e8c5d7a1";

/// The `recordingAvailable` event once the message is ready.
fn recording_available(call_id: &str) -> Fields {
    let mut fields = Bandwidth::call(call_id, CALLER);
    fields.extend([
        ("eventType", "recordingAvailable".into()),
        ("recordingId", RECORDING.into()),
        (
            "mediaUrl",
            format!("https://voice.bandwidth.com/api/v2/accounts/9900000/calls/{call_id}/recordings/{RECORDING}/media").into(),
        ),
        ("duration", "PT13.67S".into()),
        ("fileFormat", "mp3".into()),
        ("channels", 1.into()),
        ("status", "complete".into()),
    ]);
    fields
}

on_both_databases! {
    async fn a_message_left_on_a_bandwidth_call_is_copied_into_the_database_and_deleted_at_bandwidth(db) {
        let app = spawn::<Bandwidth>(db).await;
        // The recording's address names its call, so it is only known once the call is made.
        Mock::given(method("GET"))
            .and(wiremock::matchers::path_regex(r"^/api/v2/accounts/9900000/calls/c-[^/]+/recordings/r-[^/]+/media$"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(b"ID3 sound".to_vec(), "audio/mpeg"))
            .mount(&app.api).await;
        Mock::given(method("DELETE"))
            .and(wiremock::matchers::path_regex(r"^/api/v2/accounts/9900000/calls/c-[^/]+/recordings/r-[^/]+$"))
            .respond_with(ResponseTemplate::new(204))
            .mount(&app.api).await;
        let response = crate::calls::messages::leave_a_message_on::<Bandwidth>(
            &app, "recordingAvailableUrl", recording_available, Signer::Line,
        ).await;
        assert_eq!(response.status(), 204);
        let call_id: String = sqlx::query_scalar("SELECT call_id FROM calls")
            .fetch_one(app.db.pool()).await.unwrap();
        let at = format!("/api/v2/accounts/9900000/calls/{call_id}/recordings/{RECORDING}");
        crate::calls::messages::a_hand_off_whose_message_is_copied(&app, &format!("{at}/media"), Some(&at)).await;
        let seconds = app.count("SELECT COUNT(*) FROM recordings WHERE duration_seconds = 14").await;
        assert_eq!(seconds, 1, "PT13.67S, rounded");
        for request in app.api_requests(&at).await {
            assert_eq!(request.headers["authorization"], basic("api-user", "api-password").as_str());
        }
    }

    async fn a_bandwidth_recording_callback_with_wrong_credentials_is_refused_and_nothing_is_kept(db) {
        let app = spawn::<Bandwidth>(db).await;
        let response = crate::calls::messages::leave_a_message_on::<Bandwidth>(
            &app, "recordingAvailableUrl", recording_available, Signer::Stranger,
        ).await;
        crate::calls::messages::a_forged_recording_callback_leaves_nothing(response, &app).await;
    }
}
