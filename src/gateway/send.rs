//! What every provider's send shares: one HTTP call read whole, `Retry-After`, and the fallback
//! reading of an HTTP status when the provider's own error codes do not settle it.

use std::time::Duration;

use super::SendError;

/// A provider API's answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<Duration>,
    pub body: String,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON of the shape `T`; a success with an unreadable body is worth retrying
    /// only if the provider did not take the text, which we cannot know, so it is permanent.
    pub fn json<T: serde::de::DeserializeOwned>(&self, provider: &str) -> Result<T, SendError> {
        serde_json::from_str(&self.body).map_err(|e| SendError::Permanent {
            status: Some(self.status),
            code: None,
            detail: format!(
                "{provider} answered {} with a body we could not read: {e}",
                self.status
            ),
        })
    }
}

/// Sends a request; a provider that cannot be reached (or times out) is worth trying again.
pub async fn call(request: reqwest::RequestBuilder, provider: &str) -> Result<Answer, SendError> {
    let response = request.send().await.map_err(|e| SendError::Retryable {
        status: None,
        code: None,
        detail: format!("could not reach {provider}: {}", e.without_url()),
        retry_after: None,
    })?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let body = response.text().await.unwrap_or_default();
    Ok(Answer {
        status,
        retry_after,
        body,
    })
}

/// 408, 429 and 5xx are worth another try; any other failure is permanent.
pub fn error_from_status(answer: &Answer, code: Option<String>, detail: String) -> SendError {
    match answer.status {
        408 | 429 | 500..=599 => SendError::Retryable {
            status: Some(answer.status),
            code,
            detail,
            retry_after: answer.retry_after,
        },
        _ => SendError::Permanent {
            status: Some(answer.status),
            code,
            detail,
        },
    }
}

/// The error of an API that explains a failure in a top-level `message` field.
pub fn error_with_message(answer: &Answer, provider: &str) -> SendError {
    #[derive(serde::Deserialize)]
    struct Explained {
        message: Option<String>,
    }
    let message = serde_json::from_str::<Explained>(&answer.body)
        .ok()
        .and_then(|e| e.message);
    let detail = format!(
        "{provider} answered {}: {}",
        answer.status,
        message.as_deref().unwrap_or("no message")
    );
    error_from_status(answer, None, detail)
}

/// Downloads a file a provider holds (a recording): its bytes and type on success, else the
/// failure sorted as a send's would be.
pub async fn fetch_bytes(
    request: reqwest::RequestBuilder,
    provider: &str,
) -> Result<super::Audio, SendError> {
    let unreachable = |e: reqwest::Error| SendError::Retryable {
        status: None,
        code: None,
        detail: format!("could not reach {provider}: {}", e.without_url()),
        retry_after: None,
    };
    let response = request.send().await.map_err(unreachable)?;
    let status = response.status().as_u16();
    if !response.status().is_success() {
        let answer = Answer {
            status,
            retry_after: None,
            body: response.text().await.unwrap_or_default(),
        };
        let detail = format!("{provider} answered {status} to a recording download");
        return Err(error_from_status(&answer, None, detail));
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("audio/mpeg")
        .to_string();
    let bytes = response.bytes().await.map_err(unreachable)?.to_vec();
    Ok(super::Audio {
        bytes,
        content_type,
    })
}

/// Deletes something a provider holds for us (a recording, a transcription); one already gone
/// (404) counts as deleted, which is what we wanted.
pub async fn delete_held(
    request: reqwest::RequestBuilder,
    provider: &str,
    what: &str,
) -> Result<super::Deletion, SendError> {
    let answer = call(request, provider).await?;
    if answer.is_success() || answer.status == 404 {
        return Ok(super::Deletion::Deleted);
    }
    let detail = format!("{provider} answered {} to deleting a {what}", answer.status);
    Err(error_from_status(&answer, None, detail))
}

/// Downloads a recording whose download address the provider's API gives rather than one we can
/// build: `lookup` asks the API about the recording, `address` reads the download address from
/// its answer, and `download` makes the request for that address.
pub async fn fetch_listed(
    lookup: reqwest::RequestBuilder,
    provider: &str,
    address: impl FnOnce(&Answer) -> Result<String, SendError>,
    download: impl FnOnce(String) -> reqwest::RequestBuilder,
) -> Result<super::Audio, SendError> {
    let answer = call(lookup, provider).await?;
    if !answer.is_success() {
        let detail = format!(
            "{provider} answered {} to a recording lookup",
            answer.status
        );
        return Err(error_from_status(&answer, None, detail));
    }
    fetch_bytes(download(address(&answer)?), provider).await
}
