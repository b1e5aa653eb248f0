//! `Custom::ReplicaKey` handler tests on real SDK clients with `aws-smithy-mocks` rules. A rule
//! matches exact request arguments; a call that no rule matches panics inside the handler, which the
//! protocol layer turns into FAILED, so an unexpected call fails the test.

use std::time::Duration;

use aws_sdk_kms::Client;
use aws_sdk_kms::operation::cancel_key_deletion::CancelKeyDeletionOutput;
use aws_sdk_kms::operation::create_alias::{CreateAliasError, CreateAliasOutput};
use aws_sdk_kms::operation::delete_alias::DeleteAliasOutput;
use aws_sdk_kms::operation::describe_key::{DescribeKeyError, DescribeKeyOutput};
use aws_sdk_kms::operation::disable_key::DisableKeyOutput;
use aws_sdk_kms::operation::enable_key::EnableKeyOutput;
use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
use aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput;
use aws_sdk_kms::operation::put_key_policy::PutKeyPolicyOutput;
use aws_sdk_kms::operation::replicate_key::{ReplicateKeyError, ReplicateKeyOutput};
use aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput;
use aws_sdk_kms::operation::tag_resource::TagResourceOutput;
use aws_sdk_kms::operation::untag_resource::UntagResourceOutput;
use aws_sdk_kms::operation::update_key_description::UpdateKeyDescriptionOutput;
use aws_sdk_kms::types::error::{AlreadyExistsException, NotFoundException};
use aws_sdk_kms::types::{KeyMetadata, KeyState, MultiRegionConfiguration, MultiRegionKeyType, Tag};
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_types::error::ErrorMetadata;
use serde_json::{Value, json};

use crate::protocol::Answer;
use crate::protocol::request::FAILED_CREATE_PREFIX;
use crate::resources::ownership::{OWNER_LOGICAL_ID_TAG, OWNER_STACK_TAG};
use crate::resources::replica_key::REPLICABLE_TAG;
use crate::test_support::{self, TestApp, failure, merged, request, success};

const PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const NEW_PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-99990000aaaabbbbccccddddeeeeffff";
const KEY_ID: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";
const ALIAS: &str = "alias/app-data";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[]}"#;
const DESCRIPTION: &str = "application data key";

/// The properties of the fixtures, with `changes` applied (`null` removes a property).
fn props(changes: Value) -> Value {
    merged(
        json!({
            "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:mrk-provider",
            "PrimaryKeyArn": PRIMARY,
            "ReplicaRegions": ["eu-west-1", "ap-southeast-2"],
            "Alias": ALIAS,
            "PendingWindowInDays": "7",
        }),
        changes,
    )
}

fn key(state: KeyState, key_type: MultiRegionKeyType) -> KeyMetadata {
    KeyMetadata::builder()
        .key_id(KEY_ID)
        .key_state(state)
        .description(DESCRIPTION)
        .multi_region(true)
        .multi_region_configuration(
            MultiRegionConfiguration::builder()
                .multi_region_key_type(key_type)
                .build(),
        )
        .build()
        .unwrap()
}

fn replica(state: KeyState) -> KeyMetadata {
    key(state, MultiRegionKeyType::Replica)
}

fn tag(k: &str, v: &str) -> Tag {
    Tag::builder().tag_key(k).tag_value(v).build().unwrap()
}

fn owner_tags() -> Vec<Tag> {
    test_support::owner_tags("AppKeyReplicas")
        .iter()
        .map(|(k, v)| tag(k, v))
        .collect()
}

fn not_found() -> DescribeKeyError {
    DescribeKeyError::NotFoundException(NotFoundException::builder().message("not found").build())
}

fn aws_error(code: &'static str) -> ErrorMetadata {
    ErrorMetadata::builder().code(code).message("from the test").build()
}

// ---- rules for the primary's region ----

fn describe_primary() -> Rule {
    mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(PRIMARY))
        .then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(key(KeyState::Enabled, MultiRegionKeyType::Primary))
                .build()
        })
}

