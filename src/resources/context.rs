//! What every resource handler works with: the [`Context`] of one request (clients, the deployment's
//! [`Scope`], the request and its progress), and the id that names a resource for its whole life.

use std::collections::BTreeSet;

use crate::Error;
use crate::aws::kms::Kms;
use crate::aws::ssm::Ssm;
use crate::aws::write_gate::WriteGate;
use crate::aws::{AssumedRole, Clients};
use crate::protocol::{Invocation, Request};

/// What the deployment lets resources touch, read once from the function's environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// `PARAMETER_PREFIX`: the SSM path every parameter name must start with (`/` allows any).
    pub parameter_prefix: String,
    /// `ALLOWED_REGIONS`: the only regions a Create or Update may name; `None` (unset or empty) allows
    /// any.
    pub allowed_regions: Option<BTreeSet<String>>,
    /// `DECRYPT_PREFIX`: the SSM path whose SecureStrings a reader may decrypt; `None` (unset or
    /// empty) decrypts none.
    pub decrypt_prefix: Option<String>,
    /// `ASSUMABLE_ROLE_ARNS`: the roles a `RoleArn` may name, with IAM's `*` and `?`; empty (unset or
    /// empty): none.
    pub assumable_role_arns: Vec<String>,
    /// `PROVIDER_ROLE_ARN`: the function's own role, which a target role's trust policy must name.
    pub provider_role_arn: Option<String>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            parameter_prefix: "/".into(),
            allowed_regions: None,
            decrypt_prefix: None,
            assumable_role_arns: Vec::new(),
            provider_role_arn: None,
        }
    }
}

impl Scope {
    /// `true` when `region` may be called.
    pub fn allows(&self, region: &str) -> bool {
        self.allowed_regions
            .as_ref()
            .is_none_or(|allowed| allowed.contains(region))
    }

    /// Checks, before any call, that every region a Create or Update names is allowed: an error on
    /// `property` of `resource_type` naming the first one that is not.
    pub fn check_regions<'r>(
        &self,
        resource_type: &'static str,
        property: &str,
        regions: impl IntoIterator<Item = &'r str>,
    ) -> Result<(), Error> {
        match (
            regions.into_iter().find(|region| !self.allows(region)),
            &self.allowed_regions,
        ) {
            (Some(region), Some(allowed)) => Err(Error::invalid(
                resource_type,
                property,
                format!(
                    "'{region}' is not one of this provider's AllowedRegions ({}); deploy the provider \
                     with it added, or choose another region",
                    allowed.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
                ),
            )),
            _ => Ok(()),
        }
    }
}

/// What one resource handler works with: the process's AWS clients, the deployment's scope, the
/// request with its progress record, and the gate its changes pass once its caller is verified.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    /// AWS clients, one per service and region.
    pub clients: &'a Clients,
    /// What the deployment lets resources touch.
    pub scope: &'a Scope,
    /// The request being handled.
    pub invocation: &'a Invocation,
    /// Every change to AWS waits here until the caller's stack is verified ([`crate::resources::caller`]).
    pub gate: &'a WriteGate,
}

impl<'a> Context<'a> {
    /// The request being handled.
    pub fn request(self) -> &'a Request {
        &self.invocation.request
    }

    /// KMS in `region`, for this request.
    pub fn kms(self, region: &'a str) -> Kms<'a> {
        self.clients.kms(region, &self.invocation.progress, self.gate)
    }

    /// SSM in `region`, for this request.
    pub fn ssm(self, region: &'a str) -> Ssm<'a> {
        self.clients.ssm(region, &self.invocation.progress, self.gate)
    }

    /// SSM in `region` of `account`, for this request.
    pub fn ssm_in(self, account: &Account, region: &'a str) -> Ssm<'a> {
        match account {
            Account::Own => self.ssm(region),
            Account::Assumed(role) => self.clients.ssm_as(role, region, &self.invocation.progress, self.gate),
        }
    }
}

/// The account a resource's SSM calls go to: the function's own, or the one a `RoleArn` reaches.
#[derive(Clone)]
pub enum Account {
    /// The function's own account, with its own role.
    Own,
    /// Another account, through an assumed role.
    Assumed(AssumedRole),
}

/// A PhysicalResourceId that stays the same for the whole life of a resource whatever its properties:
/// `<StackId>/<LogicalResourceId>` (at most about 400 characters, well under CloudFormation's 1 KB).
pub fn stack_scoped_id(request: &Request) -> String {
    format!("{}/{}", request.stack_id, request.logical_resource_id)
}
