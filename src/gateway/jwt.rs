//! HS256 bearer tokens on webhooks, signed with a secret shared with the provider (httpSMS, and
//! Vonage's Messages API). The algorithm is pinned, so a token cannot pick a weaker one, and `exp`
//! and `nbf` are read against the service clock rather than the system's, so tests can move time.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::de::DeserializeOwned;

use super::{AuthError, Webhook};

/// Slack for a provider clock that runs a little ahead of or behind ours.
pub(super) const LEEWAY_S: i64 = 60;

/// What a token must say besides being signed with the secret.
#[derive(Debug, Clone, Copy)]
pub struct Expect<'a> {
    /// The `iss` claim, when the provider sets one.
    pub issuer: Option<&'a str>,
    /// A value the `aud` claim (a string or a list) must hold, usually our webhook's URL.
    pub audience: Option<&'a str>,
    /// Refuse a token without `exp`: without it a leaked token would be good for ever.
    pub require_exp: bool,
    /// Refuse a token without `iat`, or issued longer ago than this many seconds: for a provider
    /// whose tokens carry no `exp`, the only bound on replaying one.
    pub max_age_s: Option<i64>,
    /// Seconds since the epoch on the service clock.
    pub now_s: i64,
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer<'a>(hook: &'a Webhook) -> Result<&'a str, AuthError> {
    let value = hook
        .header("authorization")
        .ok_or(AuthError::Missing("Authorization"))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(AuthError::Rejected(
            "the Authorization header is not a bearer token",
        )),
    }
}

/// Checks an HS256 token against `secret` and `expect`, and returns its claims as `C` (use
/// `serde::de::IgnoredAny` when none are needed).
pub fn verify_hs256<C: DeserializeOwned>(
    token: &str,
    secret: &[u8],
    expect: &Expect,
) -> Result<C, AuthError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.required_spec_claims.clear();
    if expect.require_exp {
        validation.required_spec_claims.insert("exp".into());
    }
    if let Some(issuer) = expect.issuer {
        validation.set_issuer(&[issuer]);
        validation.required_spec_claims.insert("iss".into());
    }
    match expect.audience {
        Some(audience) => {
            validation.set_audience(&[audience]);
            validation.required_spec_claims.insert("aud".into());
        }
        None => validation.validate_aud = false,
    }
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        token,
        &DecodingKey::from_secret(secret),
        &validation,
    )
    .map_err(|e| refusal(e.kind()))?
    .claims;
    let time = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(|t| Some(t as i64))
            .ok_or(AuthError::Rejected(
                "a time claim of the token is not a number",
            )),
    };
    if let Some(exp) = time("exp")?
        && exp.saturating_add(LEEWAY_S) < expect.now_s
    {
        return Err(AuthError::Rejected("the token has expired"));
    }
    if let Some(max_age) = expect.max_age_s {
        let Some(iat) = time("iat")? else {
            return Err(AuthError::Rejected(
                "the token does not say when it was issued",
            ));
        };
        if iat.saturating_add(max_age).saturating_add(LEEWAY_S) < expect.now_s {
            return Err(AuthError::Rejected("the token was issued too long ago"));
        }
        if iat.saturating_sub(LEEWAY_S) > expect.now_s {
            return Err(AuthError::Rejected("the token was issued in the future"));
        }
    }
    if let Some(nbf) = time("nbf")?
        && nbf.saturating_sub(LEEWAY_S) > expect.now_s
    {
        return Err(AuthError::Rejected("the token is not valid yet"));
    }
    serde_json::from_value(claims)
        .map_err(|_| AuthError::Rejected("the token's claims are not what the provider sends"))
}

