//! What every resource handler works with: the [`Context`] of one request (clients, the deployment's
//! [`Scope`], the request and its progress), and the id that names a resource for its whole life.

use crate::aws::Clients;
use crate::protocol::{Invocation, Request};

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

/// A PhysicalResourceId that stays the same for the whole life of a resource whatever its properties:
/// `<StackId>/<LogicalResourceId>` (at most about 400 characters, well under CloudFormation's 1 KB).
pub fn stack_scoped_id(request: &Request) -> String {
    format!("{}/{}", request.stack_id, request.logical_resource_id)
}