/// The primary's tags carry its owner's consent to replication (either primary of these tests).
fn primary_consents() -> Rule {
    mock!(Client::list_resource_tags)
        .match_requests(|r| r.key_id() == Some(PRIMARY) || r.key_id() == Some(NEW_PRIMARY))
        .sequence()
        .output(|| {
            ListResourceTagsOutput::builder()
                .tags(tag(REPLICABLE_TAG, "true"))
                .build()
        })
        .repeatedly()
        .build()
}

fn get_policy() -> Rule {
    mock!(Client::get_key_policy)
        .match_requests(|r| r.key_id() == Some(PRIMARY) && r.policy_name() == Some("default"))
        .then_output(|| GetKeyPolicyOutput::builder().policy(POLICY).build())
}

/// GetKeyPolicy of the replica (in the rule's region), by its key id: `policy`.
fn replica_policy(policy: &'static str) -> Rule {
    mock!(Client::get_key_policy)
        .match_requests(|r| r.key_id() == Some(KEY_ID) && r.policy_name() == Some("default"))
        .then_output(move || GetKeyPolicyOutput::builder().policy(policy).build())
}

/// ReplicateKey into `region` with the key id (never the ARN), the primary's description and policy,
/// and the user and owner tags; it answers the replica in `Creating`, as KMS does.
fn replicate(region: &'static str) -> Rule {
    replicate_answering(region, KeyState::Creating)
}

/// Like [`replicate`], answering the replica in `state`.
fn replicate_answering(region: &'static str, state: KeyState) -> Rule {
    mock!(Client::replicate_key)
        .match_requests(move |r| {
            let tags: Vec<(&str, &str)> = r.tags().iter().map(|t| (t.tag_key(), t.tag_value())).collect();
            r.key_id() == Some(KEY_ID)
                && r.replica_region() == Some(region)
                && r.description() == Some(DESCRIPTION)
                && r.policy() == Some(POLICY)
                && tags.contains(&(OWNER_LOGICAL_ID_TAG, "AppKeyReplicas"))
                && tags
                    .iter()
                    .any(|(k, v)| *k == OWNER_STACK_TAG && v.starts_with("arn:aws:cloudformation:"))
        })
        .then_output(move || {
            ReplicateKeyOutput::builder()
                .replica_key_metadata(replica(state.clone()))
                .build()
        })
}

fn replicate_already_exists(region: &'static str) -> Rule {
    mock!(Client::replicate_key)
        .match_requests(move |r| r.replica_region() == Some(region))
        .then_error(|| ReplicateKeyError::AlreadyExistsException(AlreadyExistsException::builder().build()))
}

/// ReplicateKey into `region` failing with `code`, for as many asks as the consent-tag wait makes (8):
/// a retry that never ends finds no rule after that, and fails the test instead of hanging it.
fn replicate_fails(region: &'static str, code: &'static str) -> Rule {
    mock!(Client::replicate_key)
        .match_requests(move |r| r.replica_region() == Some(region))
        .sequence()
        .error(move || ReplicateKeyError::generic(aws_error(code)))
        .times(8)
        .build()
}

// ---- rules for a replica's region ----

/// DescribeKey of the replica answering `states` in turn (`None`: NotFound), the last one repeating.
fn describe_replica(states: &[Option<KeyState>]) -> Rule {
    let mut sequence = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .sequence();
    for state in states {
        sequence = match state.clone() {
            Some(state) => sequence.output(move || {
                DescribeKeyOutput::builder()
                    .key_metadata(replica(state.clone()))
                    .build()
            }),
            None => sequence.error(not_found),
        };
    }
    sequence.repeatedly().build()
}

fn list_tags(tags: Vec<Tag>) -> Rule {
    list_tags_of(KEY_ID, tags)
}

/// ListResourceTags of the key `key_id` (in the region of the rule): `tags`.
fn list_tags_of(key_id: &'static str, tags: Vec<Tag>) -> Rule {
    mock!(Client::list_resource_tags)
        .match_requests(move |r| r.key_id() == Some(key_id))
        .then_output(move || {
            ListResourceTagsOutput::builder()
                .set_tags(Some(tags.clone()))
                .truncated(false)
                .build()
        })
}

fn create_alias() -> Rule {
    mock!(Client::create_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS) && r.target_key_id() == Some(KEY_ID))
        .then_output(|| CreateAliasOutput::builder().build())
}

