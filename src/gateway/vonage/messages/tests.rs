use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{DecodingKey, Validation, decode};

use super::*;
use crate::gateway::jwt::LEEWAY_S;
use crate::gateway::settings::first_line;

/// When the tokens below were issued.
const ISSUED: i64 = 1738584865;

fn us() -> Region {
    "US".parse().unwrap()
}

fn object(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json).unwrap() {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

// The vector from Vonage's own Python SDK tests; its `exp` is in the year 3023, and it carries no
// `payload_hash`.
const SDK_SECRET: &str = "qwertyuiopasdfghjklzxcvbnm123456";
const SDK_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJPbmxpbmUgSldUIEJ1aWxkZXIiLCJpYXQiOjE2OTc2MzQ2ODAsImV4cCI6MzMyNTQ1NDA4MjgsImF1ZCI6IiIsInN1YiI6IiJ9.88vJc3I2HhuqEDixHXVhc9R30tA6U_HQHZTC29y6CGM";
const SDK_IAT: i64 = 1697634680;

#[test]
fn the_published_token_checks_out_with_its_secret_but_binds_no_body() {
    assert_eq!(
        verify_token(SDK_SECRET, SDK_TOKEN, Some(&b"{}"[..]), SDK_IAT),
        Err(AuthError::Rejected(
            "the token does not carry the body's hash"
        ))
    );
    assert_eq!(
        verify_token("asdf", SDK_TOKEN, Some(&b"{}"[..]), SDK_IAT),
        Err(AuthError::BadSignature)
    );
    assert!(matches!(
        verify_token(SDK_SECRET, "not.a.token", Some(&b"{}"[..]), SDK_IAT),
        Err(AuthError::Rejected(_))
    ));
}

const SECRET: &str = "a-signature-secret-of-32-bytes!!";
/// An inbound text as the Messages API sends it (numbers made up).
const INBOUND: &str = r#"{"channel":"sms","message_uuid":"aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab","to":"447700900000","from":"447700900001","timestamp":"2025-02-03T12:14:25Z","text":"Hello","message_type":"text"}"#;
const INBOUND_HASH: &str = "e8a5f5ab1f9b7cbaccfcbf9499df262a31f990913557fc4340164bb9b993bb54";

/// A token shaped like Vonage's: no `exp`, the body's hash in `payload_hash`.
fn vonage_token(alg: Algorithm, secret: &str, payload_hash: Option<&str>) -> String {
    let mut claims = serde_json::json!({
        "iat": ISSUED,
        "jti": "c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5",
        "iss": "Vonage",
        "api_key": "a1b2c3d",
        "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    });
    if let Some(hash) = payload_hash {
        claims["payload_hash"] = hash.into();
    }
    encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[test]
fn a_token_binds_the_body_by_its_hash() {
    assert_eq!(hex::encode(Sha256::digest(INBOUND)), INBOUND_HASH);
    let token = vonage_token(Algorithm::HS256, SECRET, Some(INBOUND_HASH));
    assert_eq!(
        verify_token(SECRET, &token, Some(INBOUND.as_bytes()), ISSUED),
        Ok(())
    );
    let upper = vonage_token(
        Algorithm::HS256,
        SECRET,
        Some(&INBOUND_HASH.to_ascii_uppercase()),
    );
    assert_eq!(
        verify_token(SECRET, &upper, Some(INBOUND.as_bytes()), ISSUED),
        Ok(())
    );

    let changed = INBOUND.replace("Hello", "STOP");
    assert_eq!(
        verify_token(SECRET, &token, Some(changed.as_bytes()), ISSUED),
        Err(AuthError::Rejected(
            "the body is not the one the token was issued for"
        ))
    );
    assert_eq!(
        verify_token("another-secret", &token, Some(INBOUND.as_bytes()), ISSUED),
        Err(AuthError::BadSignature)
    );
}

#[test]
fn a_token_issued_more_than_a_few_minutes_ago_or_without_the_hash_is_refused() {
    let token = vonage_token(Algorithm::HS256, SECRET, Some(INBOUND_HASH));
    let body = INBOUND.as_bytes();
    let latest = ISSUED + MAX_TOKEN_AGE_S + LEEWAY_S;
    assert_eq!(verify_token(SECRET, &token, Some(body), latest), Ok(()));
    assert_eq!(
        verify_token(SECRET, &token, Some(body), ISSUED + 3600),
        Err(AuthError::Rejected("the token was issued too long ago"))
    );
    let unhashed = vonage_token(Algorithm::HS256, SECRET, None);
    assert_eq!(
        verify_token(SECRET, &unhashed, Some(body), ISSUED),
        Err(AuthError::Rejected(
            "the token does not carry the body's hash"
        ))
    );
}

#[test]
fn a_bodyless_get_needs_no_hash_but_a_hash_it_carries_must_be_the_empty_bodys() {
    const EMPTY_HASH: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let unhashed = vonage_token(Algorithm::HS256, SECRET, None);
    assert_eq!(verify_token(SECRET, &unhashed, None, ISSUED), Ok(()));
    let empty = vonage_token(Algorithm::HS256, SECRET, Some(EMPTY_HASH));
    assert_eq!(verify_token(SECRET, &empty, None, ISSUED), Ok(()));
    let for_a_body = vonage_token(Algorithm::HS256, SECRET, Some(INBOUND_HASH));
    assert_eq!(
        verify_token(SECRET, &for_a_body, None, ISSUED),
        Err(AuthError::Rejected(
            "the body is not the one the token was issued for"
        ))
    );
    assert_eq!(
        verify_token("another-secret", &unhashed, None, ISSUED),
        Err(AuthError::BadSignature)
    );
    assert_eq!(
        verify_token(SECRET, &unhashed, None, ISSUED + 3600),
        Err(AuthError::Rejected("the token was issued too long ago"))
    );
}

#[test]
fn only_hs256_tokens_are_accepted() {
    let hs512 = vonage_token(Algorithm::HS512, SECRET, Some(INBOUND_HASH));
    assert_eq!(
        verify_token(SECRET, &hs512, Some(INBOUND.as_bytes()), ISSUED),
        Err(AuthError::Rejected("the token is not signed with HS256"))
    );
    // `alg: none`, with the claims of a good token and no signature.
    let good = vonage_token(Algorithm::HS256, SECRET, Some(INBOUND_HASH));
    let claims = good.split('.').nth(1).unwrap();
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{claims}.");
    assert!(matches!(
        verify_token(SECRET, &unsigned, Some(INBOUND.as_bytes()), ISSUED),
        Err(AuthError::Rejected(_))
    ));
}

#[test]
fn an_inbound_payload_becomes_an_inbound_text() {
    let Event::Text(text) = read_inbound(&object(INBOUND), us()).unwrap() else {
        panic!("a text");
    };
    assert_eq!(text.gateway, "vonage_messages");
    assert_eq!(
        text.gateway_id.as_deref(),
        Some("aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab")
    );
    assert_eq!(text.from.as_str(), "+447700900001");
    assert_eq!(text.line.as_str(), "+447700900000");
    assert_eq!(text.body, "Hello");
}

#[test]
fn messages_on_other_channels_are_ignored() {
    let whatsapp = object(&INBOUND.replace(r#""channel":"sms""#, r#""channel":"whatsapp""#));
    assert_eq!(read_inbound(&whatsapp, us()).unwrap(), Event::Ignored);
    let image = object(&INBOUND.replace(r#""message_type":"text""#, r#""message_type":"image""#));
    assert_eq!(read_inbound(&image, us()).unwrap(), Event::Ignored);
}

#[test]
fn a_malformed_payload_names_the_field() {
    let cases = [
        (INBOUND.replace(r#""from":"447700900001","#, ""), "from"),
        (
            INBOUND.replace(r#""from":"447700900001""#, r#""from":447700900001"#),
            "from",
        ),
        (
            INBOUND.replace(
                r#""message_uuid":"aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab""#,
                r#""message_uuid":"""#,
            ),
            "message_uuid",
        ),
        (INBOUND.replace(r#""channel":"sms","#, ""), "channel"),
        (
            INBOUND.replace(r#""to":"447700900000""#, r#""to":"nobody""#),
            "to",
        ),
    ];
    for (body, field) in cases {
        let error = read_inbound(&object(&body), us()).unwrap_err();
        assert!(
            error.to_string().contains(&format!("`{field}`")),
            "{error} should name {field}"
        );
    }
}

#[test]
fn status_reports_map_to_our_states() {
    let submitted = object(
        r#"{"message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab","to":"447700900000","from":"447700900001","timestamp":"2023-05-01T14:00:00.000Z","status":"submitted","usage":{"currency":"EUR","price":"0.0333"},"channel":"sms"}"#,
    );
    let report = read_status(&submitted).unwrap();
    assert_eq!(report.gateway_id, "aaaaaaaa-bbbb-cccc-dddd-0123456789ab");
    assert_eq!(report.state, Some(DeliveryState::Sent));
    assert_eq!(report.error_code, None);

    let rejected = object(
        r#"{"message_uuid":"u1","status":"rejected","channel":"sms","error":{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1000","title":1000,"detail":"Throttled - You have exceeded the submission capacity allowed on this account.","instance":"bf0ca0bf927b3b52e3cb03217e1a1ddf"}}"#,
    );
    let report = read_status(&rejected).unwrap();
    assert_eq!(report.state, Some(DeliveryState::Failed));
    assert_eq!(report.error_code.as_deref(), Some("1000"));
    assert!(!report.recipient_opted_out);

    for (status, state) in [
        ("delivered", Some(DeliveryState::Delivered)),
        ("undeliverable", Some(DeliveryState::Failed)),
        ("read", Some(DeliveryState::Delivered)),
        ("clicked", None),
    ] {
        let report = read_status(&object(&format!(
            r#"{{"message_uuid":"u1","status":"{status}"}}"#
        )))
        .unwrap();
        assert_eq!(report.state, state, "{status}");
    }
    assert_eq!(
        read_status(&object(r#"{"status":"delivered"}"#)).unwrap_err(),
        PayloadError::Missing("message_uuid")
    );
}

#[test]
fn an_error_code_comes_from_the_type_address_or_else_the_title() {
    let code = |json: &str| error_code(&serde_json::from_str(json).unwrap());
    assert_eq!(
        code(r#"{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1120","title":"Invalid sender"}"#).as_deref(),
        Some("1120")
    );
    assert_eq!(code(r#"{"title":1320}"#).as_deref(), Some("1320"));
    assert_eq!(
        code(r#"{"type":"https://developer.nexmo.com/api-errors/#"}"#),
        None
    );
}

fn answer(status: u16, body: &str) -> Answer {
    Answer {
        status,
        retry_after: None,
        body: body.to_string(),
    }
}

#[test]
fn send_refusals_are_sorted_by_what_to_do_next() {
    let limited = answer(
        429,
        r#"{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1010","title":"Rate Limit Hit","detail":"Please wait, then retry your request","instance":"bf0ca0bf927b3b52e3cb03217e1a1ddf"}"#,
    );
    assert!(matches!(refusal(&limited), SendError::Retryable { .. }));
    assert!(matches!(
        refusal(&answer(503, "")),
        SendError::Retryable { .. }
    ));
    let bad_sender = answer(
        422,
        r#"{"type":"https://developer.nexmo.com/api-errors/messages-olympus#1120","title":"Invalid sender","detail":"The `from` parameter is invalid for the given channel.","instance":"bf0ca0bf927b3b52e3cb03217e1a1ddf"}"#,
    );
    assert_eq!(
        refusal(&bad_sender),
        SendError::Permanent {
            status: Some(422),
            code: Some("1120".into()),
            detail: "Vonage answered 422: Invalid sender".into()
        }
    );
    let unauthorised = answer(
        401,
        r#"{"type":"https://developer.nexmo.com/api-errors/#unathorized","title":"You did not provide correct credentials."}"#,
    );
    assert!(matches!(
        refusal(&unauthorised),
        SendError::Permanent { .. }
    ));
}

const TEST_KEY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/vonage_test_key.pem"
));

#[test]
fn a_send_token_is_rs256_for_the_application_and_short_lived() {
    let key = private_key::SigningKey::from_pem(TEST_KEY).unwrap();
    let token = send_token("app-1", key.encoding_key()).unwrap();
    let public = Jwk::from_encoding_key(key.encoding_key(), Algorithm::RS256).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp"]);
    let data = decode::<Value>(
        &token,
        &DecodingKey::from_jwk(&public).unwrap(),
        &validation,
    )
    .unwrap();
    assert_eq!(data.header.alg, Algorithm::RS256);
    let claims = data.claims;
    assert_eq!(claims["application_id"], "app-1");
    let (iat, exp) = (
        claims["iat"].as_u64().unwrap(),
        claims["exp"].as_u64().unwrap(),
    );
    assert_eq!(exp - iat, TOKEN_LIFETIME_S);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 32);
    let again = send_token("app-1", key.encoding_key()).unwrap();
    assert_ne!(token, again, "each token has its own jti");
}

fn configured(table: &str) -> Result<Arc<dyn Gateway>, SettingError> {
    let table = format!("signature_secret = \"s\"\n{table}");
    first_line("vonage_messages", "+15550100177", &table)
}

#[test]
fn a_line_sends_as_an_application_or_with_the_api_key_but_not_both() {
    let application = format!("application_id = \"app-1\"\nprivate_key = \"\"\"{TEST_KEY}\"\"\"\n");
    assert!(configured(&application).is_ok());
    assert!(configured("api_key = \"k\"\napi_secret = \"s\"\n").is_ok());

    for table in [
        String::new(),
        "api_key = \"k\"\n".to_string(),
        format!("{application}api_key = \"k\"\napi_secret = \"s\"\n"),
    ] {
        let error = configured(&table).unwrap_err().to_string();
        assert!(error.starts_with("lines[0].vonage_messages:"), "{error}");
    }
    let error = configured("application_id = \"app-1\"\nprivate_key = \"nope\"\n")
        .unwrap_err()
        .to_string();
    assert!(
        error.starts_with("lines[0].vonage_messages.private_key: is not a PEM"),
        "{error}"
    );
}

#[test]
fn the_private_key_never_shows_in_debug_output() {
    let application = format!("application_id = \"app-1\"\nprivate_key = \"\"\"{TEST_KEY}\"\"\"\n");
    let gateway = configured(&application).unwrap();
    let debug = format!("{gateway:?}");
    assert!(!debug.contains("MIIE"), "{debug}");
}
