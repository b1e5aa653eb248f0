//! Turning a handler's result into CloudFormation's answer, and delivering it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::cloudformation::{
    CloudFormationCustomResourceResponse, CloudFormationCustomResourceResponseStatus as Status,
};
use aws_smithy_runtime_api::client::http::HttpConnector;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use backon::{ExponentialBuilder, Retryable};
use tokio::time::Instant;

use super::request::{Envelope, redact_url};
use crate::https::Https;

/// CloudFormation rejects a custom-resource response larger than this.
pub const MAX_RESPONSE_BYTES: usize = 4096;

/// What a resource handler returns when it succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    /// The resource's PhysicalResourceId.
    pub physical_resource_id: String,
    /// The attributes that `Fn::GetAtt` reads.
    pub data: BTreeMap<String, String>,
    /// Hide `data` from `describe-stack-events` and the console (for secret values).
    pub no_echo: bool,
}

impl Outcome {
    /// A successful answer with no attributes.
    pub fn id(physical_resource_id: impl Into<String>) -> Self {
        Outcome {
            physical_resource_id: physical_resource_id.into(),
            ..Outcome::default()
        }
    }
}

/// The answer to one request, before it is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The request succeeded.
    Success(Outcome),
    /// The request failed.
    Failed {
        /// The PhysicalResourceId CloudFormation will use for the rollback.
        physical_resource_id: String,
        /// One readable sentence.
        reason: String,
    },
}

/// The rendered answer: its final status (a SUCCESS too large to send becomes FAILED) and body.
#[derive(Debug)]
pub struct Rendered {
    /// The answer actually sent.
    pub answer: Answer,
    /// The JSON body, at most [`MAX_RESPONSE_BYTES`] long.
    pub body: Vec<u8>,
}

/// Renders the JSON body CloudFormation reads, keeping it within [`MAX_RESPONSE_BYTES`]: attributes
/// that do not fit turn the answer into FAILED (never a silently cut value); a long reason is cut.
pub fn render(envelope: &Envelope, answer: Answer, log_stream: &str) -> Rendered {
    match answer {
        Answer::Success(outcome) => {
            let reason = format!("See the details in CloudWatch Log Stream: {log_stream}");
            let body = to_json(
                envelope,
                Status::Success,
                &outcome.physical_resource_id,
                &reason,
                &outcome,
            );
            if body.len() <= MAX_RESPONSE_BYTES {
                return Rendered {
                    answer: Answer::Success(outcome),
                    body,
                };
            }
            let reason = format!(
                "the resource's attributes make a {}-byte response, over the {MAX_RESPONSE_BYTES} bytes \
                 CloudFormation accepts; split the values over several resources",
                body.len()
            );
            render_failed(envelope, outcome.physical_resource_id, reason)
        }
        Answer::Failed {
            physical_resource_id,
            reason,
        } => render_failed(envelope, physical_resource_id, reason),
    }
}

fn render_failed(envelope: &Envelope, physical_resource_id: String, mut reason: String) -> Rendered {
    loop {
        let body = to_json(
            envelope,
            Status::Failed,
            &physical_resource_id,
            &reason,
            &Outcome::default(),
        );
        let excess = body.len().saturating_sub(MAX_RESPONSE_BYTES);
        if excess == 0 || reason.is_empty() {
            return Rendered {
                answer: Answer::Failed {
                    physical_resource_id,
                    reason,
                },
                body,
            };
        }
        reason = cut(&reason, reason.len().saturating_sub(excess + 3));
    }
}

/// The first `max_bytes` of `text` (on a character boundary) followed by `...`.
fn cut(text: &str, max_bytes: usize) -> String {
    let mut end = max_bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

fn to_json(envelope: &Envelope, status: Status, physical_id: &str, reason: &str, outcome: &Outcome) -> Vec<u8> {
    let mut response = CloudFormationCustomResourceResponse::default();
    response.status = status;
    response.reason = Some(reason.to_string());
    response.physical_resource_id = physical_id.to_string();
    response.stack_id = envelope.stack_id.clone();
    response.request_id = envelope.request_id.clone();
    response.logical_resource_id = envelope.logical_resource_id.clone();
    response.no_echo = outcome.no_echo;
    response.data = outcome.data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    // Serializing a struct of strings and a bool cannot fail; an empty body would be refused loudly.
    serde_json::to_vec(&response).unwrap_or_default()
}

/// How long one PUT may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);

/// One PUT of `body` with an empty `Content-Type` (the pre-signed URL's signature covers no content
/// type); the HTTP status, or why there was none.
async fn put(https: &Https, url: &str, body: Vec<u8>) -> Result<u16, DeliveryError> {
    let mut request = HttpRequest::new(SdkBody::from(body));
    request
        .set_method("PUT")
        .map_err(|err| DeliveryError::BadUrl(err.to_string()))?;
    request
        .set_uri(url)
        .map_err(|err| DeliveryError::BadUrl(err.to_string()))?;
    request.headers_mut().insert("content-type", "");
    let response = tokio::time::timeout(ATTEMPT_TIMEOUT, https.connector().call(request))
        .await
        .map_err(|_| DeliveryError::Transport(format!("no answer within {} s", ATTEMPT_TIMEOUT.as_secs())))?
        .map_err(|err| DeliveryError::Transport(DisplayErrorContext(&err).to_string()))?;
    Ok(response.status().as_u16())
}

/// Why an answer could not be delivered.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The URL answered with an HTTP error status.
    #[error("ResponseURL answered HTTP {0}")]
    Status(u16),
    /// The request did not get an HTTP answer.
    #[error("could not reach ResponseURL: {0}")]
    Transport(String),
    /// The URL is not one an HTTP request can be sent to.
    #[error("ResponseURL is not a valid URL: {0}")]
    BadUrl(String),
    /// The Lambda deadline came before a delivery succeeded.
    #[error("the Lambda deadline passed before ResponseURL accepted the answer")]
    OutOfTime,
}

