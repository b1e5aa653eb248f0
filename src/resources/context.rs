//! What every resource handler works with: the [`Context`] of one request (clients, the deployment's
//! [`Scope`], the request and its progress), and the id that names a resource for its whole life.

use std::collections::BTreeSet;

/// The SSM tier that costs nothing, the only one a deployment allows unless it says otherwise.
pub const STANDARD_TIER: &str = "Standard";

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
    /// `ASSUMABLE_ROLE_ACCOUNTS`: the accounts a `RoleArn` must be in; `None` (unset or empty): any
    /// account that `assumable_role_arns` matches. (An organization bound is IAM's alone: the role's
    /// organization cannot be read before it is assumed.)
    pub assumable_role_accounts: Option<BTreeSet<String>>,
    /// `PROVIDER_ROLE_ARN`: the function's own role, which a target role's trust policy must name.
    pub provider_role_arn: Option<String>,
    /// `SERVICE_TOKEN_PARAMETER`: the name of the SSM parameter that holds this provider's own
    /// ServiceToken, which no resource may write, adopt or delete, in any region or account.
    pub service_token_parameter: Option<String>,
    /// `ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK`: whether `BypassPolicyLockoutSafetyCheck: true` is
    /// accepted (default no).
    pub allow_bypass_lockout_check: bool,
    /// `ALLOWED_PARAMETER_TIERS`: the SSM tiers a writer may use (default `Standard` only; the others
    /// cost money per parameter and month).
    pub allowed_tiers: BTreeSet<String>,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            parameter_prefix: "/".into(),
            allowed_regions: None,
            decrypt_prefix: None,
            assumable_role_arns: Vec::new(),
            assumable_role_accounts: None,
            provider_role_arn: None,
            service_token_parameter: None,
            allow_bypass_lockout_check: false,
            allowed_tiers: BTreeSet::from([STANDARD_TIER.to_string()]),
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

impl Scope {
    /// `true` when `name` is this provider's own ServiceToken parameter.
    pub fn is_service_token(&self, name: &str) -> bool {
        self.service_token_parameter.as_deref() == Some(name)
    }

    /// Checks, before any call, that none of `names` is this provider's own ServiceToken parameter:
    /// whoever rewrote it would receive every later stack's requests.
    pub fn check_not_service_token<'n>(
        &self,
        resource_type: &'static str,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Result<(), Error> {
        match names.into_iter().find(|name| self.is_service_token(name)) {
            Some(name) => Err(Error::invalid(
                resource_type,
                "Parameters",
                format!(
                    "'{name}' is the parameter that holds this provider's own ServiceToken, which no resource \
                     may write, adopt or delete; choose another name"
                ),
            )),
            None => Ok(()),
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
