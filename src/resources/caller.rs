//! Whom a request comes from (docs/reference.md, section 7). Anyone who may invoke the function can send any event,
//! so before a request changes anything the provider confirms with CloudFormation that the event's
//! `StackId` names a stack of the function's own account and region ([`check_stack_arn`], from the
//! ARNs alone), and that CloudFormation is operating on the event's resource right now ([`confirm`]):
//! the stack has the event's `LogicalResourceId` with the event's `ResourceType`, in the status of the
//! event's request type, under the event's `PhysicalResourceId`. [`super::dispatch`] runs [`confirm`]
//! beside the handler, whose calls beyond plain reads in the function's own account wait at the
//! request's gate until it passes; a refusal ends the request with nothing changed.
//!
//! The statuses a real request arrives under. CloudFormation's documentation describes each sequence
//! by the events of its resources: the resource's own status says which request it is sending, and the
//! stack's status matters only for a Delete of a PhysicalResourceId that is no longer the resource's
//! current one. Each row has a test in `caller/tests.rs` and an end-to-end test in
//! `tests/e2e/test_stack_statuses.py`.
//!
//! | sequence | request | resource status (DescribeStackResource) | event's physical id | stack status |
//! |---|---|---|---|---|
//! | create a stack (or a nested stack) | Create | `CREATE_IN_PROGRESS` | none | `CREATE_IN_PROGRESS` |
//! | update: resource added | Create | `CREATE_IN_PROGRESS` | none | `UPDATE_IN_PROGRESS` |
//! | update: properties changed | Update | `UPDATE_IN_PROGRESS` | current | `UPDATE_IN_PROGRESS` |
//! | update answered with a new physical id (replacement), then its cleanup | Delete | any | former | `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` |
//! | update: resource removed from the template | Delete | `DELETE_IN_PROGRESS` | current | `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` |
//! | update rollback: properties back | Update | `UPDATE_IN_PROGRESS` | current | `UPDATE_ROLLBACK_IN_PROGRESS` |
//! | update rollback: resource the update added | Delete | `DELETE_IN_PROGRESS` | current | `UPDATE_ROLLBACK_IN_PROGRESS` or `UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS` |
//! | update rollback cleanup: what the failed update's replacement made | Delete | any | former | `UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS` |
//! | create rollback: the failed or created resource | Delete | `DELETE_IN_PROGRESS` | current (a failed Create's answered id) | `ROLLBACK_IN_PROGRESS` |
//! | delete a stack | Delete | `DELETE_IN_PROGRESS` | current | `DELETE_IN_PROGRESS` |
//! | nested stack | as its own stack: its own StackId, statuses and resources; the parent's status does not count | | | |
//!
//! A "former" id is accepted only in [`SUPERSEDED_STATUSES`] and only when the resource type could
//! have had it ([`super::could_have_had`]); what that Delete removes then follows from the id, never
//! from the properties alone, so it cannot reach the current resource's objects.

use std::time::Duration;

use tracing::{info, warn};

use crate::Error;
use crate::aws::Clients;
use crate::aws::cloudformation::StackResource;
use crate::error::{Bug, Refusal};
use crate::protocol::{Invocation, Request, RequestType};
use crate::region;

/// How long a resource that CloudFormation does not show yet, or not yet in the status of the request,
/// is asked for again before the request is refused: CloudFormation's reads may lag the
/// operation that sent the request.
pub const VISIBILITY_WAIT: Duration = Duration::from_secs(5);
/// The first pause between two asks; it doubles each time.
const FIRST_PAUSE: Duration = Duration::from_millis(250);

/// The parts of an ARN that say where a thing lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArnHome<'s> {
    /// `aws`, `aws-cn`, ...
    pub partition: &'s str,
    /// The region.
    pub region: &'s str,
    /// The 12-digit account id.
    pub account: &'s str,
}

impl<'s> ArnHome<'s> {
    /// The home of `arn` if it is an ARN of `service` whose resource starts with `resource_prefix`
    /// (`stack/` or `function:`) and names a real region and a 12-digit account.
    fn parse(arn: &'s str, service: &str, resource_prefix: &str) -> Option<Self> {
        let parts = region::parse_arn(arn)?;
        (parts.service == service && parts.resource.starts_with(resource_prefix)).then_some(ArnHome {
            partition: parts.partition,
            region: parts.region,
            account: parts.account,
        })
    }