impl DeliveryError {
    fn is_retryable(&self) -> bool {
        match self {
            DeliveryError::Status(status) => *status >= 500 || *status == 429,
            DeliveryError::Transport(_) => true,
            DeliveryError::BadUrl(_) | DeliveryError::OutOfTime => false,
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
            status => Err(DeliveryError::Status(status)),
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
mod tests {
    use super::*;

    fn envelope() -> Envelope {
        Envelope {
            response_url: Some("https://example.invalid/x".into()),
            stack_id: "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1".into(),
            request_id: "r-1".into(),
            logical_resource_id: "Res".into(),
            physical_resource_id: None,
            service_token: None,
        }
    }

    fn json(rendered: &Rendered) -> serde_json::Value {
        serde_json::from_slice(&rendered.body).unwrap()
    }

    #[test]
    fn a_success_carries_the_attributes_and_no_echo() {
        let mut outcome = Outcome::id("phys");
        outcome.data.insert("KeyId".into(), "mrk-1".into());
        outcome.no_echo = true;
        let rendered = render(&envelope(), Answer::Success(outcome), "stream");
        let body = json(&rendered);
        assert_eq!(body["Status"], "SUCCESS");
        assert_eq!(body["PhysicalResourceId"], "phys");
        assert_eq!(body["Data"]["KeyId"], "mrk-1");
        assert_eq!(body["NoEcho"], true);
        assert_eq!(body["RequestId"], "r-1");
        assert_eq!(body["LogicalResourceId"], "Res");
    }

    #[test]
    fn a_response_over_4096_bytes_becomes_failed_and_says_why() {
        let mut outcome = Outcome::id("phys");
        outcome.data.insert("Big".into(), "x".repeat(5000));
        let rendered = render(&envelope(), Answer::Success(outcome), "stream");
        let body = json(&rendered);
        assert_eq!(body["Status"], "FAILED");
        assert_eq!(body["PhysicalResourceId"], "phys");
        assert!(
            body["Reason"].as_str().unwrap().contains("over the 4096 bytes"),
            "{body}"
        );
        assert!(
            body["Data"].as_object().unwrap().is_empty(),
            "no truncated value is sent"
        );
        assert!(rendered.body.len() <= MAX_RESPONSE_BYTES);
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_url_that_is_not_a_url_fails_at_once_without_a_retry() {
        let started = Instant::now();
        let result = deliver(&Https::default(), "not a url", b"{}".to_vec(), None).await;
        assert!(matches!(result, Err(DeliveryError::BadUrl(_))), "{result:?}");
        // A retry would have slept at least 200 ms of the paused clock first.
        assert_eq!(Instant::now(), started, "no backoff was slept");
    }

    #[tokio::test]
    async fn an_unreachable_response_url_is_retried_until_the_deadline() {
        let until = Instant::now() + Duration::from_millis(700);
        let url = format!(
            "{}/response?X-Amz-Signature=secret",
            crate::test_support::unreachable_url()
        );
        let result = deliver(&Https::default(), &url, b"{}".to_vec(), Some(until)).await;
        assert!(matches!(result, Err(DeliveryError::OutOfTime)), "{result:?}");
        assert!(Instant::now() >= until, "it kept retrying until the deadline");
    }

    #[test]
    fn a_long_reason_is_cut_to_fit() {
        let failed = Answer::Failed {
            physical_resource_id: "p".into(),
            reason: "é\"".repeat(3000),
        };
        let rendered = render(&envelope(), failed, "stream");
        assert!(rendered.body.len() <= MAX_RESPONSE_BYTES, "{}", rendered.body.len());
        assert!(json(&rendered)["Reason"].as_str().unwrap().ends_with("..."));
    }
}
