//! CloudFormation reads that say whom a request comes from (docs/reference.md, sections 2 and 7): a stack's status,
//! and the type, status and physical id of one of its resources. A stack or resource that does not
//! exist is `None`, not an error; CloudFormation reports both as a `ValidationError` whose message
//! says "does not exist".

use aws_sdk_cloudformation::Client;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::Error;
use crate::progress::{Progress, Step};

/// CloudFormation in one region, for one request. It only reads.
pub struct CloudFormation<'a> {
    client: Client,
    region: &'a str,
    progress: &'a Progress,
}

/// `true` for CloudFormation's answer about a stack or resource that does not exist: `ValidationError`
/// with "does not exist" in its message (there is no dedicated error code).
fn does_not_exist(err: &impl ProvideErrorMetadata) -> bool {
    err.code() == Some("ValidationError") && err.message().is_some_and(|m| m.contains("does not exist"))
}

impl<'a> CloudFormation<'a> {
    /// CloudFormation in `region` through `client`.
    pub fn new(client: Client, region: &'a str, progress: &'a Progress) -> Self {
        CloudFormation {
            client,
            region,
            progress,
        }
    }

    fn step(&self, what: &str) -> Step<'a> {
        self.progress.step(format!("{what} in {}", self.region))
    }

    /// DescribeStacks of one stack: its status (`CREATE_IN_PROGRESS`, ...), or `None` if there is no
    /// such stack. By stack id, a deleted stack is still found, as `DELETE_COMPLETE`.
    pub async fn stack_status(&self, stack_id: &str) -> Result<Option<String>, Error> {
        let _step = self.step("DescribeStacks");
        match self.client.describe_stacks().stack_name(stack_id).send().await {
            Ok(output) => Ok(output
                .stacks
                .unwrap_or_default()
                .into_iter()
                .find(|stack| stack.stack_id.as_deref() == Some(stack_id))
                .and_then(|stack| stack.stack_status)
                .map(|status| status.as_str().to_string())),
            Err(err) if err.as_service_error().is_some_and(does_not_exist) => Ok(None),
            Err(err) => Err(Error::aws("DescribeStacks", self.region, err)),
        }
    }

    /// DescribeStackResource: what CloudFormation shows of the stack's resource `logical_id`, or `None`
    /// if the stack or the resource does not exist.
    pub async fn stack_resource(&self, stack_id: &str, logical_id: &str) -> Result<Option<StackResource>, Error> {
        let _step = self.step("DescribeStackResource");
        let result = self
            .client
            .describe_stack_resource()
            .stack_name(stack_id)
            .logical_resource_id(logical_id)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.stack_resource_detail.map(|detail| StackResource {
                resource_type: detail.resource_type,
                status: detail.resource_status.map(|status| status.as_str().to_string()),
                physical_id: detail.physical_resource_id.filter(|id| !id.is_empty()),
            })),
            Err(err) if err.as_service_error().is_some_and(does_not_exist) => Ok(None),
            Err(err) => Err(Error::aws("DescribeStackResource", self.region, err)),
        }
    }
}

/// What DescribeStackResource shows of one resource of a stack.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackResource {
    /// Its type, e.g. `Custom::ReplicaKey`.
    pub resource_type: Option<String>,
    /// Its status, e.g. `UPDATE_IN_PROGRESS`.
    pub status: Option<String>,
    /// Its current PhysicalResourceId; `None` before it has one.
    pub physical_id: Option<String>,
}

#[cfg(test)]
mod tests;
