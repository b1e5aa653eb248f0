//! `RoleArn` and `ExternalId` (docs/reference.md, sections 4 to 6): a resource that names a role works in that role's
//! account. Before any call, the role must be an IAM role ARN of the regions' partition that the
//! deployment lists in `AssumableRoleArns` (`ASSUMABLE_ROLE_ARNS`); then, once the caller check has
//! passed, it is assumed (or an earlier request's credentials are reused, see
//! [`crate::aws::Clients::assume_role`]), with a session named after the calling stack.

use tracing::{info, warn};
use wildmatch::WildMatch;

use crate::Error;
use crate::aws::sts::RoleSession;
use crate::error::Bug;
use crate::resources::caller::ArnHome;
use crate::resources::context::{Account, Context, Scope};

/// What every session name starts with, so that CloudTrail in the target account shows who called.
const SESSION_PREFIX: &str = "mrk-provider-";
/// STS's longest session name.
const MAX_SESSION_NAME: usize = 64;
/// IAM's longest role name.
pub const MAX_ROLE_NAME: usize = 64;
/// IAM's longest role path, its slashes included.
const MAX_ROLE_PATH: usize = 512;
/// The longest resource part of a role ARN: `role`, then the longest path, then the longest name.
const MAX_ROLE_RESOURCE: usize = "role".len() + MAX_ROLE_PATH + MAX_ROLE_NAME;
/// STS's shortest and longest external id.
pub const EXTERNAL_ID_LENGTH: std::ops::RangeInclusive<usize> = 2..=1224;

/// A validated `RoleArn` with its `ExternalId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRole {
    /// `arn:<partition>:iam::<account>:role/<path><name>`.
    pub arn: String,
    /// The partition of the ARN.
    pub partition: String,
    /// The 12-digit account the role is in: where the resource's parameters are.
    pub account: String,
    /// Passed to AssumeRole.
    pub external_id: Option<String>,
}

/// Characters STS accepts in a session name and an external id (`[\w+=,.@-]`, and `:` `/` in the
/// latter).
fn sts_character(c: char, extra: &str) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) || extra.contains(c)
}

impl TargetRole {
    /// Validates `RoleArn` and `ExternalId` as a template gave them; `None` when neither is given.
    pub fn from_properties(
        resource_type: &'static str,
        role_arn: Option<String>,
        external_id: Option<String>,
    ) -> Result<Option<TargetRole>, Error> {
        let invalid = |property: &str, reason: String| Err(Error::invalid(resource_type, property, reason));
        let Some(arn) = role_arn else {
            return match external_id {
                Some(_) => invalid(
                    "ExternalId",
                    "it is given without RoleArn; an external id is only passed when a role is assumed".into(),
                ),
                None => Ok(None),
            };
        };
        let Some((partition, account)) = role_arn_parts(&arn) else {
            return invalid(
                "RoleArn",
                format!(
                    "'{}' is not an IAM role ARN; give one such as arn:aws:iam::111122223333:role/mrk-provider-target",
                    arn.chars().take(120).collect::<String>()
                ),
            );
        };
        if let Some(id) = &external_id {
            let length_ok = EXTERNAL_ID_LENGTH.contains(&id.chars().count());
            if !length_ok || !id.chars().all(|c| sts_character(c, ":/")) {
                return invalid(
                    "ExternalId",
                    format!(
                        "give {} to {} letters, digits or characters of _+=,.@:/- (STS's rule for an external id)",
                        EXTERNAL_ID_LENGTH.start(),
                        EXTERNAL_ID_LENGTH.end()
                    ),
                );
            }
        }
        Ok(Some(TargetRole {
            partition: partition.to_string(),
            account: account.to_string(),
            arn,
            external_id,
        }))
    }

    /// Checks before any call that the deployment lists this role in `AssumableRoleArns`, that it is
    /// in one of the `AssumableRoleAccounts` when the deployment names them, and that it is of the
    /// partition of every region in `regions`.
    pub fn check_allowed<'r>(
        &self,
        scope: &Scope,
        resource_type: &'static str,
        regions: impl IntoIterator<Item = &'r str>,
    ) -> Result<(), Error> {
        let refused = |reason: String| Err(Error::invalid(resource_type, "RoleArn", reason));
        if scope.assumable_role_arns.is_empty() {
            return refused(format!(
                "this provider may assume no role (its AssumableRoleArns is empty); deploy it with \
                 AssumableRoleArns listing {}, or remove RoleArn",
                self.arn
            ));
        }
        if !allowed(scope, &self.arn) {
            return refused(format!(
                "'{}' is not one of this provider's AssumableRoleArns ({}); deploy the provider with it \
                 added, or name a listed role",
                self.arn,
                scope.assumable_role_arns.join(", ")
            ));
        }
        if let Some(accounts) = &scope.assumable_role_accounts
            && !accounts.contains(&self.account)
        {
            return refused(format!(
                "'{}' is a role of account {}, which is not one of this provider's AssumableRoleAccounts \
                 ({}); name a role in one of them, or deploy the provider with that account added",
                self.arn,
                self.account,
                accounts.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
            ));
        }
        let partition = crate::region::partition_of;
        if let Some(region) = regions.into_iter().find(|r| partition(r) != Some(&self.partition)) {
            return refused(format!(
                "'{}' is a role of partition {}, but {region} is in {}; a role's credentials work only \
                 in its own partition",
                self.arn,
                self.partition,
                partition(region).unwrap_or("no partition")
            ));
        }
        Ok(())
    }
}

