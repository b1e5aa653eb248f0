//! Whom a request comes from (docs/reference.md, section 7). Anyone who may invoke the function can send any event,
//! so before a request changes anything the provider confirms with CloudFormation that the event's
//! `StackId` names a stack of the function's own account and region, that the stack is in the middle
//! of an operation (`*_IN_PROGRESS`), and that it has the event's `LogicalResourceId` with the event's
//! `ResourceType`. [`super::dispatch`] checks the ARNs first ([`check_stack_arn`]), then runs
//! [`confirm`] beside the handler, whose changes wait at the request's write gate until it passes; a
//! refusal ends the request with nothing changed.
//!
//! The stack status a real request arrives under (CloudFormation's documentation names the operation
//! that sends each request, not the status; each row has a test in `caller/tests.rs`):
//!
//! | request | stack status |
//! |---|---|
//! | Create, new stack (or a nested stack of one) | `CREATE_IN_PROGRESS` |
//! | Create, resource added by an update; the replacement's new resource | `UPDATE_IN_PROGRESS` |
//! | Update | `UPDATE_IN_PROGRESS` |
//! | Update back to the old properties during an update rollback | `UPDATE_ROLLBACK_IN_PROGRESS` |
//! | Delete of a failed Create when the stack's creation rolls back | `ROLLBACK_IN_PROGRESS` |
//! | Delete of the old resource after a replacement, or of a removed one | `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` |
//! | Delete of what a rolled-back update created | `UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS` (or `UPDATE_ROLLBACK_IN_PROGRESS`) |
//! | Delete when the stack is deleted | `DELETE_IN_PROGRESS` |
//! | Import and its rollback | `IMPORT_IN_PROGRESS`, `IMPORT_ROLLBACK_IN_PROGRESS` |
//!
//! Every `*_IN_PROGRESS` status is accepted for every request type: the documentation does not bind
//! a request type to a status (a nested stack follows its parent's operation, a rollback may send a
//! Create or a Delete), and failing a real deployment is worse than the little a narrower table would
//! add. `REVIEW_IN_PROGRESS` (a change set not yet executed) passes the status check but has no
//! resources, so the resource check refuses it.

use std::time::Duration;

use tracing::info;

use crate::Error;
use crate::aws::Clients;
use crate::protocol::Invocation;
use crate::region;

/// How long a stack or resource that CloudFormation does not show yet, or a stack not yet shown in
/// progress, is asked for again before the request is refused: CloudFormation's reads may lag the
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

/// `true` for a stack status in which CloudFormation sends custom-resource requests.
pub fn in_progress(status: &str) -> bool {
    status.ends_with("_IN_PROGRESS")
}

/// What CloudFormation showed about the calling stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen<'s> {
    /// The stack's status; `None` when there is no such stack.
    pub status: Option<&'s str>,
    /// The type of its resource with the event's logical id; `None` when it has none.
    pub resource_type: Option<&'s str>,
}

/// Whether what CloudFormation showed lets the request go ahead; else which check failed, as a phrase.
pub fn judge(seen: &Seen<'_>, stack_id: &str, logical_id: &str, resource_type: &str) -> Result<(), String> {
    let status = seen
        .status
        .ok_or_else(|| format!("the stack {stack_id} does not exist (DescribeStacks)"))?;
    if !in_progress(status) {
        return Err(format!(
            "the stack {stack_id} is {status}, not in progress (DescribeStacks); CloudFormation sends \
             requests only while it creates, updates or deletes a stack"
        ));
    }
    match seen.resource_type {
        None => Err(format!(
            "the stack {stack_id} has no resource {logical_id} (DescribeStackResource)"
        )),
        Some(found) if found != resource_type => Err(format!(
            "the resource {logical_id} of the stack {stack_id} is a {found}, not a {resource_type} \
             (DescribeStackResource)"
        )),
        Some(_) => Ok(()),
    }
}

fn refused(why: String) -> Error {
    Error::UnverifiedCaller(why)
}

/// Checks, from the ARNs alone and before any call, that the request's `StackId` names a stack of the
/// function's own partition, account and region; returns that region.
pub fn check_stack_arn(invocation: &Invocation) -> Result<&str, Error> {
    let home = ArnHome::of_function(&invocation.function_arn).ok_or_else(|| {
        Error::Internal(format!(
            "the function's own ARN '{}' could not be read",
            invocation.function_arn
        ))
    })?;
    let stack_id = invocation.request.stack_id.as_str();
    let stack = ArnHome::of_stack(stack_id).ok_or_else(|| {
        refused(format!(
            "the StackId '{stack_id}' is not the ARN of a CloudFormation stack"
        ))
    })?;
    if (stack.partition, stack.account) != (home.partition, home.account) {
        return Err(refused(format!(
            "the stack {stack_id} is in account {} of {}; this provider acts only for stacks of its own \
             account {} ({}), so deploy the provider in that account",
            stack.account, stack.partition, home.account, home.partition
        )));
    }
    if stack.region != home.region {
        return Err(refused(format!(
            "the stack {stack_id} is in {}; CloudFormation calls a custom resource's ServiceToken only in \
             the stack's own region, and this provider runs in {}",
            stack.region, home.region
        )));
    }
    Ok(home.region)
}

/// Confirms with CloudFormation in `region` (the one [`check_stack_arn`] returned) that the request
/// comes from the stack it names: the stack in progress, with the event's resource, asked again for up
/// to [`VISIBILITY_WAIT`] while it refuses. Throttling is retried by the client like any other call.
pub async fn confirm(clients: &Clients, invocation: &Invocation, region: &str) -> Result<(), Error> {
    let request = &invocation.request;
    let stack_id = request.stack_id.as_str();
    let cfn = clients.cloudformation(region, &invocation.progress);
    let logical_id = request.logical_resource_id.as_str();
    let resource_type = request.resource_type.as_str();
    let waited = tokio::time::Instant::now();
    let mut pause = FIRST_PAUSE;
    loop {
        let (status, found_type) =
            futures::try_join!(cfn.stack_status(stack_id), cfn.resource_type(stack_id, logical_id))?;
        let seen = Seen {
            status: status.as_deref(),
            resource_type: found_type.as_deref(),
        };
        match judge(&seen, stack_id, logical_id, resource_type) {
            Ok(()) => {
                info!(stack_status = status.as_deref(), "calling stack verified");
                return Ok(());
            }
            Err(why) if waited.elapsed() + pause <= VISIBILITY_WAIT => {
                info!(%why, "the calling stack is not verified yet; asking CloudFormation again");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            Err(why) => return Err(refused(why)),
        }
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
