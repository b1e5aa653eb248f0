//! `Custom::CrossRegionParameter` handler tests on real SDK clients with `aws-smithy-mocks` rules. A rule
//! matches exact request arguments; a call that no rule matches panics inside the handler, which the
//! protocol layer turns into FAILED, so an unexpected call fails the test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::operation::add_tags_to_resource::AddTagsToResourceOutput;
use aws_sdk_ssm::operation::delete_parameters::DeleteParametersOutput;
use aws_sdk_ssm::operation::list_tags_for_resource::{ListTagsForResourceError, ListTagsForResourceOutput};
use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
use aws_sdk_ssm::operation::remove_tags_from_resource::RemoveTagsFromResourceOutput;
use aws_sdk_ssm::types::error::{InvalidResourceId, ParameterAlreadyExists, TooManyUpdates};
use aws_sdk_ssm::types::{ParameterTier, ParameterType, ResourceTypeForTagging, Tag};
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_types::error::ErrorMetadata;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::RESOURCE_TYPE;
use crate::protocol::request::FAILED_CREATE_PREFIX;
use crate::protocol::{Answer, Deadline};
use crate::resources::ownership::{OWNER_LOGICAL_ID_TAG, OWNER_STACK_TAG};
use crate::test_support::{self, TestApp, failure, fixture, merged, stack_id, success, typed_request};

const LOGICAL_ID: &str = "KeyArnExport";
const KEY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";

fn physical_id() -> String {
    format!("{}/{LOGICAL_ID}", stack_id())
}

/// Properties writing `/app/key-arn` and `/app/alias` into eu-west-1 and ap-southeast-2, with
/// `changes` applied (`null` removes a property).
fn props(changes: Value) -> Value {
    merged(
        json!({
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:mrk-provider",
            "Regions": ["eu-west-1", "ap-southeast-2"],
            "Parameters": {"/app/key-arn": KEY_ARN, "/app/alias": "alias/app-data"},
        }),
        changes,
    )
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().key(k).value(v).build().unwrap()
}

fn owner_tags() -> Vec<Tag> {
    test_support::owner_tags(LOGICAL_ID)
        .iter()
        .map(|(k, v)| tag(k, v))
        .collect()
}

fn foreign_tags() -> Vec<Tag> {
    vec![
        tag(
            OWNER_STACK_TAG,
            "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1",
        ),
        tag(OWNER_LOGICAL_ID_TAG, "Theirs"),
    ]
}

fn pairs(tags: &[Tag]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = tags.iter().map(|t| (t.key.clone(), t.value.clone())).collect();
    pairs.sort();
    pairs
}

fn aws_error(code: &'static str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message("from the test").build()
}

// ---- rules ----

/// PutParameter creating `name` with `value`: a String in the Standard tier, no Overwrite, tagged with
/// exactly the owner tags and `user_tags`.
fn put_new(name: &'static str, value: &'static str, user_tags: Vec<Tag>) -> Rule {
    let mut expected_tags = owner_tags();
    expected_tags.extend(user_tags);
    let expected_tags = pairs(&expected_tags);
    mock!(Client::put_parameter)
        .match_requests(move |r| {
            r.name() == Some(name)
                && r.value() == Some(value)
                && r.r#type() == Some(&ParameterType::String)
                && r.tier() == Some(&ParameterTier::Standard)
                && r.key_id().is_none()
                && r.overwrite() == Some(false)
                && pairs(r.tags()) == expected_tags
        })
        .then_output(|| PutParameterOutput::builder().version(1).build())
}

/// PutParameter without Overwrite finding `name` already there.
fn put_exists(name: &'static str) -> Rule {
    mock!(Client::put_parameter)
        .match_requests(move |r| r.name() == Some(name) && r.overwrite() == Some(false))
        .then_error(|| PutParameterError::ParameterAlreadyExists(ParameterAlreadyExists::builder().build()))
}

/// PutParameter with Overwrite of `name` to `value`, without Tags (SSM refuses both together).
fn overwrite(name: &'static str, value: &'static str) -> Rule {
    mock!(Client::put_parameter)
        .match_requests(move |r| {
            r.name() == Some(name) && r.value() == Some(value) && r.overwrite() == Some(true) && r.tags().is_empty()
        })
        .then_output(|| PutParameterOutput::builder().version(2).build())
}

fn list_tags(name: &'static str, tags: Vec<Tag>) -> Rule {
    mock!(Client::list_tags_for_resource)
        .match_requests(move |r| {
            r.resource_type() == Some(&ResourceTypeForTagging::Parameter) && r.resource_id() == Some(name)
        })
        .then_output(move || {
            ListTagsForResourceOutput::builder()
                .set_tag_list(Some(tags.clone()))
                .build()
        })
}

fn list_tags_of_missing(name: &'static str) -> Rule {
    mock!(Client::list_tags_for_resource)
        .match_requests(move |r| r.resource_id() == Some(name))
        .then_error(|| ListTagsForResourceError::InvalidResourceId(InvalidResourceId::builder().build()))
}

