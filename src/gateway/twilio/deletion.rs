//! Deleting a text at a Twilio-style Messages API (Twilio's, a SignalWire space's): the message
//! goes, and at Twilio its pictures with it.

use std::time::Duration;

use crate::gateway::send::{call, error_from_status};
use crate::gateway::{DeleteFuture, Deletion, SendError, message_api_id};

/// Twilio's code for a message still on its way, which cannot be deleted yet.
const IN_PROGRESS: i64 = 20009;
/// Twilio asks for at least a minute before trying again.
const IN_PROGRESS_WAIT: Duration = Duration::from_secs(60);

/// Deletes message `id` under `messages_url` (the account's `.../Messages`), with Basic auth;
/// a message already gone counts as deleted.
pub(in crate::gateway) fn delete_message<'a>(
    http: &'a reqwest::Client,
    messages_url: String,
    id: &'a str,
    user: &'a str,
    password: &'a str,
    provider: &'static str,
) -> DeleteFuture<'a> {
    Box::pin(async move {
        let id = message_api_id(id)?;
        let request = http
            .delete(format!("{messages_url}/{id}.json"))
            .basic_auth(user, Some(password));
        let answer = call(request, provider).await?;
        if answer.is_success() || answer.status == 404 {
            return Ok(Deletion::Deleted);
        }
        let code = serde_json::from_str::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|body| body["code"].as_i64());
        let detail = format!(
            "{provider} answered {} to deleting a message",
            answer.status
        );
        if code == Some(IN_PROGRESS) {
            return Err(SendError::Retryable {
                status: Some(answer.status),
                code: code.map(|c| c.to_string()),
                detail,
                retry_after: Some(answer.retry_after.unwrap_or(IN_PROGRESS_WAIT)),
            });
        }
        Err(error_from_status(
            &answer,
            code.map(|c| c.to_string()),
            detail,
        ))
    })
}