    /// The home of a stack ARN (`arn:aws:cloudformation:us-east-1:123456789012:stack/name/uuid`).
    pub fn of_stack(stack_id: &'s str) -> Option<Self> {
        let home = ArnHome::parse(stack_id, "cloudformation", "stack/")?;
        let rest = stack_id.rsplit_once(":stack/")?.1;
        let (name, id) = rest.split_once('/')?;
        (!name.is_empty() && !id.is_empty() && !id.contains('/')).then_some(home)
    }

    /// The home of a Lambda function ARN, qualified or not.
    pub fn of_function(function_arn: &'s str) -> Option<Self> {
        ArnHome::parse(function_arn, "lambda", "function:")
    }
}

/// The stack statuses in which CloudFormation deletes a PhysicalResourceId that is no longer the
/// resource's current one: the old resource after a replacement, and what a failed update made, in the
/// cleanup or rollback that follows.
pub const SUPERSEDED_STATUSES: [&str; 4] = [
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "ROLLBACK_IN_PROGRESS",
];

/// The resource status in which CloudFormation sends a request of `request_type` about the current
/// resource.
pub fn operating_status(request_type: RequestType) -> &'static str {
    match request_type {
        RequestType::Create => "CREATE_IN_PROGRESS",
        RequestType::Update => "UPDATE_IN_PROGRESS",
        RequestType::Delete => "DELETE_IN_PROGRESS",
    }
}

/// What CloudFormation's view of the event's resource says about the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// CloudFormation is operating on the resource, with this request type, under this physical id.
    Operating,
    /// A Delete of a PhysicalResourceId that is no longer the resource's current one: legitimate only
    /// in a cleanup or rollback of its stack, for an id the resource could have had.
    Superseded,
    /// Not a request CloudFormation is sending; why, for the function's log (the answer only names
    /// the rule).
    Refused(String),
}

/// Judges the event's request against what DescribeStackResource showed of its resource (`None`: the
/// stack or the resource does not exist).
pub fn judge(seen: Option<&StackResource>, request: &Request) -> Verdict {
    let Some(seen) = seen else {
        return Verdict::Refused("CloudFormation shows no such stack or resource".into());
    };
    if seen.resource_type.as_deref() != Some(request.resource_type.as_str()) {
        return Verdict::Refused(format!(
            "the resource is a {}",
            seen.resource_type.as_deref().unwrap_or("resource of no type")
        ));
    }
    let differs = matches!(
        (request.physical_resource_id.as_deref(), seen.physical_id.as_deref()),
        (Some(event), Some(current)) if event != current
    );
    let wanted = operating_status(request.request_type);
    match request.request_type {
        RequestType::Delete if differs => Verdict::Superseded,
        RequestType::Update if differs => {
            Verdict::Refused("the event's PhysicalResourceId is not the resource's current one".into())
        }
        _ if seen.status.as_deref() == Some(wanted) => Verdict::Operating,
        _ => Verdict::Refused(format!(
            "the resource is {}, not {wanted}",
            seen.status.as_deref().unwrap_or("in no status")
        )),
    }
}

/// The answer's reason for every refusal that CloudFormation's answers decide: the rule, in the same
/// words whatever failed, so that it tells a caller nothing about a stack it could not read itself.
fn not_operating(request: &Request) -> Error {
    Error::from(Refusal::NotOperating {
        doing: match request.request_type {
            RequestType::Create => "creating",
            RequestType::Update => "updating",
            RequestType::Delete => "deleting",
        },
        resource_type: request.resource_type.clone(),
        logical_id: request.logical_resource_id.clone(),
        stack_id: request.stack_id.clone(),
        status: operating_status(request.request_type),
    })
}

