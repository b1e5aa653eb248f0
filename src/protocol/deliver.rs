//! Delivering a rendered answer: a PUT to the pre-signed `ResponseURL`, retried with jittered backoff
//! on connection errors and 5xx answers, until the deadline.

use std::time::Duration;

use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use backon::{ExponentialBuilder, Retryable};
use tokio::time::Instant;

use super::response_url::redact_url;
use crate::https::Https;

/// How long one PUT may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// One PUT of `body` with an empty `Content-Type` (the pre-signed URL's signature covers no content
/// type); the HTTP status, or why there was none.
async fn put(https: &Https, url: &str, body: Vec<u8>) -> Result<u16, DeliveryError> {
    let mut request = HttpRequest::new(SdkBody::from(body));
    request.set_method("PUT").map_err(|err| DeliveryError::BadUrl {
        detail: err.to_string(),
    })?;
    request.set_uri(url).map_err(|err| DeliveryError::BadUrl {
        detail: err.to_string(),
    })?;
    request.headers_mut().insert("content-type", "");
    let response = tokio::time::timeout(ATTEMPT_TIMEOUT, https.connector().call(request))
        .await
        .map_err(|_| DeliveryError::NoAnswer {
            seconds: ATTEMPT_TIMEOUT.as_secs(),
        })?
        .map_err(|err| DeliveryError::Unreachable {
            detail: DisplayErrorContext(&err).to_string(),
        })?;
    Ok(response.status().as_u16())
}

/// Why an answer could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The URL answered with an HTTP error status.
    #[error("ResponseURL answered HTTP {status}")]
    Status {
        /// The HTTP status.
        status: u16,
    },
    /// The request got no HTTP answer in time.
    #[error("could not reach ResponseURL: no answer within {seconds} s")]
    NoAnswer {
        /// How long one attempt waits.
        seconds: u64,
    },
    /// The request could not be sent, or its connection failed.
    #[error("could not reach ResponseURL: {detail}")]
    Unreachable {
        /// The connector's error.
        detail: String,
    },
    /// The URL is not one an HTTP request can be sent to.
    #[error("ResponseURL is not a valid URL: {detail}")]
    BadUrl {
        /// What is wrong with it.
        detail: String,
    },
    /// The Lambda deadline came before a delivery succeeded.
    #[error("the Lambda deadline passed before ResponseURL accepted the answer")]
    OutOfTime,
}

impl DeliveryError {
    fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Status { status } => *status >= 500 || *status == 429,
            DeliveryError::NoAnswer { .. } | DeliveryError::Unreachable { .. } => true,
            DeliveryError::BadUrl { .. } | DeliveryError::OutOfTime => false,
        }
    }
}

/// How often and how fast a failed PUT is retried: 6 attempts, jittered exponential backoff from 200 ms.
fn delivery_backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(5)
        .with_jitter()
}

/// PUTs `body` to the pre-signed `url`, retrying connection errors and 5xx answers, until `until` if a
/// deadline is known.
pub async fn deliver(https: &Https, url: &str, body: Vec<u8>, until: Option<Instant>) -> Result<(), DeliveryError> {
    let attempt = || async {
        match put(https, url, body.clone()).await? {
            status if (200..300).contains(&status) => Ok(()),
            status => Err(DeliveryError::Status { status }),
        }
    };
    let retried = attempt
        .retry(delivery_backoff())
        .when(DeliveryError::is_retryable)
        .notify(|err, delay| {
            tracing::warn!(url = %redact_url(url), error = %err, retry_in_ms = delay.as_millis() as u64, "answer not delivered yet");
        });
    match until {
        Some(until) => tokio::time::timeout_at(until, retried)
            .await
            .unwrap_or(Err(DeliveryError::OutOfTime)),
        None => retried.await,
    }
}

#[cfg(test)]
mod tests;
