use axum::http::{HeaderMap, HeaderValue};

use super::*;
use crate::gateway::settings::first_line;

const TOKEN: &str = "MzRmNDk0ZDQ3YTFmYzQ0ZTJiNjJmMmQ2MjRhZjZk";
const NONCE: &str = "05429567804466091622";
const URL: &str = "https://aid.example.org/webhooks/plivo/sms";
/// A realistic inbound text, and its signatures worked out independently of this code.
const INBOUND: &str = "To=15550007002&From=15557652345&TotalRate=0&Units=1&Text=Need+groceries+please&TotalAmount=0&Type=sms&MessageUUID=7a242edc-2f57-11e7-98c9-06ab0bf64327";
const SIGNED_POST: &str = "FCIpseqm3K8ixKxWKEBiOrje5YdBa/1FggHtv2NVy34=";
const SIGNED_GET: &str = "z9Hp3UYY8sQwbbmxJqRMd8OM3J2avfN/B0cqx3tJQvc=";

fn us() -> Region {
    "US".parse().unwrap()
}

fn form(body: &str) -> Params {
    Params::from_form(body.as_bytes())
}

fn line(table: &str) -> Result<Arc<dyn Gateway>, SettingError> {
    first_line("plivo", "+15550007002", table)
}

fn gateway(token: &str) -> Arc<dyn Gateway> {
    line(&format!(
        "auth_id = \"MAXXXXXXXXXXXXXXXXXX\"\nauth_token = \"{token}\""
    ))
    .unwrap()
}

fn signed(signatures: &str, nonce: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-plivo-signature-v3",
        HeaderValue::from_str(signatures).unwrap(),
    );
    headers.insert(
        "x-plivo-signature-v3-nonce",
        HeaderValue::from_str(nonce).unwrap(),
    );
    headers
}

fn post<'a>(headers: &'a HeaderMap, body: &'a str) -> Webhook<'a> {
    Webhook {
        method: "POST",
        url: URL,
        headers,
        body: body.as_bytes(),
        hook: Hook::Inbound,
        now_s: 0,
    }
}

mod published_vectors {
    use super::*;

    // From Plivo's own SDK tests.
    const NONCE: &str = "31627761595286130198";
    const TOKEN: &str = "Y2Q2ZDgxZmY5YWRiOTI5YmQ1Njg0MTAxZWIyOTc4";
    const BASE: &str = "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml";
    const UUID: &str = "3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36";

