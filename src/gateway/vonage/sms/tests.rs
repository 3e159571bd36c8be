use axum::http::HeaderMap;

use super::*;
use crate::gateway::{Answer, Hook};

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn form(body: &str) -> Params {
    Params::from_form(body.as_bytes())
}

fn us() -> Region {
    "US".parse().unwrap()
}

const SECRET: &str = "signature_secret";

fn sdk_params() -> Vec<(String, String)> {
    pairs(&[
        ("param1", "value1"),
        ("param2", "value2"),
        ("timestamp", "1234567890"),
    ])
}

// The vectors below are the ones in Vonage's own Python SDK tests.
#[test]
fn the_published_hmac_vectors_sign() {
    assert_eq!(
        signature(SignatureMethod::Md5, SECRET, &sdk_params()),
        "724c2bf6ca423c36e20631b11d1c5753"
    );
    assert_eq!(
        signature(SignatureMethod::Sha256, SECRET, &sdk_params()),
        "280c4320703dbc98bfa22db676655ed2acfbfe8792b062ff7622e67f1183c287"
    );
}

#[test]
fn ampersands_and_equals_signs_in_values_are_blanked_before_signing() {
    let params = pairs(&[
        ("param1", "value&1"),
        ("param2", "value=2"),
        ("timestamp", "1234567890"),
    ]);
    assert_eq!(
        signed_text(&params),
        "&param1=value_1&param2=value_2&timestamp=1234567890"
    );
    assert_eq!(
        signature(SignatureMethod::Md5, SECRET, &params),
        "2bbf0abafb2c55e5af6231513896a2ac"
    );
}

#[test]
fn the_published_check_vector_verifies() {
    let fields = Params(pairs(&[
        ("param", "value"),
        ("timestamp", "1234567890"),
        ("sig", "655a4d0b7f064dff438defc52b012cf5"),
    ]));
    assert_eq!(
        check(SignatureMethod::Md5, SECRET, &fields, 1234567890),
        Ok(())
    );
}

#[test]
fn the_md5_hash_method_appends_the_secret_and_is_the_default() {
    assert_eq!(SignatureMethod::default(), SignatureMethod::Md5hash);
    // MD5("&param1=value1&param2=value2&timestamp=1234567890" + "signature_secret").
    assert_eq!(
        signature(SignatureMethod::Md5hash, SECRET, &sdk_params()),
        "d72f75ac8cda9bbce891c4fa62bee6cd"
    );
}

/// A captured inbound text (numbers made up), signed with SHA-256 HMAC.
const INBOUND: &str = "keyword=HELLO%21&message-timestamp=2016-08-14+10%3A13%3A54&messageId=030000000926C4C2&msisdn=447700900001&nonce=a3a1f1e4-9d4b-4d5e-9b5e-0c1b2a3d4e5f&text=Hello%21&to=447700900000&type=text&timestamp=1471169634&sig=2A9DBB8836715AE9A05EAD3ED794F82D6554F6F008A328CF45E7C617810B8FC7";
const INBOUND_AT: i64 = 1471169634;

#[test]
fn a_signed_inbound_text_verifies_with_its_signature_in_either_case() {
    assert_eq!(
        check(
            SignatureMethod::Sha256,
            SECRET,
            &form(INBOUND),
            INBOUND_AT + 10
        ),
        Ok(())
    );
    let (head, sig) = INBOUND.split_once("&sig=").unwrap();
    let lower = form(&format!("{head}&sig={}", sig.to_ascii_lowercase()));
    assert_eq!(
        check(SignatureMethod::Sha256, SECRET, &lower, INBOUND_AT),
        Ok(())
    );
}

