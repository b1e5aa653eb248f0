//! The resource types, one module each, and what they share: property decoding, the ownership rules
//! (SPEC section 2) and the parameter-name rules. A resource handler gets a [`Context`] and returns an
//! [`Outcome`] or an [`Error`]; it never sees how the answer is delivered.

pub mod cross_region_parameter;
pub mod ownership;
pub mod parameter_names;
pub mod parameter_reader;
pub mod properties;
pub mod replica_key;

use crate::Error;
use crate::aws::Clients;
use crate::protocol::{Invocation, Outcome, Request, RequestType};

/// The resource types this provider serves.
pub const SUPPORTED_TYPES: [&str; 3] = [
    replica_key::RESOURCE_TYPE,
    cross_region_parameter::RESOURCE_TYPE,
    parameter_reader::RESOURCE_TYPE,
];

/// What the deployment lets resources touch, read once from the function's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `PARAMETER_PREFIX`: the SSM path every parameter name must start with (`/` allows any).
    pub parameter_prefix: String,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            parameter_prefix: "/".into(),
        }
    }
}

/// What one resource handler works with: the process's AWS clients, the deployment's scope, and the
/// request with its progress record.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// AWS clients, one per service and region.
    pub clients: &'a Clients,
    /// What the deployment lets resources touch.
    pub scope: &'a Scope,
    /// The request being handled.
    pub invocation: &'a Invocation,
}

impl Context<'_> {
    /// The request being handled.
    pub fn request(&self) -> &Request {
        &self.invocation.request
    }
}

/// Runs the handler of the request's resource type.
pub async fn dispatch(cx: Context<'_>) -> Result<Outcome, Error> {
    let request = cx.request();
    match request.resource_type.as_str() {
        replica_key::RESOURCE_TYPE => replica_key::handle(cx).await,
        cross_region_parameter::RESOURCE_TYPE => cross_region_parameter::handle(cx).await,
        parameter_reader::RESOURCE_TYPE => parameter_reader::handle(cx).await,
        // Nothing of an unsupported type was ever created, so there is nothing to delete.
        _ if request.request_type == RequestType::Delete => {
            Ok(Outcome::id(request.physical_resource_id.clone().unwrap_or_default()))
        }
        other => Err(Error::InvalidRequest(format!(
            "unsupported ResourceType '{other}'; mrk-provider serves {}",
            SUPPORTED_TYPES.join(", ")
        ))),
    }
}

/// A PhysicalResourceId that stays the same for the whole life of a resource whatever its properties:
/// `<StackId>/<LogicalResourceId>` (at most about 400 characters, well under CloudFormation's 1 KB).
pub fn stack_scoped_id(request: &Request) -> String {
    format!("{}/{}", request.stack_id, request.logical_resource_id)
}
