//! The CloudFormation custom-resource protocol: parse the event, run the resource handler under the
//! deadline guard, and answer, through `ResponseURL` (CloudFormation direct) or as the invocation's
//! return value (CDK Provider framework). Resource handlers never bypass this layer.

pub mod deadline;
pub mod properties;
pub mod request;
pub mod response;

use std::sync::Arc;

use lambda_runtime::LambdaEvent;
use serde_json::{Value, json};
use tracing::{Instrument, error, info, info_span, warn};

pub use deadline::{Deadline, Progress};
pub use request::{Envelope, Request, RequestType};
pub use response::{Answer, Outcome};

use crate::aws::Clients;
use crate::https::Https;
use crate::resources;

/// How answers are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseMode {
    /// PUT to `ResponseURL` (CloudFormation invokes the function directly).
    CloudFormation,
    /// Return `{PhysicalResourceId, Data, NoEcho}` to the CDK Provider framework; never PUT.
    Provider,
    /// Direct when `ServiceToken` names this function, else Provider framework.
    Auto,
}

/// The function's configuration, read once from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `RESPONSE_MODE`.
    pub response_mode: ResponseMode,
    /// `PARAMETER_PREFIX`: the SSM path every parameter name must start with (`/` allows any).
    pub parameter_prefix: String,
    /// A configuration problem, answered as FAILED on every request (an init error would leave the
    /// stack waiting).
    pub problem: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            response_mode: ResponseMode::Auto,
            parameter_prefix: "/".into(),
            problem: None,
        }
    }
}

impl Settings {
    /// Reads the settings through `var` (the process environment in production).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let mut settings = Settings::default();
        match var("RESPONSE_MODE").as_deref().map(str::trim) {
            None | Some("") | Some("auto") => {}
            Some("cloudformation") => settings.response_mode = ResponseMode::CloudFormation,
            Some("provider") => settings.response_mode = ResponseMode::Provider,
            Some(other) => {
                settings.problem = Some(format!(
                    "RESPONSE_MODE is '{other}'; set it to cloudformation, provider or auto"
                ))
            }
        }
        if let Some(prefix) = var("PARAMETER_PREFIX").filter(|p| !p.trim().is_empty()) {
            if prefix.starts_with('/') {
                settings.parameter_prefix = prefix;
            } else {
                settings.problem = Some(format!("PARAMETER_PREFIX is '{prefix}'; it must start with '/'"));
            }
        }
        settings
    }
}

/// Everything shared by the invocations of one warm Lambda.
pub struct Provider {
    /// AWS clients, one per service and region.
    pub clients: Clients,
    /// The function's settings.
    pub settings: Settings,
    /// The HTTPS connector that PUTs answers to `ResponseURL`.
    https: Https,
}

impl Provider {
    /// A provider with the given clients and settings.
    pub fn new(clients: Clients, settings: Settings) -> Self {
        Provider {
            clients,
            settings,
            https: Https::default(),
        }
    }

    /// The provider of a Lambda process: clients from the default AWS configuration, settings from
    /// the environment.
    pub async fn from_env() -> Self {
        let https = Https::default();
        https.prepare_in_background();
        let config = crate::aws::load_config(&https).await;
        Provider {
            clients: Clients::from_config(&config),
            settings: Settings::from_vars(|name| std::env::var(name).ok()),
            https,
        }
    }

    /// Decides whether a request is answered through `ResponseURL`.
    fn answers_directly(&self, service_token: Option<&str>, invoked_function_arn: &str) -> bool {
        match self.settings.response_mode {
            ResponseMode::CloudFormation => true,
            ResponseMode::Provider => false,
            ResponseMode::Auto => {
                service_token.is_some_and(|token| unqualified(token) == unqualified(invoked_function_arn))
            }
        }
    }
}

/// A Lambda function ARN without its version or alias qualifier.
fn unqualified(arn: &str) -> &str {
    // arn:partition:lambda:region:account:function:name[:qualifier]
    match arn.match_indices(':').nth(6) {
        Some((at, _)) => &arn[..at],
        None => arn,
    }
}

/// One request being handled: what the handler reads, and what it reports while it works.
#[derive(Debug)]
pub struct Invocation {
    /// The request.
    pub request: Request,
    /// What the handler is doing; read by the deadline guard.
    pub progress: Progress,
}