fn refusal(kind: &ErrorKind) -> AuthError {
    match kind {
        ErrorKind::InvalidSignature => AuthError::BadSignature,
        ErrorKind::InvalidAlgorithm => AuthError::Rejected("the token is not signed with HS256"),
        ErrorKind::InvalidIssuer => AuthError::Rejected("the token names another issuer"),
        ErrorKind::InvalidAudience => AuthError::Rejected("the token is for another address"),
        ErrorKind::MissingRequiredClaim(_) => {
            AuthError::Rejected("the token lacks a required claim")
        }
        _ => AuthError::Rejected("the bearer token is malformed"),
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};
    use serde_json::json;

    use super::*;

    const SECRET: &[u8] = b"shared-secret";

    fn token(claims: serde_json::Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap()
    }

    fn expect(now_s: i64) -> Expect<'static> {
        Expect {
            issuer: Some("issuer"),
            audience: Some("https://example.com/hook"),
            require_exp: true,
            max_age_s: None,
            now_s,
        }
    }

    fn check(claims: serde_json::Value, expect: &Expect) -> Result<(), AuthError> {
        verify_hs256::<serde::de::IgnoredAny>(&token(claims), SECRET, expect).map(|_| ())
    }

    #[test]
    fn a_token_is_good_only_inside_its_window_on_the_given_clock() {
        let claims =
            json!({"iss": "issuer", "aud": ["https://example.com/hook"], "nbf": 1000, "exp": 2000});
        assert_eq!(check(claims.clone(), &expect(1500)), Ok(()));
        assert_eq!(check(claims.clone(), &expect(2000 + LEEWAY_S)), Ok(()));
        assert_eq!(
            check(claims.clone(), &expect(2001 + LEEWAY_S)),
            Err(AuthError::Rejected("the token has expired"))
        );
        assert_eq!(
            check(claims, &expect(999 - LEEWAY_S)),
            Err(AuthError::Rejected("the token is not valid yet"))
        );
    }

    #[test]
    fn the_audience_may_be_a_string_or_a_list_but_must_hold_ours() {
        let ok = json!({"iss": "issuer", "aud": "https://example.com/hook", "exp": 2000});
        assert_eq!(check(ok, &expect(1500)), Ok(()));
        let other = json!({"iss": "issuer", "aud": ["https://example.com/other"], "exp": 2000});
        assert_eq!(
            check(other, &expect(1500)),
            Err(AuthError::Rejected("the token is for another address"))
        );
        let none = json!({"iss": "issuer", "exp": 2000});
        assert_eq!(
            check(none, &expect(1500)),
            Err(AuthError::Rejected("the token lacks a required claim"))
        );
    }

    #[test]
    fn issuer_expiry_and_key_are_enforced_as_asked() {
        let wrong_iss = json!({"iss": "someone", "aud": "https://example.com/hook", "exp": 2000});
        assert_eq!(
            check(wrong_iss, &expect(1500)),
            Err(AuthError::Rejected("the token names another issuer"))
        );
        let no_exp = json!({"iss": "issuer", "aud": "https://example.com/hook"});
        assert!(check(no_exp.clone(), &expect(1500)).is_err());
        let lenient = Expect {
            issuer: None,
            audience: None,
            require_exp: false,
            max_age_s: None,
            now_s: 1500,
        };
        assert_eq!(check(no_exp.clone(), &lenient), Ok(()));
        assert_eq!(
            verify_hs256::<serde::de::IgnoredAny>(&token(no_exp), b"another-secret", &lenient)
                .map(|_| ()),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn with_a_maximum_age_a_token_must_say_when_it_was_issued_and_be_recent() {
        let expect = |now_s| Expect {
            issuer: None,
            audience: None,
            require_exp: false,
            max_age_s: Some(300),
            now_s,
        };
        let issued = json!({"iat": 10_000});
        assert_eq!(
            check(issued.clone(), &expect(10_000 + 300 + LEEWAY_S)),
            Ok(())
        );
        assert_eq!(
            check(issued.clone(), &expect(10_000 + 3600)),
            Err(AuthError::Rejected("the token was issued too long ago"))
        );
        assert_eq!(
            check(issued, &expect(10_000 - LEEWAY_S - 1)),
            Err(AuthError::Rejected("the token was issued in the future"))
        );
        assert_eq!(
            check(json!({"jti": "x"}), &expect(10_000)),
            Err(AuthError::Rejected(
                "the token does not say when it was issued"
            ))
        );
    }

    #[test]
    fn another_algorithm_or_garbage_is_refused() {
        let claims = json!({"iss": "issuer", "aud": "https://example.com/hook", "exp": 2000});
        let hs512 = encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap();
        assert!(verify_hs256::<serde::de::IgnoredAny>(&hs512, SECRET, &expect(1500)).is_err());
        assert!(
            verify_hs256::<serde::de::IgnoredAny>("not.a.token", SECRET, &expect(1500)).is_err()
        );
    }

    #[test]
    fn the_claims_come_back_for_the_caller_to_read() {
        #[derive(serde::Deserialize)]
        struct Claims {
            payload_hash: String,
        }
        let claims: Claims = verify_hs256(
            &token(json!({"payload_hash": "abc", "exp": 2000})),
            SECRET,
            &Expect {
                issuer: None,
                audience: None,
                require_exp: true,
                max_age_s: None,
                now_s: 1500,
            },
        )
        .unwrap();
        assert_eq!(claims.payload_hash, "abc");
    }
}
