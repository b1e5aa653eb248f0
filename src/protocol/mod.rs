//! The CloudFormation custom-resource protocol: parse the event, run a [`Handler`] under the deadline
//! guard, render the answer, and deliver it through `ResponseURL` (CloudFormation direct) or as the
//! invocation's return value (CDK Provider framework).
//!
//! It is generic over the handler it runs, as `lambda_runtime` is over its service: it knows no
//! resource type and no AWS client, and handlers never bypass it.

pub mod deadline;
pub mod deliver;
pub mod guard;
pub mod handler;
pub mod raw_event;
pub mod render;
pub mod request;
pub mod response_url;

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use tracing::{Instrument, error, info, info_span, warn};

pub use deadline::Deadline;
pub use guard::run;
pub use handler::{Handler, Invocation, Outcome};
pub use render::{Answer, MAX_RESPONSE_BYTES, Rendered};
pub use request::{Envelope, Request, RequestType};
pub use response_url::ResponseUrls;

use crate::Error;

use crate::https::Https;
use crate::metrics;
use response_url::redact_url;
use tokio::time::Instant;

/// How answers are delivered (`RESPONSE_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// PUT to `ResponseURL` (CloudFormation invokes the function directly).
    CloudFormation,
    /// Return `{PhysicalResourceId, Data, NoEcho}` to the CDK Provider framework; never PUT.
    ProviderFramework,
    /// Direct when `ServiceToken` names this function, else the Provider framework.
    Auto,
}

/// Answers each Lambda event by running its handler and delivering the answer the way `mode` says.
pub struct Responder<H> {
    handler: Arc<H>,
    mode: ResponseMode,
    https: Https,
    response_urls: ResponseUrls,
    /// `METRICS_NAMESPACE`: where each request's metric line goes (none: no line).
    metrics_namespace: Option<String>,
}

impl<H: Handler> Responder<H> {
    /// A responder that runs `handler` and PUTs answers through `https`, only to CloudFormation's
    /// response buckets.
    pub fn new(handler: Arc<H>, mode: ResponseMode, https: Https) -> Self {
        Responder {
            handler,
            mode,
            https,
            response_urls: ResponseUrls::default(),
            metrics_namespace: None,
        }
    }

    /// The same, printing one metric line a request in `namespace` (see [`crate::metrics`]).
    pub fn with_metrics_namespace(self, namespace: Option<String>) -> Self {
        Responder {
            metrics_namespace: namespace,
            ..self
        }
    }

    /// The same, PUTting answers to the URLs that `response_urls` allows.
    pub fn with_response_urls(self, response_urls: ResponseUrls) -> Self {
        Responder { response_urls, ..self }
    }

    /// Answers one custom-resource event.
    pub async fn respond(&self, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
        let received = Instant::now();
        let (payload, context) = event.into_parts();
        let deadline = Deadline::from_epoch_millis(context.deadline);
        let (parsed, envelope) = parse(&payload);
        if let Some(problem) = envelope.oversized() {
            // Refused before the span, whose fields would carry the oversized values into every line.
            warn!(lambda_request_id = %context.request_id, %problem, "event refused: CloudFormation never sends one like it");
            return Err(format!("event refused: {problem}").into());
        }
        let request_type = parsed.as_ref().map_or("unknown", |r| r.request_type.as_str());
        let span = info_span!(
            "request",
            request_id = %envelope.request_id,
            lambda_request_id = %context.request_id,
            logical_id = %envelope.logical_resource_id,
            resource_type = envelope.resource_type.as_deref().unwrap_or("unknown"),
            request_type,
        );
        let direct = self.answers_directly(envelope.service_token.as_deref(), &context.invoked_function_arn);
        let counters = Arc::new(metrics::Counters::default());
        // The block borrows the envelope, which the metric line reads after it.
        let envelope = &envelope;
        let answered = async move {
            // Checked before anything is done: a request whose answer cannot be delivered changes nothing.
            let answer_url = match direct {
                true => match self.checked_response_url(envelope, &context.invoked_function_arn) {
                    Ok(url) => Some(url),
                    Err(refused) => return (Err(refused), "FAILED"),
                },
                false => None,
            };
            let answer = match parsed {
                Ok(request) => run(self.handler.clone(), request, &context.invoked_function_arn, deadline).await,
                Err(err) => Answer::Failed {
                    physical_resource_id: envelope
                        .physical_resource_id
                        .clone()
                        .unwrap_or_else(|| format!("{}{}", request::FAILED_CREATE_PREFIX, envelope.request_id)),
                    reason: err.to_string(),
                },
            };
            let logs = render::LogLocation {
                group: &context.env_config.log_group,
                stream: &context.env_config.log_stream,
            };
            let rendered = render::render(envelope, answer, logs);
            let status = match &rendered.answer {
                Answer::Success(outcome) => {
                    info!(physical_id = %outcome.physical_resource_id, "SUCCESS");
                    "SUCCESS"
                }
                Answer::Failed { reason, .. } => {
                    warn!(%reason, "FAILED");
                    "FAILED"
                }
            };
            let result = match answer_url {
                Some(url) => self.put(url, rendered, deadline).await,
                None => provider_framework_result(rendered.answer),
            };
            (result, status)
        }
        .instrument(span);
        let (result, outcome) = metrics::measured(counters.clone(), answered).await;
        let record = metrics::Record {
            resource_type: envelope.resource_type.as_deref().unwrap_or("unknown"),
            request_type,
            outcome,
            request_id: &envelope.request_id,
            logical_resource_id: &envelope.logical_resource_id,
            duration: received.elapsed(),
            counts: counters.counts(),
        };
        metrics::emit(self.metrics_namespace.as_deref(), &record);
        result
    }

