//! Vonage keeps its own record of every text it carries. It has no call to delete one, but its
//! Redact API blanks the words and masks the number in that record, which is what forgetting
//! someone asks of it. Vonage refuses to redact a text younger than about an hour
//! ("premature-redaction"): such a refusal is tried again an hour later.

use std::time::Duration;

use reqwest::Url;
use serde::Serialize;

use crate::gateway::send::{call, error_from_status};
use crate::gateway::{DeleteFuture, Deletion, SendError, TextWay, message_api_id};

/// How long Vonage asks to wait after a text before redacting it.
const TOO_SOON_WAIT: Duration = Duration::from_secs(60 * 60);

/// The product a record belongs to, in the Redact API's words.
#[derive(Debug, Clone, Copy)]
pub(super) enum Product {
    /// The SMS API's texts.
    Sms,
    /// The Messages API's.
    Messages,
}

#[derive(Serialize)]
struct Transaction<'a> {
    id: &'a str,
    product: &'static str,
    #[serde(rename = "type")]
    way: &'static str,
}

/// Asks the Redact API at `base` to blank text `id` of `product`, under the account's key and
/// secret.
pub(super) fn redact<'a>(
    http: &'a reqwest::Client,
    base: &'a Url,
    product: Product,
    id: &'a str,
    way: TextWay,
    (key, secret): (&'a str, &'a str),
) -> DeleteFuture<'a> {
    Box::pin(async move {
        let id = message_api_id(id)?;
        let transaction = Transaction {
            id: &id,
            product: match product {
                Product::Sms => "sms",
                Product::Messages => "messages",
            },
            way: match way {
                TextWay::In => "inbound",
                TextWay::Out => "outbound",
            },
        };
        let url = format!(
            "{}/v1/redact/transaction",
            base.as_str().trim_end_matches('/')
        );
        let request = http
            .post(url)
            .basic_auth(key, Some(secret))
            .json(&transaction);
        let answer = call(request, "Vonage").await?;
        // 404: Vonage holds no such record, so there is nothing left to blank.
        if answer.is_success() || answer.status == 404 {
            return Ok(Deletion::Deleted);
        }
        let detail = format!("Vonage answered {} to redacting a text", answer.status);
        if answer.body.contains("premature-redaction") {
            return Err(SendError::Retryable {
                status: Some(answer.status),
                code: Some("premature-redaction".into()),
                detail,
                retry_after: Some(TOO_SOON_WAIT),
            });
        }
        Err(error_from_status(&answer, None, detail))
    })
}