/// Any ListTagsForResource: the owner's tags.
fn list_owned_tags_of_any() -> Rule {
    mock!(Client::list_tags_for_resource).then_output(|| {
        ListTagsForResourceOutput::builder()
            .set_tag_list(Some(owner_tags()))
            .build()
    })
}

/// AddTagsToResource of `name` with exactly these tags.
fn add_tags(name: &'static str, tags: Vec<Tag>) -> Rule {
    let expected = pairs(&tags);
    mock!(Client::add_tags_to_resource)
        .match_requests(move |r| {
            r.resource_type() == Some(&ResourceTypeForTagging::Parameter)
                && r.resource_id() == Some(name)
                && pairs(r.tags()) == expected
        })
        .then_output(|| AddTagsToResourceOutput::builder().build())
}

fn remove_tags(name: &'static str, keys: &'static [&'static str]) -> Rule {
    mock!(Client::remove_tags_from_resource)
        .match_requests(move |r| r.resource_id() == Some(name) && r.tag_keys() == keys)
        .then_output(|| RemoveTagsFromResourceOutput::builder().build())
}

/// DeleteParameters of exactly `names`, in that order.
fn delete(names: &'static [&'static str]) -> Rule {
    mock!(Client::delete_parameters)
        .match_requests(move |r| r.names() == names)
        .then_output(move || {
            DeleteParametersOutput::builder()
                .set_deleted_parameters(Some(names.iter().map(|n| n.to_string()).collect()))
                .build()
        })
}

async fn answer_with(app: TestApp, request_type: &str, properties: Value, old: Option<Value>) -> Answer {
    app.answer(typed_request(RESOURCE_TYPE, LOGICAL_ID, request_type, properties, old))
        .await
}

async fn answer(ssm: Vec<(&str, Vec<Rule>)>, request_type: &str, properties: Value, old: Option<Value>) -> Answer {
    answer_with(TestApp::new().ssm_by_region(ssm), request_type, properties, old).await
}

/// What CloudFormation answers about the owner stack of [`foreign_tags`].
enum OwnerStack {
    Shows(&'static str),
    Unknown,
    Unreadable,
}

fn owner_stack(answer: OwnerStack) -> Rule {
    use aws_sdk_cloudformation::operation::describe_stacks::{DescribeStacksError, DescribeStacksOutput};
    use aws_sdk_cloudformation::types::{Stack, StackStatus};
    let rule = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .match_requests(|r| r.stack_name() == Some("arn:aws:cloudformation:us-east-1:123456789012:stack/other/1"));
    match answer {
        OwnerStack::Shows(status) => rule.then_output(move || {
            DescribeStacksOutput::builder()
                .stacks(
                    Stack::builder()
                        .stack_id("arn:aws:cloudformation:us-east-1:123456789012:stack/other/1")
                        .stack_status(StackStatus::from(status))
                        .build(),
                )
                .build()
        }),
        OwnerStack::Unknown => rule.then_error(|| {
            DescribeStacksError::generic(
                ErrorMetadata::builder()
                    .code("ValidationError")
                    .message("Stack with id arn:aws:cloudformation:us-east-1:123456789012:stack/other/1 does not exist")
                    .build(),
            )
        }),
        OwnerStack::Unreadable => rule.then_error(|| {
            DescribeStacksError::generic(ErrorMetadata::builder().code("AccessDenied").message("denied").build())
        }),
    }
}

/// What a Create with AdoptExisting of the existing parameter `/app/key-arn` came to, and the rules
/// that count its calls: DescribeStacks of the owner stack, the overwrite and the retagging.
struct Adoption {
    answered: Answer,
    owner: Rule,
    rewrite: Rule,
    retag: Rule,
}

/// A Create with AdoptExisting of `/app/key-arn`, which exists with `tags`, while CloudFormation
/// answers `owner` about the stack `other/1`.
async fn adopt(tags: Vec<Tag>, owner: OwnerStack) -> Adoption {
    let properties = props(json!({
        "Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "AdoptExisting": "true",
    }));
    let (rewrite, retag) = (
        overwrite("/app/key-arn", KEY_ARN),
        add_tags("/app/key-arn", owner_tags()),
    );
    let owner = owner_stack(owner);
    let app = TestApp::new().cloudformation("us-east-1", vec![owner.clone()]).ssm(
        "eu-west-1",
        vec![
            put_exists("/app/key-arn"),
            list_tags("/app/key-arn", tags),
            rewrite.clone(),
            retag.clone(),
        ],
    );
    let answered = answer_with(app, "create", properties, None).await;
    Adoption {
        answered,
        owner,
        rewrite,
        retag,
    }
}

mod adoption;
mod bounds;
mod create;
mod delete;
mod refresh;
mod target_account;
mod throughput;
mod trust;
mod update;