/// Checks, from the ARNs alone and before any call, that the request's `StackId` names a stack of the
/// function's own partition, account and region; returns that region.
pub fn check_stack_arn(invocation: &Invocation) -> Result<&str, Error> {
    let home = ArnHome::of_function(&invocation.function_arn).ok_or_else(|| Bug::UnreadableFunctionArn {
        arn: invocation.function_arn.clone(),
    })?;
    let stack_id = invocation.request.stack_id.as_str();
    let stack = ArnHome::of_stack(stack_id).ok_or_else(|| Refusal::NotAStackArn {
        stack_id: stack_id.to_string(),
    })?;
    if (stack.partition, stack.account) != (home.partition, home.account) {
        return Err(Refusal::OtherAccount {
            stack_id: stack_id.to_string(),
            account: stack.account.to_string(),
            partition: stack.partition.to_string(),
            own_account: home.account.to_string(),
            own_partition: home.partition.to_string(),
        }
        .into());
    }
    if stack.region != home.region {
        return Err(Refusal::OtherRegion {
            stack_id: stack_id.to_string(),
            region: stack.region.to_string(),
            own_region: home.region.to_string(),
        }
        .into());
    }
    Ok(home.region)
}

/// Confirms with CloudFormation in `region` (the one [`check_stack_arn`] returned) that it is operating
/// on the event's resource: DescribeStackResource, and DescribeStacks only for a Delete of a former
/// PhysicalResourceId, which `could_have_had(request, former, current)` must also accept. A refusal is asked again
/// for up to [`VISIBILITY_WAIT`], since CloudFormation's reads may lag its operation; throttling is
/// retried by the client like any other call.
pub async fn confirm(
    clients: &Clients,
    invocation: &Invocation,
    region: &str,
    could_have_had: fn(&Request, &str, Option<&str>) -> bool,
) -> Result<(), Error> {
    let request = &invocation.request;
    let stack_id = request.stack_id.as_str();
    let cfn = clients.cloudformation(region, &invocation.progress);
    let waited = tokio::time::Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        let seen = cfn.stack_resource(stack_id, &request.logical_resource_id).await?;
        let why = match judge(seen.as_ref(), request) {
            Verdict::Operating => {
                info!(
                    resource_status = operating_status(request.request_type),
                    "calling stack verified"
                );
                return Ok(());
            }
            Verdict::Superseded => {
                let former = request.physical_resource_id.as_deref().unwrap_or_default();
                let current = seen.as_ref().and_then(|seen| seen.physical_id.as_deref());
                match could_have_had(request, former, current) {
                    false => format!("'{former}' is not a PhysicalResourceId this resource could have had"),
                    true => match cfn.stack_status(stack_id).await? {
                        Some(status) if SUPERSEDED_STATUSES.contains(&status.as_str()) => {
                            info!(stack_status = %status, "a former PhysicalResourceId deleted in cleanup or rollback: verified");
                            return Ok(());
                        }
                        status => format!(
                            "a former PhysicalResourceId while the stack is {}, not cleaning up or rolling back",
                            status.as_deref().unwrap_or("gone")
                        ),
                    },
                }
            }
            Verdict::Refused(why) => why,
        };
        if waited.elapsed() + pause > VISIBILITY_WAIT {
            warn!(%why, "caller check refused the request");
            return Err(not_operating(request));
        }
        info!(%why, "the calling resource is not verified yet; asking CloudFormation again");
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
}

/// Whether the stack `owner_stack_id` (from the owner tags of something this request wants to adopt)
/// no longer exists: CloudFormation does not know it, or shows it `DELETE_COMPLETE`. An error when
/// that cannot be told (a stack of another account, a call that fails): nothing is adopted then.
pub async fn owner_stack_is_gone(
    clients: &Clients,
    invocation: &Invocation,
    owner_stack_id: &str,
) -> Result<bool, String> {
    let home = ArnHome::of_function(&invocation.function_arn)
        .ok_or_else(|| "the function's own ARN could not be read".to_string())?;
    let owner = ArnHome::of_stack(owner_stack_id)
        .ok_or_else(|| format!("its owner tag names '{owner_stack_id}', which is not a stack ARN"))?;
    if (owner.partition, owner.account) != (home.partition, home.account) {
        return Err(format!(
            "its owner stack {owner_stack_id} is in another account, whose stacks this provider cannot read"
        ));
    }
    let status = clients
        .cloudformation(owner.region, &invocation.progress)
        .stack_status(owner_stack_id)
        .await
        .map_err(|err| format!("its owner stack {owner_stack_id} could not be read: {err}"))?;
    Ok(status.is_none_or(|status| status == "DELETE_COMPLETE"))
}

#[cfg(test)]
mod tests;
