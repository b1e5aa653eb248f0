//! The contract between the protocol and the code it runs: a [`Handler`] gets an [`Invocation`] (the
//! request and its progress record) and returns an [`Outcome`] or an [`Error`].

use std::collections::BTreeMap;
use std::future::Future;

use super::request::Request;
use crate::Error;
use crate::progress::Progress;

/// What the protocol runs for each request: the resource logic, which returns an [`Outcome`] or an
/// [`Error`] and never answers by itself.
pub trait Handler: Send + Sync + 'static {
    /// Handles one request. What it does is recorded in `invocation.progress`, so that a request
    /// that runs out of time still says what was in flight.
    fn handle(&self, invocation: &Invocation) -> impl Future<Output = Result<Outcome, Error>> + Send;
}

/// One request being handled: what the handler reads, and what it reports while it works.
#[derive(Debug)]
pub struct Invocation {
    /// The request.
    pub request: Request,
    /// The ARN of the function that received it (Lambda's `invoked_function_arn`): whose account and
    /// region the request must come from.
    pub function_arn: String,
    /// What the handler is doing; read by the deadline guard.
    pub progress: Progress,
}

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