    fn fields() -> Vec<(String, String)> {
        [
            ("Direction", "outbound"),
            ("From", "19792014278"),
            ("ALegUUID", UUID),
            ("CallStatus", "in-progress"),
            ("BillRate", "0.002"),
            ("ParentAuthID", "MANWVLYTK4ZWU1YTY4QA"),
            (
                "To",
                "sip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com",
            ),
            ("ALegRequestUUID", UUID),
            ("CallUUID", UUID),
            ("RequestUUID", UUID),
            (
                "SIP-H-To",
                "<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1",
            ),
            ("SessionStart", "2020-04-08 11:34:33.238707"),
            ("Event", "StartApp"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// A GET carries its fields in the URL, after whatever query the URL was given.
    fn as_get(url: &str) -> String {
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields())
            .finish();
        let joiner = if url.contains('?') { '&' } else { '?' };
        format!("{url}{joiner}{query}")
    }

    #[test]
    fn all_four_rows_sign_as_plivo_signs() {
        let with_query = format!("{BASE}/?a=b&c=d");
        let fields = fields();
        let rows = [
            (
                signature(TOKEN, NONCE, &with_query, Some(&fields)),
                "k7Pusd4OxCIjR5IfA9iedDNu/h/gbdYqdzG/MiYtd1c=",
            ),
            (
                signature(TOKEN, NONCE, &as_get(&with_query), None),
                "UBq8jAtd32wR8EK9VgxbBn4n5rpI/l1H9iN4WfSEHFQ=",
            ),
            (
                signature(TOKEN, NONCE, BASE, Some(&fields)),
                "iAjE5QqI37mbkYe4w3jTMudqEzbDufdqi7sYwTu64e0=",
            ),
            (
                signature(TOKEN, NONCE, &as_get(BASE), None),
                "i/MQsaQSAd6fiKhOh2qeeeLHZ9faldADSb3/7+Akfbc=",
            ),
        ];
        for (i, (ours, theirs)) in rows.iter().enumerate() {
            assert_eq!(ours, theirs, "row {}", i + 1);
        }
    }

    #[test]
    fn a_post_without_a_query_still_signs_a_bare_question_mark() {
        let text = signed_text(BASE, Some(&fields()));
        assert_eq!(
            text,
            "https://plivobin.non-prod.plivops.com/api/v1/validate_signature03.xml?ALegRequestUUID3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36ALegUUID3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36BillRate0.002CallStatusin-progressCallUUID3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36DirectionoutboundEventStartAppFrom19792014278ParentAuthIDMANWVLYTK4ZWU1YTY4QARequestUUID3e82ae9d-2c78-4d85-b1a4-6eae7dbafb36SIP-H-To<sip:PlivoSignature382029104058171078704104@52.9.11.55;transport=udp>;tag=1SessionStart2020-04-08 11:34:33.238707Tosip:PlivoSignature382029104058171078704104@phone-qa.voice.plivodev.com"
        );
        let with_query = signed_text(&format!("{BASE}/?c=d&a=b"), Some(&fields()));
        assert!(with_query.starts_with(&format!("{BASE}/?a=b&c=d.ALegRequestUUID")));
    }
}

#[test]
fn a_signed_inbound_post_or_get_is_accepted() {
    let plivo = gateway(TOKEN);
    let headers = signed(SIGNED_POST, NONCE);
    assert_eq!(plivo.verify(&post(&headers, INBOUND)), Ok(()));

    let url = format!("{URL}?{INBOUND}");
    let headers = signed(SIGNED_GET, NONCE);
    let get = Webhook {
        method: "GET",
        url: &url,
        body: b"",
        ..post(&headers, "")
    };
    assert_eq!(plivo.verify(&get), Ok(()));
}

#[test]
fn any_one_of_several_listed_signatures_will_do() {
    let headers = signed(&format!("c29tZW9uZSBlbHNlJ3M=, {SIGNED_POST}"), NONCE);
    assert_eq!(gateway(TOKEN).verify(&post(&headers, INBOUND)), Ok(()));
}

#[test]
fn a_tampered_body_a_wrong_token_or_a_missing_header_is_refused() {
    let headers = signed(SIGNED_POST, NONCE);
    let tampered = INBOUND.replace("Need+groceries+please", "STOP");
    assert_eq!(
        gateway(TOKEN).verify(&post(&headers, &tampered)),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        gateway("someone-elses-token").verify(&post(&headers, INBOUND)),
        Err(AuthError::BadSignature)
    );
    let other_nonce = signed(SIGNED_POST, "05429567804466091623");
    assert_eq!(
        gateway(TOKEN).verify(&post(&other_nonce, INBOUND)),
        Err(AuthError::BadSignature)
    );
    let not_base64 = signed("not base64!", NONCE);
    assert_eq!(
        gateway(TOKEN).verify(&post(&not_base64, INBOUND)),
        Err(AuthError::BadSignature)
    );
    let mut no_nonce = signed(SIGNED_POST, NONCE);
    no_nonce.remove("x-plivo-signature-v3-nonce");
    assert_eq!(
        gateway(TOKEN).verify(&post(&no_nonce, INBOUND)),
        Err(AuthError::Missing("X-Plivo-Signature-V3-Nonce"))
    );
    assert_eq!(
        gateway(TOKEN).verify(&post(&HeaderMap::new(), INBOUND)),
        Err(AuthError::Missing("X-Plivo-Signature-V3"))
    );
}

#[test]
fn plivos_recorded_inbound_text_is_read_with_its_numbers_made_international() {
    let body = "To=4759440448&From=4795961111&TotalRate=0&Units=1&Text=Msg&TotalAmount=0&Type=sms&MessageUUID=7a242edc-2f57-11e7-98c9-06ab0bf64327";
    let text = parse_inbound(&form(body), us()).unwrap();
    assert_eq!(text.gateway, "plivo");
    assert_eq!(
        text.gateway_id.as_deref(),
        Some("7a242edc-2f57-11e7-98c9-06ab0bf64327")
    );
    // Digits alone are a full international number, whatever the default region.
    assert_eq!(text.from.as_str(), "+4795961111");
    assert_eq!(text.line.as_str(), "+4759440448");
    assert_eq!(text.body, "Msg");
    assert!(text.media.is_empty());

    let text = parse_inbound(&form(INBOUND), us()).unwrap();
    assert_eq!(text.from.as_str(), "+15557652345");
    assert_eq!(text.line.as_str(), "+15550007002");
    assert_eq!(text.body, "Need groceries please");

    let with_plus = INBOUND.replace("From=1555", "From=%2B1555");
    let text = parse_inbound(&form(&with_plus), us()).unwrap();
    assert_eq!(text.from.as_str(), "+15557652345");
}

#[test]
fn a_picture_message_keeps_its_words_and_its_media_however_they_are_numbered() {
    let base = "To=15550007002&From=15557652345&Type=mms&MessageUUID=9b1c&Body=Our+fridge";
    for media in [
        "MediaCount=2&Media0=https%3A%2F%2Fmedia.plivo.com%2Fa.jpg&Media1=https%3A%2F%2Fmedia.plivo.com%2Fb.jpg",
        "MediaCount=2&Media1=https%3A%2F%2Fmedia.plivo.com%2Fa.jpg&Media2=https%3A%2F%2Fmedia.plivo.com%2Fb.jpg",
    ] {
        let text = parse_inbound(&form(&format!("{base}&{media}")), us()).unwrap();
        assert_eq!(text.body, "Our fridge");
        let urls: Vec<&str> = text.media.iter().map(|m| m.url.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://media.plivo.com/a.jpg",
                "https://media.plivo.com/b.jpg"
            ]
        );
    }
}

#[test]
fn a_huge_media_count_reads_only_the_pictures_present_up_to_plivos_maximum() {
    let base = "To=15550007002&From=15557652345&Type=mms&MessageUUID=9b1c&Body=Look";
    let one = format!("{base}&MediaCount=4294967295&Media1=https%3A%2F%2Fm%2Fa.jpg");
    let text = crate::gateway::twilio::tests::within_a_second(move || {
        parse_inbound(&form(&one), us()).map(|t| t.media.len())
    });
    assert_eq!(text, Ok(1));

    let mut many = format!("{base}&MediaCount=12");
    for i in 1..=12 {
        many.push_str(&format!("&Media{i}=u{i}"));
    }
    let text = parse_inbound(&form(&many), us()).unwrap();
    assert_eq!(text.media.len(), 10);
    assert_eq!(text.media[9].url, "u10");
}

#[test]
fn a_malformed_payload_names_the_field() {
    let cases = [
        (INBOUND.replace("&From=15557652345", ""), "From"),
        (INBOUND.replace("From=15557652345", "From=nobody"), "From"),
        (INBOUND.replace("From=15557652345", "From=12345"), "From"),
        (
            INBOUND.replace("From=15557652345", "From=14155550100%3Bext%3D2"),
            "From",
        ),
        (INBOUND.replace("To=15550007002", "To="), "To"),
        (INBOUND.replace("&MessageUUID=", "&Id="), "MessageUUID"),
        (format!("{INBOUND}&MediaCount=lots"), "MediaCount"),
    ];
    for (body, field) in cases {
        let error = parse_inbound(&form(&body), us()).unwrap_err();
        assert!(
            error.to_string().contains(&format!("`{field}`")),
            "{body}: {error}"
        );
    }
    assert_eq!(
        parse_status(&form("MessageUUID=83876bdb")).unwrap_err(),
        PayloadError::Missing("Status")
    );
}

#[test]
fn delivery_reports_map_to_our_states_and_parts_report_under_the_first() {
    // Plivo's recorded report for a one-part text.
    let recorded = "Status=delivered&From=13342031111&ParentMessageUUID=83876bdb-2033-4876-bfaf-0ff8693705af&TotalRate=0.0025&MCC=405&PartInfo=1+of+1&ErrorCode=&To=918553651111&Units=1&TotalAmount=0.0025&MNC=803&MessageUUID=83876bdb-2033-4876-bfaf-0ff8693705af";
    let report = parse_status(&form(recorded)).unwrap();
    assert_eq!(report.gateway_id, "83876bdb-2033-4876-bfaf-0ff8693705af");
    assert_eq!(report.state, Some(DeliveryState::Delivered));
    assert_eq!(report.error_code, None);
    assert!(!report.recipient_opted_out);

    let second_part = "Status=sent&MessageUUID=2222&ParentMessageUUID=1111&PartInfo=2+of+2";
    assert_eq!(parse_status(&form(second_part)).unwrap().gateway_id, "1111");
    let no_parent = "Status=sent&MessageUUID=1111&ParentMessageUUID=";
    assert_eq!(parse_status(&form(no_parent)).unwrap().gateway_id, "1111");

    for (status, state) in [
        ("queued", None),
        ("sent", Some(DeliveryState::Sent)),
        ("delivered", Some(DeliveryState::Delivered)),
        ("read", Some(DeliveryState::Delivered)),
        ("undelivered", Some(DeliveryState::Undelivered)),
        ("failed", Some(DeliveryState::Failed)),
        ("rejected", Some(DeliveryState::Failed)),
    ] {
        let report = parse_status(&form(&format!("MessageUUID=1111&Status={status}"))).unwrap();
        assert_eq!(report.state, state, "{status}");
    }

    let opted_out = parse_status(&form("MessageUUID=1111&Status=failed&ErrorCode=200")).unwrap();
    assert!(opted_out.recipient_opted_out);
    let bad_number = parse_status(&form("MessageUUID=1111&Status=failed&ErrorCode=50")).unwrap();
    assert!(!bad_number.recipient_opted_out);
    assert_eq!(bad_number.error_code.as_deref(), Some("50"));
}

#[test]
fn at_the_single_address_a_status_field_marks_a_delivery_report() {
    let headers = HeaderMap::new();
    let read = |body: &'static str| {
        let hook = Webhook {
            hook: Hook::Events,
            ..post(&headers, body)
        };
        gateway(TOKEN).parse(&hook, us()).unwrap()
    };
    assert!(matches!(read(INBOUND)[..], [Event::Text(_)]));
    assert!(matches!(
        read("MessageUUID=1111&Status=delivered")[..],
        [Event::Delivery(_)]
    ));
}