#[test]
fn tampering_the_wrong_secret_or_method_or_no_sig_is_refused() {
    let tampered = form(&INBOUND.replace("text=Hello%21", "text=STOP"));
    assert_eq!(
        check(SignatureMethod::Sha256, SECRET, &tampered, INBOUND_AT),
        Err(AuthError::BadSignature)
    );
    let added = form(&format!("{INBOUND}&text=STOP"));
    assert_eq!(
        check(SignatureMethod::Sha256, SECRET, &added, INBOUND_AT),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        check(
            SignatureMethod::Sha256,
            "another",
            &form(INBOUND),
            INBOUND_AT
        ),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        check(SignatureMethod::Sha512, SECRET, &form(INBOUND), INBOUND_AT),
        Err(AuthError::BadSignature)
    );
    let unsigned = form(INBOUND.split("&sig=").next().unwrap());
    assert_eq!(
        check(SignatureMethod::Sha256, SECRET, &unsigned, INBOUND_AT),
        Err(AuthError::Missing("sig"))
    );
    let not_hex = form(&format!(
        "{}&sig=zz",
        INBOUND.split("&sig=").next().unwrap()
    ));
    assert_eq!(
        check(SignatureMethod::Sha256, SECRET, &not_hex, INBOUND_AT),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn a_signature_older_or_newer_than_five_minutes_is_refused() {
    let fields = form(INBOUND);
    for now in [INBOUND_AT + 300, INBOUND_AT - 300] {
        assert_eq!(check(SignatureMethod::Sha256, SECRET, &fields, now), Ok(()));
    }
    for now in [INBOUND_AT + 301, INBOUND_AT - 301] {
        assert_eq!(
            check(SignatureMethod::Sha256, SECRET, &fields, now),
            Err(AuthError::Stale(300))
        );
    }
}

#[test]
fn a_signature_without_a_timestamp_is_refused() {
    let mut params = pairs(&[("messageId", "0B00000127FDBC63"), ("status", "delivered")]);
    params.push((
        "sig".into(),
        signature(SignatureMethod::Md5hash, SECRET, &params),
    ));
    assert_eq!(
        check(SignatureMethod::Md5hash, SECRET, &Params(params), 0),
        Err(AuthError::Missing("timestamp"))
    );
}

fn hook<'a>(method: &'a str, url: &'a str, headers: &'a HeaderMap, body: &'a [u8]) -> Webhook<'a> {
    Webhook {
        method,
        url,
        headers,
        body,
        hook: Hook::Inbound,
        now_s: INBOUND_AT,
    }
}

#[test]
fn fields_come_from_the_query_the_form_or_a_json_body() {
    let none = HeaderMap::new();
    let url = format!("https://aid.example/webhooks/vonage/sms?{INBOUND}");
    let by_get = fields(&hook("GET", &url, &none, b"")).unwrap();
    let by_post = fields(&hook(
        "POST",
        "https://aid.example/webhooks/vonage/sms",
        &none,
        INBOUND.as_bytes(),
    ))
    .unwrap();
    assert_eq!(by_get, by_post);

    let mut json = HeaderMap::new();
    json.insert("content-type", "application/json".parse().unwrap());
    let body = br#"{"msisdn":"447700900001","to":"447700900000","messageId":"0A0000001234","text":"Hi","type":"text","timestamp":1471169634,"concat":true,"nonce":null}"#;
    let by_json = fields(&hook(
        "POST",
        "https://aid.example/webhooks/vonage/sms",
        &json,
        body,
    ))
    .unwrap();
    assert_eq!(by_json.get("timestamp"), Some("1471169634"));
    assert_eq!(by_json.get("concat"), Some("true"));
    assert_eq!(by_json.get("nonce"), Some(""));
    assert_eq!(by_json.get("text"), Some("Hi"));
    assert_eq!(
        fields(&hook(
            "POST",
            "https://aid.example/webhooks/vonage/sms",
            &json,
            b"[1]"
        )),
        None
    );
}

#[test]
fn an_inbound_payload_becomes_an_inbound_text() {
    let Event::Text(text) = read_inbound(&form(INBOUND), us()).unwrap() else {
        panic!("a single text");
    };
    assert_eq!(text.gateway, "vonage");
    assert_eq!(text.gateway_id.as_deref(), Some("030000000926C4C2"));
    assert_eq!(text.from.as_str(), "+447700900001");
    assert_eq!(text.line.as_str(), "+447700900000");
    assert_eq!(text.body, "Hello!");
}

#[test]
fn a_part_of_a_long_text_is_read_as_a_part() {
    let part = form(&format!(
        "{INBOUND}&concat=true&concat-ref=108&concat-total=3&concat-part=2"
    ));
    let Event::Part(part) = read_inbound(&part, us()).unwrap() else {
        panic!("a part");
    };
    assert_eq!(
        (part.reference.as_str(), part.part, part.total),
        ("108", 2, 3)
    );
    assert_eq!(part.text.gateway_id.as_deref(), Some("030000000926C4C2"));
}

#[test]
fn a_binary_message_is_ignored() {
    let binary = form(&INBOUND.replace("type=text", "type=binary"));
    assert_eq!(read_inbound(&binary, us()).unwrap(), Event::Ignored);
}

#[test]
fn a_malformed_payload_names_the_field() {
    let cases = [
        (INBOUND.replace("msisdn=447700900001&", ""), "msisdn"),
        (
            INBOUND.replace("messageId=030000000926C4C2&", ""),
            "messageId",
        ),
        (INBOUND.replace("to=447700900000", "to=VONAGE"), "to"),
        (
            format!("{INBOUND}&concat=true&concat-ref=1&concat-total=3&concat-part=4"),
            "concat-part",
        ),
        (
            format!("{INBOUND}&concat=true&concat-ref=1&concat-total=0&concat-part=1"),
            "concat-total",
        ),
        (
            format!("{INBOUND}&concat=true&concat-ref=1&concat-total=x&concat-part=1"),
            "concat-total",
        ),
        (
            format!("{INBOUND}&concat=true&concat-total=2&concat-part=1"),
            "concat-ref",
        ),
    ];
    for (body, field) in cases {
        let error = read_inbound(&form(&body), us()).unwrap_err();
        assert!(
            error.to_string().contains(&format!("`{field}`")),
            "{error} should name {field}"
        );
    }
}

#[test]
fn delivery_receipts_map_to_our_states() {
    // The documented receipt, completed.
    let delivered = form(
        "err-code=0&message-timestamp=2018-10-25+12%3A10%3A29&messageId=0B00000127FDBC63&msisdn=447700900000&network-code=23410&price=0.03330000&scts=1810251310&status=delivered&to=Vonage&api-key=abcd1234",
    );
    let report = read_receipt(&delivered).unwrap();
    assert_eq!(report.gateway_id, "0B00000127FDBC63");
    assert_eq!(report.state, Some(DeliveryState::Delivered));
    assert_eq!(report.error_code, None);
    assert!(!report.recipient_opted_out);

    let spam = read_receipt(&form(
        "to=2020&messageId=external1&status=failed&err-code=6",
    ))
    .unwrap();
    assert_eq!(spam.state, Some(DeliveryState::Undelivered));
    assert_eq!(spam.error_code.as_deref(), Some("6"));
    assert!(!spam.recipient_opted_out);

    let states = [
        ("accepted", Some(DeliveryState::Sent)),
        ("buffered", Some(DeliveryState::Sent)),
        ("expired", Some(DeliveryState::Undelivered)),
        ("rejected", Some(DeliveryState::Failed)),
        ("unknown", None),
    ];
    for (status, state) in states {
        let report = read_receipt(&form(&format!("messageId=1&status={status}"))).unwrap();
        assert_eq!(report.state, state, "{status}");
    }
}

#[test]
fn only_the_refused_service_code_opts_the_recipient_out() {
    let refused = read_receipt(&form("messageId=1&status=failed&err-code=9")).unwrap();
    assert!(refused.recipient_opted_out);
    for code in ["4", "6", "14", "53"] {
        let report =
            read_receipt(&form(&format!("messageId=1&status=failed&err-code={code}"))).unwrap();
        assert!(!report.recipient_opted_out, "{code}");
    }
    assert_eq!(
        read_receipt(&form("status=delivered")).unwrap_err(),
        PayloadError::Missing("messageId")
    );
}

fn submitted(json: &str) -> Submitted {
    let answer = Answer {
        status: 200,
        retry_after: None,
        body: json.to_string(),
    };
    answer.json("Vonage").unwrap()
}

#[test]
fn a_send_answer_is_read_by_its_status() {
    // The SDK's recorded answers.
    let ok = submitted(
        r#"{"message-count":"1","messages":[{"to":"1234567890","message-id":"3295d748-4e14-4681-af78-166dca3c5aab","status":"0","remaining-balance":"38.07243628","message-price":"0.04120000","network":"23420"}]}"#,
    );
    assert_eq!(
        outcome(ok, None),
        Ok(Some("3295d748-4e14-4681-af78-166dca3c5aab".into()))
    );
    let barred = submitted(
        r#"{"message-count":"1","messages":[{"status":"7","error-text":"Number barred."}]}"#,
    );
    assert_eq!(
        outcome(barred, None),
        Err(SendError::Permanent {
            status: None,
            code: Some("7".into()),
            detail: "Vonage status 7: Number barred.".into()
        })
    );
}

#[test]
fn throttling_and_passing_trouble_are_retried_and_the_rest_is_not() {
    let wait = Some(Duration::from_secs(2));
    for status in ["1", "5", "9", "10"] {
        let answer = submitted(&format!(
            r#"{{"message-count":"1","messages":[{{"status":"{status}","error-text":"Throughput Rate Exceeded - please wait [ 10 ] and retry"}}]}}"#
        ));
        assert!(
            matches!(outcome(answer, wait), Err(SendError::Retryable { retry_after, .. }) if retry_after == wait),
            "{status}"
        );
    }
    for status in ["2", "3", "4", "6", "8", "12", "15", "29", "33"] {
        let answer = submitted(&format!(r#"{{"messages":[{{"status":"{status}"}}]}}"#));
        assert!(
            matches!(outcome(answer, None), Err(SendError::Permanent { code: Some(c), .. }) if c == status),
            "{status}"
        );
    }
}

#[test]
fn a_long_text_refused_after_its_first_part_went_is_not_sent_again() {
    let answer = submitted(
        r#"{"message-count":"2","messages":[{"status":"0","message-id":"A1"},{"status":"1","error-text":"Throttled"}]}"#,
    );
    assert!(matches!(
        outcome(answer, None),
        Err(SendError::Permanent { code: Some(c), .. }) if c == "1"
    ));
    let empty = submitted(r#"{"message-count":"0","messages":[]}"#);
    assert!(matches!(
        outcome(empty, None),
        Err(SendError::Permanent { code: None, .. })
    ));
}

#[test]
fn a_text_outside_gsm_7_is_sent_as_unicode() {
    assert_eq!(
        message_type("Reply 1 for English. Responda 2 para español."),
        "text"
    );
    assert_eq!(message_type("Hello [world] €5"), "text");
    assert_eq!(message_type("Perdón, no le entendí."), "unicode");
    assert_eq!(message_type("Hi 👋"), "unicode");
}