    /// Decides whether a request is answered through `ResponseURL`.
    fn answers_directly(&self, service_token: Option<&str>, invoked_function_arn: &str) -> bool {
        match self.mode {
            ResponseMode::CloudFormation => true,
            ResponseMode::ProviderFramework => false,
            ResponseMode::Auto => {
                service_token.is_some_and(|token| unqualified(token) == unqualified(invoked_function_arn))
            }
        }
    }

    /// Answers through `ResponseURL`. Always returns success to Lambda, so that Lambda's asynchronous
    /// retries never re-run a request that was already answered.
    async fn put(&self, url: &str, rendered: Rendered, deadline: Deadline) -> Result<Value, lambda_runtime::Error> {
        let status = match &rendered.answer {
            Answer::Success(_) => "SUCCESS",
            Answer::Failed { .. } => "FAILED",
        };
        match deliver::deliver(&self.https, url, rendered.body, deadline.answer_until()).await {
            Ok(()) => info!(url = %redact_url(url), status, "answer delivered"),
            Err(err) => error!(url = %redact_url(url), status, error = %err, "answer NOT delivered"),
        }
        Ok(json!({ "Status": status }))
    }

    /// The envelope's `ResponseURL` when answers may go there, for a function of the region of
    /// `invoked_function_arn`; else an error for Lambda. A refused URL is logged, redacted, and never
    /// contacted.
    fn checked_response_url<'e>(
        &self,
        envelope: &'e Envelope,
        invoked_function_arn: &str,
    ) -> Result<&'e str, lambda_runtime::Error> {
        // Without a URL there is nobody to answer; an error makes the failure visible to the caller.
        let url = envelope
            .response_url
            .as_deref()
            .ok_or("the event has no ResponseURL, so no answer can be sent")?;
        // Lambda always passes the function's ARN; without a region in it, no response bucket is known
        // and only a test's loopback URL is accepted.
        let region = response_url::region_of_function(invoked_function_arn).unwrap_or_default();
        self.response_urls.check(url, region).map(|()| url).map_err(|why| {
            warn!(url = %redact_url(url), %why, "ResponseURL refused: nothing was done and nothing is sent");
            format!(
                "ResponseURL refused: {why}; CloudFormation sends a URL of its response bucket in the stack's region"
            )
            .into()
        })
    }
}

/// The event as a request, or why it is not one, and the envelope an answer echoes: the request's own,
/// or what can be salvaged from any payload (one the runtime layer marked as not JSON included).
fn parse(payload: &Value) -> (Result<Request, Error>, Envelope) {
    let parsed = match payload.get(raw_event::UNPARSEABLE).and_then(Value::as_str) {
        Some(detail) => Err(Error::NotJson {
            detail: detail.to_string(),
        }),
        None => Request::parse(payload),
    };
    let envelope = match &parsed {
        Ok(request) => Envelope::of(request),
        Err(_) => Envelope::salvage(payload),
    };
    (parsed, envelope)
}

/// A Lambda function ARN without its version or alias qualifier.
fn unqualified(arn: &str) -> &str {
    // arn:partition:lambda:region:account:function:name[:qualifier]
    match arn.match_indices(':').nth(6) {
        Some((at, _)) => &arn[..at],
        None => arn,
    }
}

/// The CDK Provider framework reads success from the return value and failure from an error.
fn provider_framework_result(answer: Answer) -> Result<Value, lambda_runtime::Error> {
    match answer {
        Answer::Success(outcome) => Ok(json!({
            "PhysicalResourceId": outcome.physical_resource_id,
            "Data": outcome.data,
            "NoEcho": outcome.no_echo,
        })),
        Answer::Failed { reason, .. } => Err(reason.into()),
    }
}

#[cfg(test)]
mod tests;