/// The Lambda handler: answers one custom-resource event.
pub async fn handle(provider: Arc<Provider>, event: LambdaEvent<Value>) -> Result<Value, lambda_runtime::Error> {
    let (payload, context) = event.into_parts();
    let deadline = Deadline::from_epoch_millis(context.deadline);
    let parsed = Request::parse(&payload);
    let envelope = match &parsed {
        Ok(request) => Envelope::of(request),
        Err(_) => Envelope::salvage(&payload),
    };
    let span = info_span!(
        "request",
        request_id = %envelope.request_id,
        lambda_request_id = %context.request_id,
        logical_id = %envelope.logical_resource_id,
        resource_type = parsed.as_ref().map(|r| r.resource_type.as_str()).unwrap_or("unknown"),
        request_type = ?parsed.as_ref().map(|r| r.request_type).ok(),
    );
    let direct = provider.answers_directly(envelope.service_token.as_deref(), &context.invoked_function_arn);
    async move {
        let answer = match parsed {
            Ok(request) => run(provider.clone(), request, deadline).await,
            Err(err) => Answer::Failed {
                physical_resource_id: envelope
                    .physical_resource_id
                    .clone()
                    .unwrap_or_else(|| format!("{}{}", request::FAILED_CREATE_PREFIX, envelope.request_id)),
                reason: err.to_string(),
            },
        };
        let rendered = response::render(&envelope, answer, &context.env_config.log_stream);
        match &rendered.answer {
            Answer::Success(outcome) => info!(physical_id = %outcome.physical_resource_id, "SUCCESS"),
            Answer::Failed { reason, .. } => warn!(%reason, "FAILED"),
        }
        if direct {
            deliver(&provider, &envelope, rendered, deadline).await
        } else {
            provider_framework_result(rendered.answer)
        }
    }
    .instrument(span)
    .await
}

/// Answers through `ResponseURL`. Always returns success to Lambda, so that Lambda's asynchronous
/// retries never re-run a request that was already answered.
async fn deliver(
    provider: &Provider,
    envelope: &Envelope,
    rendered: response::Rendered,
    deadline: Deadline,
) -> Result<Value, lambda_runtime::Error> {
    let status = match &rendered.answer {
        Answer::Success(_) => "SUCCESS",
        Answer::Failed { .. } => "FAILED",
    };
    let Some(url) = envelope.response_url.as_deref() else {
        // Without a URL there is nobody to answer; an error makes the failure visible to the caller.
        return Err("the event has no ResponseURL, so no answer can be sent".into());
    };
    match response::deliver(&provider.https, url, rendered.body, deadline.answer_until()).await {
        Ok(()) => info!(url = %request::redact_url(url), status, "answer delivered"),
        Err(err) => error!(url = %request::redact_url(url), status, error = %err, "answer NOT delivered"),
    }
    Ok(json!({ "Status": status }))
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

/// Runs the resource handler in its own task, so that neither a panic nor a hung AWS call can keep the
/// request from being answered before the deadline.
pub async fn run(provider: Arc<Provider>, request: Request, deadline: Deadline) -> Answer {
    if request.deletes_a_failed_create() {
        info!("the Create this Delete rolls back failed before changing anything; nothing to delete");
        return Answer::Success(Outcome::id(request.failed_physical_id(None)));
    }
    if let Some(problem) = &provider.settings.problem {
        let reason = crate::Error::Configuration(problem.clone()).to_string();
        return Answer::Failed {
            physical_resource_id: request.failed_physical_id(None),
            reason,
        };
    }
    let invocation = Arc::new(Invocation {
        request,
        progress: Progress::default(),
    });
    // The task carries the request's span, so that the handler's own log lines name the request too.
    let mut task = tokio::spawn(
        {
            let invocation = invocation.clone();
            async move { resources::dispatch(&provider, &invocation).await }
        }
        .in_current_span(),
    );
    let joined = match deadline.work_until() {
        Some(until) => tokio::time::timeout_at(until, &mut task).await,
        None => Ok((&mut task).await),
    };
    let failed = |reason: String| Answer::Failed {
        physical_resource_id: invocation
            .request
            .failed_physical_id(invocation.progress.claimed_physical_id()),
        reason,
    };
    let resource_type = &invocation.request.resource_type;
    match joined {
        Ok(Ok(Ok(outcome))) => Answer::Success(outcome),
        Ok(Ok(Err(err))) => {
            warn!(aws_error_code = err.aws_code(), "handler failed");
            failed(err.to_string())
        }
        Ok(Err(join_error)) => {
            error!(panicked = join_error.is_panic(), "handler stopped abnormally");
            failed(format!(
                "{resource_type} hit an internal error {}; this is a bug in mrk-provider, please report it with request id {}",
                invocation.progress.describe(),
                invocation.request.request_id
            ))
        }
        Err(_elapsed) => {
            // Read what is in flight before aborting: a worker thread may drop the aborted future at
            // once, and dropping it ends its steps.
            let progress = invocation.progress.describe();
            task.abort();
            error!(%progress, "deadline reached; answering FAILED");
            failed(format!(
                "{resource_type} ran out of time {progress} and stopped so that it could answer before the \
                 function's timeout; deploy again, and raise the function's Timeout if this repeats"
            ))
        }
    }
}

#[cfg(test)]
mod tests;