/// `arn:<partition>:iam::<account>:role/<path><name>` split into its partition and account; `None` for
/// anything else.
fn role_arn_parts(arn: &str) -> Option<(&str, &str)> {
    let [partition, "iam", "", account, resource] = crate::region::arn_fields(arn)? else {
        return None;
    };
    let name = resource.strip_prefix("role/")?;
    let well_formed = crate::region::is_partition(partition)
        && crate::region::is_account_id(account)
        && !name.is_empty()
        && !name.ends_with('/')
        && name.rsplit('/').next().is_some_and(|last| last.len() <= MAX_ROLE_NAME)
        && resource.len() <= MAX_ROLE_RESOURCE
        && name.chars().all(|c| sts_character(c, "/"));
    well_formed.then_some((partition, account))
}

/// `true` when one of the deployment's `AssumableRoleArns` matches `arn` (`*` any characters, `?` one,
/// as IAM matches a resource ARN).
pub fn allowed(scope: &Scope, arn: &str) -> bool {
    scope
        .assumable_role_arns
        .iter()
        .any(|pattern| WildMatch::new(pattern).matches(arn))
}

/// `true` unless `role` is one the deployment no longer lists in `AssumableRoleArns` (logged): what was
/// written through it before stays where it is, since the provider may no longer assume it. Only for
/// what a resource leaves behind (a Delete, an Update moving away); a Create or Update refuses such a
/// role ([`TargetRole::check_allowed`]).
pub fn still_listed(scope: &Scope, role: Option<&TargetRole>) -> bool {
    match role {
        Some(role) if !allowed(scope, &role.arn) => {
            warn!(role = %role.arn, "the role is no longer in AssumableRoleArns; nothing is done in its account");
            false
        }
        _ => true,
    }
}

/// The session name of the calling stack: `mrk-provider-<stack name>`, cut to STS's 64 characters.
pub fn session_name(stack_id: &str) -> String {
    let stack_name = stack_id.split('/').nth(1).unwrap_or("stack");
    SESSION_PREFIX
        .chars()
        .chain(stack_name.chars().filter(|c| sts_character(*c, "")))
        .take(MAX_SESSION_NAME)
        .collect()
}

/// The account id the resource works in: the role's, or the function's own.
pub fn account_id(cx: Context<'_>, role: Option<&TargetRole>) -> String {
    match role {
        Some(role) => role.account.clone(),
        None => ArnHome::of_function(&cx.invocation.function_arn)
            .map(|home| home.account.to_string())
            .unwrap_or_default(),
    }
}

/// The account the resource works in: the function's own without a role; else the role's, assumed
/// through STS in the function's region (or reused from an earlier request of this process).
pub async fn reach(cx: Context<'_>, role: Option<&TargetRole>) -> Result<Account, Error> {
    let Some(role) = role else {
        return Ok(Account::Own);
    };
    let home = ArnHome::of_function(&cx.invocation.function_arn).ok_or_else(|| Bug::FunctionArnWithoutRegion {
        arn: cx.invocation.function_arn.clone(),
    })?;
    let session = RoleSession {
        role_arn: role.arn.clone(),
        external_id: role.external_id.clone(),
        session_name: session_name(&cx.request().stack_id),
    };
    let assumed = cx
        .clients
        .assume_role(&session, &role.account, home.region, &cx.invocation.progress, cx.gate)
        .await
        .map_err(|err| not_assumable(cx.scope, role, err))?;
    info!(role = %role.arn, session = %session.session_name, "working in the role's account");
    Ok(Account::Assumed(assumed))
}

/// STS's AccessDenied, said as what the user must fix: the role's trust policy.
fn not_assumable(scope: &Scope, role: &TargetRole, err: Error) -> Error {
    let Error::Aws { message, .. } = &err else {
        return err;
    };
    if !err.is_access_denied() {
        return err;
    }
    let provider_role = scope
        .provider_role_arn
        .as_deref()
        .unwrap_or("the provider's role (the RoleArn output of its stack)");
    Error::RoleNotAssumable {
        role_arn: role.arn.clone(),
        message: message.clone(),
        provider_role: provider_role.to_string(),
        with_external_id: role.external_id.is_some(),
    }
}

#[cfg(test)]
mod tests;
