//! The caller check: the pure rules (ARNs, statuses, the verdict), then [`confirm`] on mocked
//! CloudFormation, then whole requests whose caller is refused, each asserting that nothing was
//! changed.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::operation::describe_stack_resource::{
    DescribeStackResourceError, DescribeStackResourceOutput,
};
use aws_sdk_cloudformation::operation::describe_stacks::{DescribeStacksError, DescribeStacksOutput};
use aws_sdk_cloudformation::types::{ResourceStatus, StackResourceDetail};
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_types::error::ErrorMetadata;
use serde_json::json;

use super::*;
use crate::protocol::Answer;
use crate::test_support::{TestApp, failure, fixture, stack_id, stack_in, stack_resource, success, typed_request};

const PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const OLD_PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-00000000000000000000000000000000";
const REPLICA_KEY: &str = "Custom::ReplicaKey";
const PARAMETER: &str = "Custom::CrossRegionParameter";
const READER: &str = "Custom::CrossRegionParameterReader";

/// The resource statuses of CloudFormation's API (botocore's model of 2010-05-15).
const RESOURCE_STATUSES: [&str; 28] = [
    "CREATE_IN_PROGRESS",
    "CREATE_FAILED",
    "CREATE_COMPLETE",
    "DELETE_IN_PROGRESS",
    "DELETE_FAILED",
    "DELETE_COMPLETE",
    "DELETE_SKIPPED",
    "UPDATE_IN_PROGRESS",
    "UPDATE_FAILED",
    "UPDATE_COMPLETE",
    "IMPORT_FAILED",
    "IMPORT_COMPLETE",
    "IMPORT_IN_PROGRESS",
    "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED",
    "IMPORT_ROLLBACK_COMPLETE",
    "EXPORT_FAILED",
    "EXPORT_COMPLETE",
    "EXPORT_IN_PROGRESS",
    "EXPORT_ROLLBACK_IN_PROGRESS",
    "EXPORT_ROLLBACK_FAILED",
    "EXPORT_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
];

/// A request of `request_type` about the resource `Keys` of type `resource_type`, with `physical_id`.
fn request_of(request_type: &str, resource_type: &str, physical_id: Option<&str>) -> crate::protocol::Request {
    let mut event = fixture(request_type);
    event["ResourceType"] = json!(resource_type);
    event["LogicalResourceId"] = json!("Keys");
    match physical_id {
        Some(id) => event["PhysicalResourceId"] = json!(id),
        None => {
            event.as_object_mut().map(|e| e.remove("PhysicalResourceId"));
        }
    }
    crate::protocol::Request::parse(&event).expect("the event parses")
}

fn seen(resource_type: &str, status: &str, physical_id: Option<&str>) -> StackResource {
    StackResource {
        resource_type: Some(resource_type.into()),
        status: Some(status.into()),
        physical_id: physical_id.map(str::to_string),
    }
}

/// Any PutParameter: what a write that must not happen would call.
fn put_any() -> Rule {
    mock!(aws_sdk_ssm::Client::put_parameter)
        .sequence()
        .output(|| aws_sdk_ssm::operation::put_parameter::PutParameterOutput::builder().build())
        .repeatedly()
        .build()
}

/// Any DeleteParameters, and the owner tags that would let a Delete go ahead.
fn delete_any() -> Rule {
    mock!(aws_sdk_ssm::Client::delete_parameters)
        .sequence()
        .output(|| aws_sdk_ssm::operation::delete_parameters::DeleteParametersOutput::builder().build())
        .repeatedly()
        .build()
}

/// ListTagsForResource answering the owner tags of the fixtures' resource `Exports`.
fn owned_by_exports() -> Rule {
    mock!(aws_sdk_ssm::Client::list_tags_for_resource)
        .sequence()
        .output(|| {
            let tags = crate::test_support::owner_tags("Exports")
                .into_iter()
                .map(|(k, v)| aws_sdk_ssm::types::Tag::builder().key(k).value(v).build().unwrap());
            aws_sdk_ssm::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
                .set_tag_list(Some(tags.collect()))
                .build()
        })
        .repeatedly()
        .build()
}