#[test]
fn send_errors_are_sorted_by_what_to_do_next() {
    let answer = |status, body: &str| crate::gateway::Answer {
        status,
        retry_after: (status == 429).then(|| std::time::Duration::from_secs(30)),
        body: body.to_string(),
    };
    let invalid = send_error(&answer(
        400,
        r#"{"api_id": "b9e3", "error": "invalid dst parameter"}"#,
    ));
    assert_eq!(
        invalid,
        SendError::Permanent {
            status: Some(400),
            code: None,
            detail: "Plivo answered 400: invalid dst parameter".into()
        }
    );
    let fields = send_error(&answer(400, r#"{"error": {"dst": ["required"]}}"#));
    assert!(matches!(fields, SendError::Permanent { detail, .. } if detail.contains("dst")));
    assert!(matches!(
        send_error(&answer(401, "")),
        SendError::Permanent { .. }
    ));
    assert_eq!(
        send_error(&answer(429, r#"{"error": "too many requests"}"#)),
        SendError::Retryable {
            status: Some(429),
            code: None,
            detail: "Plivo answered 429: too many requests".into(),
            retry_after: Some(std::time::Duration::from_secs(30)),
        }
    );
    assert!(matches!(
        send_error(&answer(503, "<html>down</html>")),
        SendError::Retryable { .. }
    ));
}

#[test]
fn settings_default_to_plivos_api_and_refuse_unknown_keys() {
    let shown = format!("{:?}", gateway(TOKEN));
    assert!(shown.contains("\"api.plivo.com\""), "{shown}");
    assert!(!shown.contains(TOKEN), "the token stays hidden: {shown}");
    let err = line("auth_id = \"MA\"\nauth_token = \"t\"\nsigning_key = \"k\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("signing_key"), "{err}");
    let plivo = gateway(TOKEN);
    assert_eq!(plivo.default_opt_out_replies(), OptOutReplies::Gateway);
    assert_eq!(plivo.acknowledgement(), Acknowledgement::Empty);
}