fn create_alias_exists() -> Rule {
    mock!(Client::create_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS))
        .then_error(|| CreateAliasError::AlreadyExistsException(AlreadyExistsException::builder().build()))
}

/// DescribeKey of the alias: it points at `target`.
fn alias_points_at(target: &'static str) -> Rule {
    mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(ALIAS))
        .then_output(move || {
            let mut meta = replica(KeyState::Enabled);
            meta.key_id = target.to_string();
            DescribeKeyOutput::builder().key_metadata(meta).build()
        })
}

/// DescribeKey of the alias `name`: it does not exist.
fn alias_absent(name: &'static str) -> Rule {
    mock!(Client::describe_key)
        .match_requests(move |r| r.key_id() == Some(name))
        .then_error(not_found)
}

/// UpdateAlias of the alias to the replica.
fn update_alias_to_replica() -> Rule {
    mock!(Client::update_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS) && r.target_key_id() == Some(KEY_ID))
        .then_output(|| aws_sdk_kms::operation::update_alias::UpdateAliasOutput::builder().build())
}

fn delete_alias() -> Rule {
    mock!(Client::delete_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS))
        .then_output(|| DeleteAliasOutput::builder().build())
}

fn schedule_deletion(days: i32) -> Rule {
    mock!(Client::schedule_key_deletion)
        .match_requests(move |r| r.key_id() == Some(KEY_ID) && r.pending_window_in_days() == Some(days))
        .then_output(|| ScheduleKeyDeletionOutput::builder().build())
}

/// The rules of a region whose Enabled replica this resource owns and whose alias points at it, with
/// the DeleteAlias and ScheduleKeyDeletion (7 days) rules that removing it calls, to count.
fn an_owned_replica_to_remove() -> (Vec<Rule>, Rule, Rule) {
    let (remove_alias, schedule) = (delete_alias(), schedule_deletion(7));
    let rules = vec![
        describe_replica(&[Some(KeyState::Enabled)]),
        list_tags(owner_tags()),
        alias_points_at(KEY_ID),
        remove_alias.clone(),
        schedule.clone(),
    ];
    (rules, remove_alias, schedule)
}

fn cancel_deletion() -> Rule {
    mock!(Client::cancel_key_deletion)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .then_output(|| CancelKeyDeletionOutput::builder().build())
}

fn enable() -> Rule {
    mock!(Client::enable_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .then_output(|| EnableKeyOutput::builder().build())
}

fn disable() -> Rule {
    mock!(Client::disable_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .then_output(|| DisableKeyOutput::builder().build())
}

fn put_policy() -> Rule {
    mock!(Client::put_key_policy)
        .match_requests(|r| {
            r.key_id() == Some(KEY_ID) && r.policy() == Some(POLICY) && r.policy_name() == Some("default")
        })
        .then_output(|| PutKeyPolicyOutput::builder().build())
}

/// TagResource that sets the owner tags among others.
fn tag_with_owner() -> Rule {
    mock!(Client::tag_resource)
        .match_requests(|r| {
            r.tags()
                .iter()
                .any(|t| t.tag_key() == OWNER_LOGICAL_ID_TAG && t.tag_value() == "AppKeyReplicas")
        })
        .then_output(|| TagResourceOutput::builder().build())
}

fn untag(keys: &'static [&'static str]) -> Rule {
    mock!(Client::untag_resource)
        .match_requests(move |r| r.tag_keys() == keys)
        .then_output(|| UntagResourceOutput::builder().build())
}

fn update_description(text: &'static str) -> Rule {
    mock!(Client::update_key_description)
        .match_requests(move |r| r.description() == Some(text))
        .then_output(|| UpdateKeyDescriptionOutput::builder().build())
}

/// Answers the request with these KMS rules, the primary consenting to replication.
async fn answer(kms: Vec<(&str, Vec<Rule>)>, request_type: &str, properties: Value, old: Option<Value>) -> Answer {
    TestApp::new()
        .kms("us-east-1", vec![primary_consents()])
        .kms_by_region(kms)
        .answer(request(request_type, properties, old))
        .await
}

mod adoption;
mod allowed_regions;
mod consent;
mod converge;
mod create;
mod delete;
mod metrics;
mod trust;
mod update;
mod wait;