/// GetParameters answering `name` = `value`.
fn get_value(name: &'static str, value: &'static str) -> Rule {
    mock!(aws_sdk_ssm::Client::get_parameters).then_output(move || {
        aws_sdk_ssm::operation::get_parameters::GetParametersOutput::builder()
            .parameters(
                aws_sdk_ssm::types::Parameter::builder()
                    .name(name)
                    .value(value)
                    .r#type(aws_sdk_ssm::types::ParameterType::String)
                    .build(),
            )
            .build()
    })
}

fn validation_error(message: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("ValidationError")
        .message(message)
        .build()
}

fn no_such_resource() -> DescribeStackResourceError {
    DescribeStackResourceError::generic(validation_error("Resource Keys does not exist for stack app-keys"))
}

/// A reader's Create, `Reader` of the fixtures' stack, with `properties`.
fn reader_create(properties: serde_json::Value) -> crate::protocol::Request {
    typed_request(READER, "Reader", "create", properties, None)
}

/// A parameter Create from the fixtures' stack: writes `/app/x` in eu-west-1.
fn parameter_create() -> crate::protocol::Request {
    typed_request(
        PARAMETER,
        "Exports",
        "create",
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/x": "v"}}),
        None,
    )
}

/// DescribeKey of any key: an Enabled multi-Region replica.
fn enabled_replica() -> Rule {
    use aws_sdk_kms::types::{KeyMetadata, KeyState, MultiRegionConfiguration, MultiRegionKeyType};
    mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
        let meta = KeyMetadata::builder()
            .key_id("mrk-00000000000000000000000000000000")
            .key_state(KeyState::Enabled)
            .multi_region(true)
            .multi_region_configuration(
                MultiRegionConfiguration::builder()
                    .multi_region_key_type(MultiRegionKeyType::Replica)
                    .build(),
            )
            .build()
            .expect("key metadata with a key id");
        aws_sdk_kms::operation::describe_key::DescribeKeyOutput::builder()
            .key_metadata(meta)
            .build()
    })
}

/// ListResourceTags of any key: the owner tags of the resource `Keys` of the fixtures' stack.
fn owned_by_keys() -> Rule {
    mock!(aws_sdk_kms::Client::list_resource_tags).then_output(|| {
        let tags = crate::test_support::owner_tags("Keys")
            .iter()
            .map(|(k, v)| {
                aws_sdk_kms::types::Tag::builder()
                    .tag_key(k)
                    .tag_value(v)
                    .build()
                    .expect("a tag")
            })
            .collect();
        aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput::builder()
            .set_tags(Some(tags))
            .truncated(false)
            .build()
    })
}

/// A replica key's Delete of `former`, while its current id is [`PRIMARY`] and its stack is in
/// `stack_status`; returns the answer, and the DescribeStacks and ScheduleKeyDeletion rules.
async fn former_key_delete(stack_status: &str, former: &str) -> (Answer, Rule, Rule) {
    let mut event = fixture("delete");
    event["ResourceType"] = json!(REPLICA_KEY);
    event["LogicalResourceId"] = json!("Keys");
    event["PhysicalResourceId"] = json!(former);
    event["ResourceProperties"] = json!({"PrimaryKeyArn": PRIMARY, "ReplicaRegions": ["eu-west-1"]});
    let request = crate::protocol::Request::parse(&event).expect("the event parses");
    let stacks = stack_in(stack_status);
    let schedule = mock!(aws_sdk_kms::Client::schedule_key_deletion)
        .then_output(|| aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput::builder().build());
    let app = TestApp::new()
        .cloudformation("us-east-1", vec![stacks.clone()])
        .calling_stack(stack_status, REPLICA_KEY)
        .calling_resource("UPDATE_COMPLETE", Some(PRIMARY))
        .kms("eu-west-1", vec![enabled_replica(), owned_by_keys(), schedule.clone()]);
    (app.answer(request).await, stacks, schedule)
}

/// The fixtures' request of `resource_type`, with `StackId` replaced.
fn from_stack(resource_type: &str, stack: &str, properties: serde_json::Value) -> crate::protocol::Request {
    let mut event = fixture("create");
    event["ResourceType"] = json!(resource_type);
    event["LogicalResourceId"] = json!("Exports");
    event["StackId"] = json!(stack);
    event["ResourceProperties"] = properties;
    crate::protocol::Request::parse(&event).expect("the event parses")
}

mod confirm;
mod refused;
mod rules;
