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

// ---- Create ----

#[tokio::test(start_paused = true)]
async fn create_writes_every_name_into_both_regions_tagged_with_the_owner() {
    // GIVEN two regions where neither parameter exists
    let eu = (
        put_new("/app/key-arn", KEY_ARN, vec![]),
        put_new("/app/alias", "alias/app-data", vec![]),
    );
    let ap = (
        put_new("/app/key-arn", KEY_ARN, vec![]),
        put_new("/app/alias", "alias/app-data", vec![]),
    );
    let ssm = vec![
        ("eu-west-1", vec![eu.0.clone(), eu.1.clone()]),
        ("ap-southeast-2", vec![ap.0.clone(), ap.1.clone()]),
    ];

    // WHEN CloudFormation creates the resource
    let outcome = success(answer(ssm, "create", props(json!({})), None).await);

    // THEN each name was written once in each region, and the answer lists the names in name order
    assert_eq!((eu.0.num_calls(), eu.1.num_calls()), (1, 1));
    assert_eq!((ap.0.num_calls(), ap.1.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, physical_id());
    assert_eq!(outcome.data["Names"], "/app/alias,/app/key-arn");
    assert_eq!(outcome.data.len(), 1);
    assert!(!outcome.no_echo);
}

#[tokio::test(start_paused = true)]
async fn a_secure_string_is_written_with_its_key_tier_description_and_tags() {
    // GIVEN a SecureString with a multi-Region key alias, the Advanced tier, a description and a tag
    let properties = props(json!({
        "Regions": ["eu-west-1"], "Parameters": {"/app/token": "s3cr3t"}, "Type": "SecureString",
        "KeyId": "alias/app-data", "Tier": "Advanced", "Description": "app token", "Tags": [{"Key": "team", "Value": "platform"}],
    }));
    let mut expected_tags = owner_tags();
    expected_tags.push(tag("team", "platform"));
    let expected_tags = pairs(&expected_tags);
    let put = mock!(Client::put_parameter)
        .match_requests(move |r| {
            r.name() == Some("/app/token")
                && r.value() == Some("s3cr3t")
                && r.r#type() == Some(&ParameterType::SecureString)
                && r.key_id() == Some("alias/app-data")
                && r.tier() == Some(&ParameterTier::Advanced)
                && r.description() == Some("app token")
                && r.overwrite() == Some(false)
                && pairs(r.tags()) == expected_tags
        })
        .then_output(|| PutParameterOutput::builder().version(1).build());

    // WHEN the resource is created by a provider whose deployment allows the Advanced tier
    let app = TestApp::new()
        .env("ALLOWED_PARAMETER_TIERS", "Standard,Advanced")
        .ssm("eu-west-1", vec![put.clone()]);
    success(answer_with(app, "create", properties, None).await);

    // THEN one PutParameter carried every setting
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_redelivered_create_adopts_the_parameters_its_earlier_attempt_wrote() {
    // GIVEN the parameter exists already, tagged with this stack and logical id
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let (exists, tags, rewrite, retag) = (
        put_exists("/app/key-arn"),
        list_tags("/app/key-arn", owner_tags()),
        overwrite("/app/key-arn", KEY_ARN),
        add_tags("/app/key-arn", owner_tags()),
    );
    let ssm = vec![(
        "eu-west-1",
        vec![exists.clone(), tags.clone(), rewrite.clone(), retag.clone()],
    )];

    // WHEN the Create is delivered again
    let outcome = success(answer(ssm, "create", properties, None).await);

    // THEN the parameter is overwritten in place, its tags already right
    assert_eq!((exists.num_calls(), tags.num_calls(), rewrite.num_calls()), (1, 1, 1));
    assert_eq!(retag.num_calls(), 0);
    assert_eq!(outcome.physical_resource_id, physical_id());
}

#[tokio::test(start_paused = true)]
async fn a_create_refuses_a_parameter_that_someone_else_owns() {
    // GIVEN the parameter exists in eu-west-1, owned by another stack's resource
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let rewrite = overwrite("/app/key-arn", KEY_ARN);
    let ssm = vec![(
        "eu-west-1",
        vec![
            put_exists("/app/key-arn"),
            list_tags("/app/key-arn", foreign_tags()),
            rewrite.clone(),
        ],
    )];

    // WHEN the resource is created
    let (physical, reason) = failure(answer(ssm, "create", properties, None).await);

    // THEN it fails naming the parameter, the region, the owner and AdoptExisting, and overwrote nothing
    assert_eq!(rewrite.num_calls(), 0);
    assert!(
        reason.starts_with("the parameter /app/key-arn already exists in eu-west-1 and this resource does not own it"),
        "{reason}"
    );
    assert!(
        reason.contains("it belongs to Theirs in stack arn:aws:cloudformation:us-east-1:123456789012:stack/other/1")
    );
    assert!(reason.contains("set AdoptExisting to true"), "{reason}");
    // AND the rollback Delete gets this resource's id, and will leave the foreign parameter alone
    assert_eq!(physical, physical_id());
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_takes_over_a_foreign_parameter_and_tags_it() {
    // GIVEN a parameter without owner tags, and AdoptExisting with a user tag
    let properties = props(json!({
        "Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN},
        "AdoptExisting": "true", "Tags": [{"Key": "team", "Value": "platform"}],
    }));
    let mut tags = owner_tags();
    tags.push(tag("team", "platform"));
    let (rewrite, retag) = (overwrite("/app/key-arn", KEY_ARN), add_tags("/app/key-arn", tags));
    let ssm = vec![(
        "eu-west-1",
        vec![
            put_exists("/app/key-arn"),
            list_tags("/app/key-arn", vec![tag("team", "someone")]),
            rewrite.clone(),
            retag.clone(),
        ],
    )];

    // WHEN the resource is created
    success(answer(ssm, "create", properties, None).await);

    // THEN the value is overwritten and the owner and user tags are added
    assert_eq!((rewrite.num_calls(), retag.num_calls()), (1, 1));
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

#[tokio::test(start_paused = true)]
async fn adopt_existing_takes_a_parameter_only_from_an_owner_stack_that_is_gone() {
    for (answer, adopted, expected) in [
        (
            OwnerStack::Shows("UPDATE_COMPLETE"),
            false,
            "it belongs to Theirs in stack arn:aws:cloudformation:us-east-1:123456789012:stack/other/1, which still exists",
        ),
        (OwnerStack::Shows("CREATE_IN_PROGRESS"), false, "which still exists"),
        (
            OwnerStack::Unreadable,
            false,
            "could not be read: DescribeStacks in us-east-1 failed (AccessDenied)",
        ),
        (OwnerStack::Shows("DELETE_COMPLETE"), true, ""),
        (OwnerStack::Unknown, true, ""),
    ] {
        // GIVEN the parameter, owned by another stack's resource, and AdoptExisting
        // WHEN the resource is created
        let Adoption {
            answered,
            owner,
            rewrite,
            retag,
        } = adopt(foreign_tags(), answer).await;

        // THEN it is adopted only when the owner stack is gone; else nothing is written
        assert_eq!(owner.num_calls(), 1);
        if adopted {
            success(answered);
            assert_eq!((rewrite.num_calls(), retag.num_calls()), (1, 1));
        } else {
            let (_, reason) = failure(answered);
            assert!(
                reason.starts_with("the parameter /app/key-arn in eu-west-1 was not adopted: "),
                "{reason}"
            );
            assert!(reason.contains(expected), "{reason}");
            assert!(
                reason.contains("AdoptExisting takes over only what no live stack owns"),
                "{reason}"
            );
            assert_eq!((rewrite.num_calls(), retag.num_calls()), (0, 0));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_never_takes_a_parameter_from_another_resource_of_the_same_stack() {
    // GIVEN the parameter belongs to another resource of this very stack (which is live: it asked)
    let properties = props(json!({
        "Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "AdoptExisting": "true",
    }));
    let rewrite = overwrite("/app/key-arn", KEY_ARN);
    let sibling = vec![
        tag(OWNER_STACK_TAG, &stack_id()),
        tag(OWNER_LOGICAL_ID_TAG, "OtherExport"),
    ];
    let ssm = vec![(
        "eu-west-1",
        vec![
            put_exists("/app/key-arn"),
            list_tags("/app/key-arn", sibling),
            rewrite.clone(),
        ],
    )];

    // WHEN the resource is created
    let (_, reason) = failure(answer(ssm, "create", properties, None).await);

    // THEN nothing is overwritten, and the reason names the sibling
    assert!(
        reason.contains("it belongs to OtherExport of this same stack"),
        "{reason}"
    );
    assert_eq!(rewrite.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_failed_create_answers_its_id_so_that_the_rollback_deletes_what_was_written() {
    // GIVEN eu-west-1 accepts the write and ap-southeast-2 denies it
    let properties = props(json!({"Parameters": {"/app/key-arn": KEY_ARN}}));
    let denied =
        mock!(Client::put_parameter).then_error(|| PutParameterError::generic(aws_error("AccessDeniedException")));
    let ssm = vec![
        ("eu-west-1", vec![put_new("/app/key-arn", KEY_ARN, vec![])]),
        ("ap-southeast-2", vec![denied]),
    ];

    // WHEN the resource is created
    let (physical, reason) = failure(answer(ssm, "create", properties.clone(), None).await);

    // THEN the reason names the parameter, the region and the code, and the id is this resource's
    assert!(
        reason.starts_with("parameter /app/key-arn: PutParameter in ap-southeast-2 failed (AccessDeniedException)"),
        "{reason}"
    );
    assert!(reason.contains("AllowedRegions"), "{reason}");
    assert_eq!(physical, physical_id());
    assert!(!physical.starts_with(FAILED_CREATE_PREFIX));

    // AND the rollback Delete with that id removes the parameter that was written
    let removed = delete(&["/app/key-arn"]);
    let ssm = vec![
        (
            "eu-west-1",
            vec![list_tags("/app/key-arn", owner_tags()), removed.clone()],
        ),
        ("ap-southeast-2", vec![list_tags_of_missing("/app/key-arn")]),
    ];
    let mut rollback = typed_request(RESOURCE_TYPE, LOGICAL_ID, "delete", properties, None);
    rollback.physical_resource_id = Some(physical);
    success(TestApp::new().ssm_by_region(ssm).answer(rollback).await);
    assert_eq!(removed.num_calls(), 1);
}

#[tokio::test]
async fn bad_names_and_oversized_values_are_rejected_before_any_call() {
    for (parameters, expected) in [
        (json!({"app/key-arn": "x"}), "'app/key-arn' must start with '/'"),
        (json!({"/app/key arn": "x"}), "'/app/key arn' contains ' '"),
        (
            json!({"/ssm/key-arn": "x"}),
            "SSM reserves names that begin with aws or ssm",
        ),
        (
            json!({"/app/big": "v".repeat(4097)}),
            "the value of '/app/big' is 4097 bytes",
        ),
        (
            json!({"/other/key-arn": "x"}),
            "outside this provider's PARAMETER_PREFIX '/app'",
        ),
    ] {
        // GIVEN a provider with PARAMETER_PREFIX /app and no SSM rules: any call would fail the test
        let app = TestApp::new().env("PARAMETER_PREFIX", "/app");
        // WHEN a Create names a bad parameter
        let answer = answer_with(app, "create", props(json!({"Parameters": parameters})), None).await;
        // THEN it fails with the rule it broke, and the id tells the rollback Delete that nothing was made
        let (physical, reason) = failure(answer);
        assert!(
            reason.starts_with("invalid property 'Parameters' for Custom::CrossRegionParameter: "),
            "{reason}"
        );
        assert!(reason.contains(expected), "{reason}");
        assert!(physical.starts_with(FAILED_CREATE_PREFIX), "{physical}");
    }
}

// ---- Update ----

#[tokio::test(start_paused = true)]
async fn an_update_writes_a_changed_value_in_every_region() {
    // GIVEN /app/key-arn changes value and /app/alias does not
    let old = props(json!({}));
    let new = props(json!({"Parameters": {"/app/key-arn": "arn:new", "/app/alias": "alias/app-data"}}));
    let (eu, ap) = (
        overwrite("/app/key-arn", "arn:new"),
        overwrite("/app/key-arn", "arn:new"),
    );
    let ssm = vec![
        ("eu-west-1", vec![list_tags("/app/key-arn", owner_tags()), eu.clone()]),
        (
            "ap-southeast-2",
            vec![list_tags("/app/key-arn", owner_tags()), ap.clone()],
        ),
    ];

    // WHEN CloudFormation updates the resource
    let outcome = success(answer(ssm, "update", new, Some(old)).await);

    // THEN the new value is written in both regions (and nothing touches /app/alias)
    assert_eq!((eu.num_calls(), ap.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, fixture("update")["PhysicalResourceId"]);
}

#[tokio::test(start_paused = true)]
async fn an_update_deletes_the_parameters_of_a_removed_region() {
    // GIVEN ap-southeast-2 is removed from Regions
    let old = props(json!({}));
    let new = props(json!({"Regions": ["eu-west-1"]}));
    let removed = delete(&["/app/alias", "/app/key-arn"]);
    let ssm = vec![("ap-southeast-2", vec![list_owned_tags_of_any(), removed.clone()])];

    // WHEN CloudFormation updates the resource
    let outcome = success(answer(ssm, "update", new, Some(old)).await);

    // THEN both owned parameters are deleted there in one call, and eu-west-1 is not touched
    assert_eq!(removed.num_calls(), 1);
    assert_eq!(outcome.data["Names"], "/app/alias,/app/key-arn");
}

#[tokio::test(start_paused = true)]
async fn an_update_writes_added_names_and_deletes_removed_ones() {
    // GIVEN /app/alias is replaced by /app/region in the one region
    let old = props(json!({"Regions": ["eu-west-1"]}));
    let new =
        props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN, "/app/region": "us-east-1"}}));
    let (added, removed) = (put_new("/app/region", "us-east-1", vec![]), delete(&["/app/alias"]));
    let ssm = vec![(
        "eu-west-1",
        vec![added.clone(), list_tags("/app/alias", owner_tags()), removed.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN the new name is created and the old one deleted
    assert_eq!((added.num_calls(), removed.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn changed_tags_are_added_and_removed_on_the_kept_parameters() {
    // GIVEN the tag 'old' is removed and 'team' added; values unchanged
    let old = props(
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "Tags": [{"Key": "old", "Value": "1"}]}),
    );
    let new = props(
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "Tags": [{"Key": "team", "Value": "platform"}]}),
    );
    let mut current = owner_tags();
    current.push(tag("old", "1"));
    let mut desired = owner_tags();
    desired.push(tag("team", "platform"));
    let (retag, untag) = (add_tags("/app/key-arn", desired), remove_tags("/app/key-arn", &["old"]));
    let ssm = vec![(
        "eu-west-1",
        vec![list_tags("/app/key-arn", current), retag.clone(), untag.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN the tags are converged without rewriting the value
    assert_eq!((retag.num_calls(), untag.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_removed_tag_that_the_parameter_no_longer_has_is_not_removed_again() {
    // GIVEN the tag 'old' is removed from the properties, and someone already took it off the parameter
    let old = props(
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "Tags": [{"Key": "old", "Value": "1"}]}),
    );
    let new = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let untag = remove_tags("/app/key-arn", &["old"]);
    let ssm = vec![(
        "eu-west-1",
        vec![list_tags("/app/key-arn", owner_tags()), untag.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN nothing is called to remove it: the parameter is as desired
    assert_eq!(untag.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn an_update_with_unreadable_old_properties_writes_everything_and_removes_nothing() {
    // GIVEN old properties that do not validate (a rollback of an update that failed validation)
    let old = props(json!({"Regions": "not a region"}));
    let new = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let (exists, rewrite) = (put_exists("/app/key-arn"), overwrite("/app/key-arn", KEY_ARN));
    let ssm = vec![(
        "eu-west-1",
        vec![exists.clone(), list_tags("/app/key-arn", owner_tags()), rewrite.clone()],
    )];

    // WHEN CloudFormation updates the resource
    success(answer(ssm, "update", new, Some(old)).await);

    // THEN the parameter is written (overwriting its own) and no DeleteParameters was made
    assert_eq!((exists.num_calls(), rewrite.num_calls()), (1, 1));
}

// ---- Delete ----

#[tokio::test(start_paused = true)]
async fn delete_removes_the_owned_parameters_and_tolerates_one_already_gone() {
    // GIVEN /app/alias is gone in eu-west-1, and SSM reports a name as invalid in ap-southeast-2
    let (eu_delete, ap_delete) = (delete(&["/app/key-arn"]), {
        mock!(Client::delete_parameters)
            .match_requests(|r| r.names() == ["/app/alias", "/app/key-arn"])
            .then_output(|| {
                DeleteParametersOutput::builder()
                    .deleted_parameters("/app/key-arn")
                    .invalid_parameters("/app/alias")
                    .build()
            })
    });
    let ssm = vec![
        (
            "eu-west-1",
            vec![
                list_tags_of_missing("/app/alias"),
                list_tags("/app/key-arn", owner_tags()),
                eu_delete.clone(),
            ],
        ),
        ("ap-southeast-2", vec![list_owned_tags_of_any(), ap_delete.clone()]),
    ];

    // WHEN the resource is deleted
    let outcome = success(answer(ssm, "delete", props(json!({})), None).await);

    // THEN it succeeds, having deleted what was there
    assert_eq!((eu_delete.num_calls(), ap_delete.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, fixture("delete")["PhysicalResourceId"]);
}

#[tokio::test(start_paused = true)]
async fn delete_leaves_parameters_that_it_does_not_own() {
    // GIVEN /app/key-arn belongs to another resource
    let properties = props(json!({"Regions": ["eu-west-1"]}));
    let removed = delete(&["/app/alias"]);
    let ssm = vec![(
        "eu-west-1",
        vec![
            list_tags("/app/key-arn", foreign_tags()),
            list_tags("/app/alias", owner_tags()),
            removed.clone(),
        ],
    )];
    // WHEN the resource is deleted
    success(answer(ssm, "delete", properties, None).await);
    // THEN only its own parameter is deleted (DeleteParameters with /app/key-arn would match no rule)
    assert_eq!(removed.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn twenty_three_names_are_deleted_in_batches_of_ten_ten_and_three() {
    // GIVEN 23 owned parameters in one region
    let parameters: Map<String, Value> = (0..23).map(|i| (format!("/app/p{i:02}"), json!("v"))).collect();
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": parameters}));
    let batches = Arc::new(Mutex::new(Vec::new()));
    let seen = batches.clone();
    let deletes = mock!(Client::delete_parameters).then_compute_output(move |r| {
        seen.lock().unwrap().push(r.names().to_vec());
        DeleteParametersOutput::builder().build()
    });
    let ssm = vec![("eu-west-1", vec![list_owned_tags_of_any(), deletes.clone()])];

    // WHEN the resource is deleted
    success(answer(ssm, "delete", properties, None).await);

    // THEN three DeleteParameters calls took 10, 10 and 3 names, each name once, in name order
    assert_eq!(deletes.num_calls(), 3);
    let batches = batches.lock().unwrap().clone();
    assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 3]);
    let all: Vec<String> = batches.concat();
    let expected: Vec<String> = (0..23).map(|i| format!("/app/p{i:02}")).collect();
    assert_eq!(all, expected);
}

#[tokio::test]
async fn a_delete_with_invalid_properties_succeeds_without_calls() {
    // GIVEN properties that never validated (so the Create wrote nothing), and no SSM rules
    // WHEN the resource is deleted
    let outcome = success(answer(vec![], "delete", props(json!({"Parameters": {"bad name": "x"}})), None).await);
    // THEN it succeeds
    assert_eq!(outcome.physical_resource_id, fixture("delete")["PhysicalResourceId"]);
}

// ---- Throughput ----

#[tokio::test(start_paused = true)]
async fn a_throttled_put_is_retried_until_it_succeeds() {
    // GIVEN PutParameter is throttled twice, then succeeds
    let put = mock!(Client::put_parameter)
        .sequence()
        .error(|| PutParameterError::generic(aws_error("ThrottlingException")))
        .times(2)
        .output(|| PutParameterOutput::builder().version(1).build())
        .build();
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    // WHEN the resource is created
    success(answer(vec![("eu-west-1", vec![put.clone()])], "create", properties, None).await);
    // THEN the SDK's retries got through: three attempts
    assert_eq!(put.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_put_throttled_until_the_deadline_fails_in_time_saying_it_was_throttled() {
    // GIVEN SSM throttling every PutParameter, and a function with 60 seconds left
    let put = mock!(Client::put_parameter).then_error(|| PutParameterError::generic(aws_error("ThrottlingException")));
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None);
    let started = Instant::now();
    // WHEN the resource is created
    let answer = TestApp::new()
        .ssm("eu-west-1", vec![put.clone()])
        .answer_within(request, Deadline::after(Duration::from_secs(60)))
        .await;
    // THEN it was retried until the deadline guard's margin (54 s), then answered FAILED in time, naming
    // the call and how often SSM throttled it
    let took = Instant::now() - started;
    assert_eq!(took, Duration::from_secs(54));
    let (_, reason) = failure(answer);
    assert!(
        reason.contains("ran out of time during PutParameter /app/key-arn in eu-west-1 (throttled "),
        "{reason}"
    );
    assert!(put.num_calls() > 12, "{}", put.num_calls());
}

#[tokio::test(start_paused = true)]
async fn a_put_that_meets_a_concurrent_update_is_retried() {
    // GIVEN PutParameter answers TooManyUpdates once (another call was changing the parameter), then succeeds
    let put = mock!(Client::put_parameter)
        .sequence()
        .error(|| {
            PutParameterError::TooManyUpdates(
                TooManyUpdates::builder()
                    .message("Concurrent updates")
                    .meta(aws_error("TooManyUpdates"))
                    .build(),
            )
        })
        .output(|| PutParameterOutput::builder().version(2).build())
        .build();
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    // WHEN the resource is created
    success(answer(vec![("eu-west-1", vec![put.clone()])], "create", properties, None).await);
    // THEN the write was tried again and got through
    assert_eq!(put.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn two_hundred_parameters_in_three_regions_are_written_without_being_throttled() {
    // GIVEN 200 parameters, and three regions each throttling above 40 calls a second
    let parameters: Map<String, Value> = (0..200).map(|i| (format!("/app/p{i:03}"), json!("v"))).collect();
    let properties =
        props(json!({"Regions": ["eu-west-1", "eu-central-1", "ap-southeast-2"], "Parameters": parameters}));
    let throttled = Arc::new(Mutex::new(0));
    let regions = ["eu-west-1", "eu-central-1", "ap-southeast-2"];
    let rules: Vec<Rule> = regions
        .iter()
        .map(|_| test_support::put_parameter_at_quota(40, throttled.clone()))
        .collect();
    let ssm = regions
        .iter()
        .zip(&rules)
        .map(|(r, rule)| (*r, vec![rule.clone()]))
        .collect();
    let started = Instant::now();

    // WHEN the resource is created
    success(answer(ssm, "create", properties, None).await);

    // THEN every parameter was written once in every region, none was ever throttled, and the regions
    // were written side by side at the rate limiter's pace (8 at once, then 192 at 30 a second: 6.4 s,
    // not three times that)
    assert_eq!(
        rules.iter().map(Rule::num_calls).collect::<Vec<_>>(),
        vec![200, 200, 200]
    );
    assert_eq!(*throttled.lock().unwrap(), 0);
    let took = Instant::now() - started;
    assert!(
        took >= Duration::from_millis(6300) && took < Duration::from_millis(6800),
        "{took:?}"
    );
}

// ---- AllowedRegions and bounds ----

#[tokio::test(start_paused = true)]
async fn a_region_outside_allowed_regions_fails_the_create_before_any_call() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and no SSM rules: any call would fail the test
    let app = TestApp::new().env("ALLOWED_REGIONS", "us-east-1,eu-west-1");

    // WHEN a Create writes into eu-west-1 and ap-southeast-2
    let (physical_id, reason) = failure(answer_with(app, "create", props(json!({})), None).await);

    // THEN it fails naming the region before anything was written
    assert!(
        reason.starts_with(
            "invalid property 'Regions' for Custom::CrossRegionParameter: 'ap-southeast-2' is not one of this \
             provider's AllowedRegions (eu-west-1, us-east-1)"
        ),
        "{reason}"
    );
    assert!(physical_id.starts_with(FAILED_CREATE_PREFIX), "{physical_id}");
}

#[tokio::test(start_paused = true)]
async fn a_delete_skips_a_region_outside_allowed_regions() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and rules for eu-west-1 only
    let removed = delete(&["/app/alias", "/app/key-arn"]);
    let app = TestApp::new()
        .env("ALLOWED_REGIONS", "eu-west-1")
        .ssm("eu-west-1", vec![list_owned_tags_of_any(), removed.clone()]);

    // WHEN the resource is deleted
    success(answer_with(app, "delete", props(json!({})), None).await);

    // THEN eu-west-1's parameters are deleted and ap-southeast-2 is not called
    assert_eq!(removed.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_update_does_not_delete_in_a_removed_region_outside_allowed_regions() {
    // GIVEN old properties with ap-southeast-2, which ALLOWED_REGIONS does not have, and new ones without
    let app = TestApp::new().env("ALLOWED_REGIONS", "eu-west-1");
    let new = props(json!({"Regions": ["eu-west-1"]}));

    // WHEN the Update arrives (no rules: any call would fail the test)
    let outcome = success(answer_with(app, "update", new, Some(props(json!({})))).await);

    // THEN nothing was called: eu-west-1 is unchanged and ap-southeast-2 was never written
    assert_eq!(outcome.data["Names"], "/app/alias,/app/key-arn");
}

#[tokio::test(start_paused = true)]
async fn more_parameters_than_the_bound_are_refused_before_any_call() {
    // GIVEN 501 parameters, one more than a resource may write
    let parameters: Map<String, Value> = (0..501).map(|i| (format!("/p/{i}"), json!("v"))).collect();

    // WHEN they are created (no rules: any call would fail the test)
    let (_, reason) = failure(answer(vec![], "create", props(json!({"Parameters": parameters})), None).await);

    // THEN the reason names the bound
    assert!(
        reason.ends_with("501 parameters are given; at most 500 are accepted"),
        "{reason}"
    );
}

mod refresh;
mod target_account;
mod trust;
