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

#[tokio::test(start_paused = true)]
async fn create_replicates_into_every_region_and_returns_the_attributes() {
    // GIVEN a primary key and no replica yet in eu-west-1 and ap-southeast-2
    let (primary, policy) = (describe_primary(), get_policy());
    let (into_eu, into_ap) = (replicate("eu-west-1"), replicate("ap-southeast-2"));
    let (eu_describe, eu_alias) = (describe_replica(&[Some(KeyState::Enabled)]), create_alias());
    let (ap_describe, ap_alias) = (describe_replica(&[Some(KeyState::Enabled)]), create_alias());
    let kms = vec![
        (
            "us-east-1",
            vec![primary.clone(), policy.clone(), into_eu.clone(), into_ap.clone()],
        ),
        ("eu-west-1", vec![eu_describe.clone(), eu_alias.clone()]),
        ("ap-southeast-2", vec![ap_describe.clone(), ap_alias.clone()]),
    ];

    // WHEN CloudFormation creates the resource
    let outcome = success(answer(kms, "create", props(json!({})), None).await);

    // THEN each region got one replica and one alias, and the attributes list them in order
    assert_eq!((primary.num_calls(), policy.num_calls()), (1, 1));
    assert_eq!((into_eu.num_calls(), into_ap.num_calls()), (1, 1));
    assert_eq!((eu_alias.num_calls(), ap_alias.num_calls()), (1, 1));
    assert_eq!(outcome.physical_resource_id, PRIMARY);
    assert_eq!(outcome.data["KeyId"], KEY_ID);
    assert_eq!(outcome.data["PrimaryKeyArn"], PRIMARY);
    let eu = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    let ap = "arn:aws:kms:ap-southeast-2:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    assert_eq!(outcome.data["ReplicaKeyArns"], format!("{eu},{ap}"));
    assert_eq!(outcome.data["Arn.eu-west-1"], eu);
    assert_eq!(outcome.data["Arn.ap-southeast-2"], ap);
}

#[tokio::test(start_paused = true)]
async fn a_replica_that_replicate_key_answers_enabled_is_not_polled() {
    // GIVEN a ReplicateKey that answers the new replica already Enabled
    let polled = describe_replica(&[Some(KeyState::Enabled)]);
    let kms = vec![
        (
            "us-east-1",
            vec![
                describe_primary(),
                get_policy(),
                replicate_answering("eu-west-1", KeyState::Enabled),
            ],
        ),
        ("eu-west-1", vec![polled.clone(), create_alias()]),
    ];

    // WHEN the resource is created
    success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN nothing waits for the replica: DescribeKey in its region is never called
    assert_eq!(polled.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn create_waits_while_the_replica_is_not_found_then_creating() {
    // GIVEN a replica region that does not know the key right after ReplicateKey, then reports Creating
    let wait = describe_replica(&[
        None,
        Some(KeyState::Creating),
        Some(KeyState::Creating),
        Some(KeyState::Enabled),
    ]);
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate("eu-west-1")],
        ),
        ("eu-west-1", vec![wait.clone(), create_alias()]),
    ];

    // WHEN the resource is created
    let outcome = success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN the handler polled until Enabled (4 DescribeKey calls), then answered
    assert_eq!(wait.num_calls(), 4);
    assert_eq!(
        outcome.data["ReplicaKeyArns"],
        "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    );
}

/// DescribeKey of the replica: `Creating` until `usable_after` has passed since the rule was made
/// (on the paused clock), then `Enabled`.
fn creating_for(usable_after: Duration) -> Rule {
    let usable_at = tokio::time::Instant::now() + usable_after;
    mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .then_output(move || {
            let state = if tokio::time::Instant::now() >= usable_at {
                KeyState::Enabled
            } else {
                KeyState::Creating
            };
            DescribeKeyOutput::builder().key_metadata(replica(state)).build()
        })
}

#[tokio::test(start_paused = true)]
async fn the_answer_comes_within_half_a_second_of_the_replica_leaving_creating() {
    for usable_after in [1_000, 2_700, 10_000, 33_300, 60_000].map(Duration::from_millis) {
        // GIVEN a replica that KMS reports Creating for `usable_after`
        let started = tokio::time::Instant::now();
        let wait = creating_for(usable_after);
        let kms = vec![
            (
                "us-east-1",
                vec![describe_primary(), get_policy(), replicate("eu-west-1")],
            ),
            ("eu-west-1", vec![wait.clone(), create_alias()]),
        ];
        // WHEN the resource is created
        success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);
        // THEN it answered at most CREATING_POLL after the replica became usable, polling at most
        // twice a second
        let took = tokio::time::Instant::now() - started;
        assert!(
            took >= usable_after && took <= usable_after + super::CREATING_POLL,
            "{usable_after:?}: answered after {took:?}"
        );
        let polls = wait.num_calls() as f64;
        assert!(
            polls <= 2.0 * usable_after.as_secs_f64() + 2.0,
            "{usable_after:?}: {polls} polls"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_replica_still_creating_after_ten_minutes_fails_the_create() {
    // GIVEN a replica that KMS reports Creating longer than the wait, polled every 500 ms (1300 answers:
    // one more poll finds no rule and fails the test rather than polling without end)
    let started = tokio::time::Instant::now();
    let creating = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .sequence()
        .output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(replica(KeyState::Creating))
                .build()
        })
        .times(1300)
        .build();
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate("eu-west-1")],
        ),
        ("eu-west-1", vec![creating.clone()]),
    ];
    // WHEN the resource is created
    let (_, reason) = failure(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);
    // THEN it fails after 10 minutes, saying so
    assert!(
        reason.contains("the replica in eu-west-1 was still being created after 600 seconds; deploy again later"),
        "{reason}"
    );
    let took = tokio::time::Instant::now() - started;
    assert!(
        took >= Duration::from_secs(600) && took <= Duration::from_secs(600) + super::CREATING_POLL,
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn delete_waits_for_a_replica_still_creating_and_not_for_one_that_is_ready() {
    // GIVEN an owned replica in eu-west-1 that is Creating for two polls, and an Enabled one in
    // ap-southeast-2, each with the alias on it
    let (creating, ready) = (
        describe_replica(&[
            Some(KeyState::Creating),
            Some(KeyState::Creating),
            Some(KeyState::Enabled),
        ]),
        describe_replica(&[Some(KeyState::Enabled)]),
    );
    let (eu_scheduled, ap_scheduled) = (schedule_deletion(7), schedule_deletion(7));
    let region = |describe: &Rule, schedule: &Rule| {
        vec![
            describe.clone(),
            list_tags(owner_tags()),
            alias_points_at(KEY_ID),
            delete_alias(),
            schedule.clone(),
        ]
    };
    let kms = vec![
        ("eu-west-1", region(&creating, &eu_scheduled)),
        ("ap-southeast-2", region(&ready, &ap_scheduled)),
    ];
    // WHEN the resource is deleted
    success(answer(kms, "delete", props(json!({})), None).await);
    // THEN each replica is scheduled for deletion; only the Creating one was described until it was ready
    assert_eq!((eu_scheduled.num_calls(), ap_scheduled.num_calls()), (1, 1));
    assert_eq!((creating.num_calls(), ready.num_calls()), (3, 1));
}

#[tokio::test(start_paused = true)]
async fn string_properties_disable_the_replica_and_set_the_deletion_window() {
    // GIVEN Enabled and PendingWindowInDays as CloudFormation sends them, as strings
    let properties =
        props(json!({"ReplicaRegions": ["eu-west-1"], "Enabled": "false", "PendingWindowInDays": "7", "Alias": null}));
    let off = disable();
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate("eu-west-1")],
        ),
        (
            "eu-west-1",
            vec![describe_replica(&[Some(KeyState::Enabled)]), off.clone()],
        ),
    ];
    success(answer(kms, "create", properties.clone(), None).await);
    // THEN the new replica was disabled
    assert_eq!(off.num_calls(), 1);

    // AND the Delete schedules deletion after 7 days
    let schedule = schedule_deletion(7);
    let kms = vec![(
        "eu-west-1",
        vec![
            describe_replica(&[Some(KeyState::Disabled)]),
            list_tags(owner_tags()),
            schedule.clone(),
        ],
    )];
    success(answer(kms, "delete", properties, None).await);
    assert_eq!(schedule.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_redelivered_create_adopts_the_replica_its_earlier_attempt_made() {
    // GIVEN the replica and alias exist already, tagged with this stack and logical id
    let into_eu = replicate_already_exists("eu-west-1");
    let schedule = schedule_deletion(7);
    let kms = vec![
        ("us-east-1", vec![describe_primary(), get_policy(), into_eu.clone()]),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(owner_tags()),
                replica_policy(POLICY),
                put_policy(),
                create_alias_exists(),
                alias_points_at(KEY_ID),
                schedule.clone(),
            ],
        ),
    ];

    // WHEN the same Create arrives again
    let outcome = success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN it succeeds with the same attributes and neither duplicates nor deletes anything
    assert_eq!(into_eu.num_calls(), 1);
    assert_eq!(schedule.num_calls(), 0);
    assert_eq!(outcome.physical_resource_id, PRIMARY);
}

#[tokio::test(start_paused = true)]
async fn a_replica_owned_by_someone_else_is_refused_without_changes() {
    // GIVEN a replica in eu-west-1 that another stack's resource owns
    let foreign = vec![
        tag(
            OWNER_STACK_TAG,
            "arn:aws:cloudformation:us-east-1:123456789012:stack/other/1",
        ),
        tag(OWNER_LOGICAL_ID_TAG, "Other"),
    ];
    let (retag, policy_put) = (tag_with_owner(), put_policy());
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate_already_exists("eu-west-1")],
        ),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(foreign),
                retag.clone(),
                policy_put.clone(),
            ],
        ),
    ];

    // WHEN this resource is created without AdoptExisting
    let (_, reason) = failure(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN it fails, says whose replica it is and how to take it over, and touches nothing
    assert!(
        reason.contains("already exists in eu-west-1 and this resource does not own it"),
        "{reason}"
    );
    assert!(
        reason.contains("belongs to Other in stack arn:aws:cloudformation:us-east-1:123456789012:stack/other/1"),
        "{reason}"
    );
    assert!(reason.contains("AdoptExisting"), "{reason}");
    assert_eq!((retag.num_calls(), policy_put.num_calls()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_takes_over_and_retags_an_unowned_replica() {
    // GIVEN a replica in eu-west-1 without owner tags, with a tag and a policy of its own
    let (retag, untag_team, policy) = (tag_with_owner(), untag(&["team"]), put_policy());
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate_already_exists("eu-west-1")],
        ),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(vec![tag("team", "x")]),
                retag.clone(),
                untag_team.clone(),
                replica_policy(r#"{"Version":"2012-10-17","Statement":[{"Sid":"theirs"}]}"#),
                policy.clone(),
                alias_absent(ALIAS),
                create_alias(),
            ],
        ),
    ];

    // WHEN the resource is created with AdoptExisting: "true"
    let properties = props(json!({"ReplicaRegions": ["eu-west-1"], "AdoptExisting": "true"}));
    success(answer(kms, "create", properties, None).await);

    // THEN the replica now carries the owner tags and only the declared ones, and the desired policy
    assert_eq!(
        (retag.num_calls(), untag_team.num_calls(), policy.num_calls()),
        (1, 1, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn an_owned_replica_pending_deletion_gets_its_deletion_cancelled_and_is_enabled() {
    // GIVEN this resource's replica in eu-west-1, scheduled for deletion by an earlier rollback
    let (cancel, on) = (cancel_deletion(), enable());
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate_already_exists("eu-west-1")],
        ),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::PendingDeletion)]),
                list_tags(owner_tags()),
                cancel.clone(),
                replica_policy(POLICY),
                on.clone(),
                alias_absent(ALIAS),
                create_alias(),
            ],
        ),
    ];

    // WHEN the resource is created again
    success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN the deletion is cancelled and the key (Disabled after cancelling) is enabled again
    assert_eq!((cancel.num_calls(), on.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_key_that_is_not_a_primary_fails_before_any_change() {
    // GIVEN PrimaryKeyArn names a replica key (whose policy a Create reads beside the check)
    let describe = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(PRIMARY))
        .then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(key(KeyState::Enabled, MultiRegionKeyType::Replica))
                .build()
        });
    let kms = vec![("us-east-1", vec![describe.clone(), get_policy()])];

    // WHEN the resource is created
    let (physical_id, reason) = failure(answer(kms, "create", props(json!({})), None).await);

    // THEN it fails, says why, and answers the failed-Create marker (nothing was changed)
    assert_eq!(
        reason,
        format!(
            "{PRIMARY} is a replica key, not a multi-Region primary key; set PrimaryKeyArn to the primary key in its own region"
        )
    );
    assert!(physical_id.starts_with(FAILED_CREATE_PREFIX), "{physical_id}");
    assert_eq!(describe.num_calls(), 1);

    // AND the rollback Delete with that id succeeds without a single AWS call (no rules at all)
    let mut delete = request("delete", props(json!({})), None);
    delete.physical_resource_id = Some(physical_id.clone());
    let answer = TestApp::new().answer(delete).await;
    assert_eq!(success(answer).physical_resource_id, physical_id);
}

#[tokio::test(start_paused = true)]
async fn an_unknown_property_fails_before_any_aws_call() {
    // GIVEN a typo in a property name, and a provider with no AWS rules at all
    // WHEN the resource is created
    let (physical_id, reason) =
        failure(answer(vec![], "create", props(json!({"PendingWindowInDay": "7"})), None).await);
    // THEN the reason names the property, and nothing was called
    assert_eq!(reason, "unknown property 'PendingWindowInDay' for Custom::ReplicaKey");
    assert!(physical_id.starts_with(FAILED_CREATE_PREFIX));
}

#[tokio::test(start_paused = true)]
async fn a_region_that_fails_fails_the_create_and_the_rollback_delete_removes_the_others() {
    // GIVEN eu-west-1 replicates but ap-southeast-2 denies access
    let into_eu = replicate("eu-west-1");
    let kms = vec![
        (
            "us-east-1",
            vec![
                describe_primary(),
                get_policy(),
                into_eu.clone(),
                replicate_fails("ap-southeast-2", "AccessDeniedException"),
            ],
        ),
        (
            "eu-west-1",
            vec![describe_replica(&[Some(KeyState::Enabled)]), create_alias()],
        ),
    ];

    // WHEN the resource is created
    let (physical_id, reason) = failure(answer(kms, "create", props(json!({})), None).await);

    // THEN the answer is FAILED, names the region and the AWS error code, and claims the primary's ARN
    // (something was created, so the rollback Delete must find it)
    assert!(
        reason.starts_with("ReplicateKey in ap-southeast-2 failed (AccessDeniedException): from the test."),
        "{reason}"
    );
    assert!(reason.contains("AllowedRegions"), "{reason}");
    assert_eq!(physical_id, PRIMARY);
    assert_eq!(into_eu.num_calls(), 1);

    // WHEN CloudFormation sends the rollback Delete with that id
    let (eu_west_1, remove_alias, schedule) = an_owned_replica_to_remove();
    let kms = vec![
        ("eu-west-1", eu_west_1),
        ("ap-southeast-2", vec![describe_replica(&[None])]),
    ];
    let mut delete = request("delete", props(json!({})), None);
    delete.physical_resource_id = Some(physical_id);
    success(TestApp::new().kms_by_region(kms).answer(delete).await);

    // THEN the eu-west-1 replica and its alias are removed, and the missing one is no error
    assert_eq!((remove_alias.num_calls(), schedule.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn update_adds_one_region_and_removes_another() {
    // GIVEN replicas in eu-west-1 and ap-southeast-2, and new properties with eu-west-1 and eu-central-1
    let old = props(json!({}));
    let new = props(json!({"ReplicaRegions": ["eu-west-1", "eu-central-1"]}));
    let (into_central, into_ap) = (replicate("eu-central-1"), replicate("ap-southeast-2"));
    let (central_alias, ap_schedule, ap_alias_removed) = (create_alias(), schedule_deletion(7), delete_alias());
    let (eu_schedule, eu_retag) = (schedule_deletion(7), tag_with_owner());
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), into_central.clone(), into_ap.clone()],
        ),
        (
            "eu-central-1",
            vec![describe_replica(&[Some(KeyState::Enabled)]), central_alias.clone()],
        ),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(owner_tags()),
                replica_policy(POLICY),
                create_alias_exists(),
                alias_points_at(KEY_ID),
                eu_schedule.clone(),
                eu_retag.clone(),
            ],
        ),
        (
            "ap-southeast-2",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(owner_tags()),
                alias_points_at(KEY_ID),
                ap_alias_removed.clone(),
                ap_schedule.clone(),
            ],
        ),
    ];

    // WHEN CloudFormation updates the resource
    let outcome = success(answer(kms, "update", new, Some(old)).await);

    // THEN eu-central-1 is replicated, ap-southeast-2 scheduled for deletion, eu-west-1 left as it was
    assert_eq!((into_central.num_calls(), into_ap.num_calls()), (1, 0));
    assert_eq!(central_alias.num_calls(), 1);
    assert_eq!((ap_alias_removed.num_calls(), ap_schedule.num_calls()), (1, 1));
    assert_eq!((eu_schedule.num_calls(), eu_retag.num_calls()), (0, 0));
    assert_eq!(outcome.physical_resource_id, PRIMARY);
    assert!(outcome.data.contains_key("Arn.eu-central-1") && !outcome.data.contains_key("Arn.ap-southeast-2"));
}

#[tokio::test(start_paused = true)]
async fn update_brings_description_tags_and_alias_of_kept_replicas_to_the_new_values() {
    // GIVEN a replica with tag a, alias/app-data and the primary's description
    let old = props(json!({"ReplicaRegions": ["eu-west-1"], "Tags": [{"Key": "a", "Value": "1"}]}));
    let new = props(
        json!({"ReplicaRegions": ["eu-west-1"], "Tags": [{"Key": "b", "Value": "2"}], "Description": "new text", "Alias": "alias/renamed"}),
    );
    let mut tags = owner_tags();
    tags.push(tag("a", "1"));
    let (describe, retag, untag_a, old_alias_removed) = (
        update_description("new text"),
        tag_with_owner(),
        untag(&["a"]),
        delete_alias(),
    );
    let new_alias = mock!(Client::create_alias)
        .match_requests(|r| r.alias_name() == Some("alias/renamed") && r.target_key_id() == Some(KEY_ID))
        .then_output(|| CreateAliasOutput::builder().build());
    let kms = vec![
        ("us-east-1", vec![describe_primary(), get_policy()]),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(tags),
                replica_policy(POLICY),
                describe.clone(),
                retag.clone(),
                untag_a.clone(),
                alias_points_at(KEY_ID),
                old_alias_removed.clone(),
                alias_absent("alias/renamed"),
                new_alias.clone(),
            ],
        ),
    ];

    // WHEN the resource is updated
    success(answer(kms, "update", new, Some(old)).await);

    // THEN each change is one call: description, tags set, removed tag untagged, alias moved
    assert_eq!(describe.num_calls(), 1);
    assert_eq!((retag.num_calls(), untag_a.num_calls()), (1, 1));
    assert_eq!((old_alias_removed.num_calls(), new_alias.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_new_primary_key_arn_is_a_replacement_with_a_new_physical_id() {
    // GIVEN a resource on PRIMARY, updated to NEW_PRIMARY
    let new_key = "mrk-99990000aaaabbbbccccddddeeeeffff";
    let describe_new = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(NEW_PRIMARY))
        .then_output(move || {
            let mut meta = key(KeyState::Enabled, MultiRegionKeyType::Primary);
            meta.key_id = new_key.into();
            DescribeKeyOutput::builder().key_metadata(meta).build()
        });
    let policy = mock!(Client::get_key_policy).then_output(|| GetKeyPolicyOutput::builder().policy(POLICY).build());
    let into_eu = mock!(Client::replicate_key)
        .match_requests(move |r| r.key_id() == Some(new_key) && r.replica_region() == Some("eu-west-1"))
        .then_output(|| ReplicateKeyOutput::builder().build());
    let ready = mock!(Client::describe_key)
        .match_requests(move |r| r.key_id() == Some(new_key))
        .then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(replica(KeyState::Enabled))
                .build()
        });
    let kms = vec![
        ("us-east-1", vec![describe_new, policy, into_eu.clone()]),
        ("eu-west-1", vec![ready]),
    ];

    // WHEN CloudFormation updates it
    let new = props(json!({"PrimaryKeyArn": NEW_PRIMARY, "ReplicaRegions": ["eu-west-1"], "Alias": null}));
    let outcome = success(answer(kms, "update", new, Some(props(json!({})))).await);

    // THEN the new primary is replicated and the answer carries its ARN as the new physical id
    assert_eq!(into_eu.num_calls(), 1);
    assert_eq!(outcome.physical_resource_id, NEW_PRIMARY);
    assert_eq!(outcome.data["KeyId"], new_key);
}

#[tokio::test(start_paused = true)]
async fn delete_tolerates_replicas_that_are_gone_or_already_pending_deletion() {
    // GIVEN one region without a replica and one whose replica is already pending deletion
    let kms = vec![
        ("eu-west-1", vec![describe_replica(&[None])]),
        (
            "ap-southeast-2",
            vec![describe_replica(&[Some(KeyState::PendingDeletion)])],
        ),
    ];
    // WHEN the resource is deleted
    let outcome = success(answer(kms, "delete", props(json!({})), None).await);
    // THEN it succeeds with the physical id it was given
    assert_eq!(outcome.physical_resource_id, PRIMARY);
}

#[tokio::test(start_paused = true)]
async fn delete_leaves_a_replica_it_does_not_own() {
    // GIVEN a replica without this resource's owner tags
    let schedule = schedule_deletion(7);
    let kms = vec![(
        "eu-west-1",
        vec![
            describe_replica(&[Some(KeyState::Enabled)]),
            list_tags(vec![tag("team", "x")]),
            schedule.clone(),
        ],
    )];
    // WHEN the resource is deleted
    success(answer(kms, "delete", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);
    // THEN the replica is not scheduled for deletion
    assert_eq!(schedule.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_delete_with_invalid_properties_succeeds_without_aws_calls() {
    // GIVEN properties that never validated (so the Create made nothing), and no AWS rules
    // WHEN the resource is deleted
    let outcome = success(answer(vec![], "delete", props(json!({"ReplicaRegions": "not a region"})), None).await);
    // THEN it succeeds
    assert_eq!(outcome.physical_resource_id, PRIMARY);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_replicate_key_is_retried_until_it_succeeds() {
    // GIVEN ReplicateKey throttles twice, then succeeds
    let into_eu = mock!(Client::replicate_key)
        .sequence()
        .error(|| ReplicateKeyError::generic(aws_error("ThrottlingException")))
        .times(2)
        .output(|| ReplicateKeyOutput::builder().build())
        .build();
    let kms = vec![
        ("us-east-1", vec![describe_primary(), get_policy(), into_eu.clone()]),
        ("eu-west-1", vec![describe_replica(&[Some(KeyState::Enabled)])]),
    ];
    // WHEN the resource is created
    let properties = props(json!({"ReplicaRegions": ["eu-west-1"], "Alias": null}));
    success(answer(kms, "create", properties, None).await);
    // THEN the SDK's retries got through: three attempts
    assert_eq!(into_eu.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn replicating_into_too_many_regions_for_the_response_fails_with_a_reason() {
    // GIVEN 28 replica regions, whose ARNs do not fit in a 4096-byte response
    let regions = [
        "us-east-2",
        "us-west-1",
        "us-west-2",
        "af-south-1",
        "ap-east-1",
        "ap-south-1",
        "ap-south-2",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "eu-south-1",
        "eu-south-2",
        "eu-north-1",
        "il-central-1",
        "me-south-1",
        "me-central-1",
        "sa-east-1",
    ];
    let mut kms = vec![("us-east-1", vec![describe_primary(), get_policy()])];
    for region in regions {
        kms[0].1.push(replicate(region));
        kms.push((region, vec![describe_replica(&[Some(KeyState::Enabled)])]));
    }
    let properties = props(json!({"ReplicaRegions": regions, "Alias": null}));
    // WHEN the resource is created through the protocol layer, which renders the answer
    let answer = answer(kms, "create", properties, None).await;
    let envelope = crate::protocol::Envelope::of(&request("create", props(json!({})), None));
    let rendered = crate::protocol::render::render(&envelope, answer, "stream");
    // THEN the answer is FAILED with a reason about the size, under the limit, for the primary's ARN
    let (physical_id, reason) = failure(rendered.answer);
    assert!(reason.contains("over the 4096 bytes"), "{reason}");
    assert_eq!(physical_id, PRIMARY);
    assert!(rendered.body.len() <= 4096);
}

// ---- AllowedRegions ----

#[tokio::test(start_paused = true)]
async fn a_replica_region_outside_allowed_regions_fails_the_create_before_any_call() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and no AWS rules: any call would fail the test
    let app = TestApp::new().env("ALLOWED_REGIONS", "us-east-1, eu-west-1");

    // WHEN a Create replicates into eu-west-1 and ap-southeast-2
    let (physical_id, reason) = failure(app.answer(request("create", props(json!({})), None)).await);

    // THEN it fails naming the region and the allowed ones, and the rollback will know nothing was made
    assert_eq!(
        reason,
        "invalid property 'ReplicaRegions' for Custom::ReplicaKey: 'ap-southeast-2' is not one of this \
         provider's AllowedRegions (eu-west-1, us-east-1); deploy the provider with it added, or choose another region"
    );
    assert!(physical_id.starts_with(FAILED_CREATE_PREFIX), "{physical_id}");
}

#[tokio::test(start_paused = true)]
async fn a_primary_outside_allowed_regions_fails_an_update_before_any_call() {
    // GIVEN ALLOWED_REGIONS with the replica regions but not the primary's, and no AWS rules
    let app = TestApp::new().env("ALLOWED_REGIONS", "eu-west-1,ap-southeast-2");

    // WHEN an Update arrives
    let update = request("update", props(json!({})), Some(props(json!({}))));
    let (_, reason) = failure(app.answer(update).await);

    // THEN it fails on PrimaryKeyArn
    assert!(
        reason.starts_with("invalid property 'PrimaryKeyArn' for Custom::ReplicaKey: 'us-east-1' is not one"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_delete_skips_a_region_outside_allowed_regions_and_deletes_the_others() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and a replica of ours in eu-west-1; no rule for
    // ap-southeast-2, so a call there would fail the test
    let (eu_west_1, remove_alias, schedule) = an_owned_replica_to_remove();
    let app = TestApp::new()
        .env("ALLOWED_REGIONS", "us-east-1,eu-west-1")
        .kms("eu-west-1", eu_west_1);

    // WHEN the resource is deleted
    let outcome = success(app.answer(request("delete", props(json!({})), None)).await);

    // THEN eu-west-1's replica and alias are removed, and the Delete succeeds
    assert_eq!(outcome.physical_resource_id, PRIMARY);
    assert_eq!((remove_alias.num_calls(), schedule.num_calls()), (1, 1));
}

// ---- trust: consent, adoption from live owners, aliases (docs/reference.md, sections 2 and 7) ----

#[tokio::test(start_paused = true)]
async fn a_primary_without_its_owners_consent_is_not_replicated() {
    for tags in [
        vec![],
        vec![tag(REPLICABLE_TAG, "false")],
        vec![tag(REPLICABLE_TAG, "TRUE")],
        vec![tag("replicable", "true")],
    ] {
        // GIVEN a primary whose tags do not say mrk-provider:replicable = true
        let into_eu = replicate("eu-west-1");
        let kms = vec![(
            "us-east-1",
            vec![
                list_tags_of(PRIMARY, tags.clone()),
                describe_primary(),
                get_policy(),
                into_eu.clone(),
            ],
        )];

        // WHEN a Create names it
        let (physical_id, reason) = failure(
            TestApp::new()
                .kms_by_region(kms)
                .answer(request("create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None))
                .await,
        );

        // THEN nothing is replicated, and the reason tells the user what to add
        assert_eq!(into_eu.num_calls(), 0, "{tags:?}");
        assert!(physical_id.starts_with(FAILED_CREATE_PREFIX), "{physical_id}");
        assert_eq!(
            reason,
            format!(
                "the primary key {PRIMARY} does not carry the tag mrk-provider:replicable = true, its owner's \
                 consent to replicas made by mrk-provider; ask the key's owner to add that tag, then deploy again"
            )
        );
    }
}

#[tokio::test(start_paused = true)]
async fn an_update_of_a_primary_whose_consent_was_withdrawn_changes_nothing_but_a_delete_still_deletes() {
    // GIVEN the consent tag removed from the primary after the replicas were made
    let kms = |describe: Rule, extra: Vec<Rule>| {
        let mut us = vec![list_tags_of(PRIMARY, vec![]), describe_primary(), get_policy()];
        us.extend(extra);
        vec![("us-east-1", us), ("eu-west-1", vec![describe])]
    };
    let policy = put_policy();
    let update = TestApp::new().kms_by_region(kms(describe_replica(&[Some(KeyState::Enabled)]), vec![policy.clone()]));
    let old = props(json!({"ReplicaRegions": ["eu-west-1"]}));
    let new = props(json!({"ReplicaRegions": ["eu-west-1"], "KeyPolicy": POLICY}));

    // WHEN an Update arrives, THEN it fails and puts no policy
    let (_, reason) = failure(update.answer(request("update", new, Some(old))).await);
    assert!(
        reason.contains("does not carry the tag mrk-provider:replicable = true"),
        "{reason}"
    );
    assert_eq!(policy.num_calls(), 0);

    // AND the Delete of the stack schedules the owned replica's deletion without asking for consent
    let (rules, _alias, schedule) = an_owned_replica_to_remove();
    let delete = TestApp::new().kms_by_region(vec![("eu-west-1", rules)]).answer(request(
        "delete",
        props(json!({"ReplicaRegions": ["eu-west-1"], "Alias": null})),
        None,
    ));
    success(delete.await);
    assert_eq!(schedule.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_does_not_take_a_replica_that_another_live_stack_owns() {
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::types::{Stack, StackStatus};
    // GIVEN a replica in eu-west-1 owned by another stack, which CloudFormation shows at rest
    let theirs = "arn:aws:cloudformation:us-east-1:123456789012:stack/victim/1";
    let owner = mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .match_requests(move |r| r.stack_name() == Some(theirs))
        .then_output(move || {
            DescribeStacksOutput::builder()
                .stacks(
                    Stack::builder()
                        .stack_id(theirs)
                        .stack_status(StackStatus::UpdateComplete)
                        .build(),
                )
                .build()
        });
    let (policy, retag, alias) = (put_policy(), tag_with_owner(), create_alias());
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate_already_exists("eu-west-1")],
        ),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(vec![tag(OWNER_STACK_TAG, theirs), tag(OWNER_LOGICAL_ID_TAG, "Keys")]),
                policy.clone(),
                retag.clone(),
                alias.clone(),
            ],
        ),
    ];
    let app = TestApp::new()
        .kms("us-east-1", vec![primary_consents()])
        .kms_by_region(kms)
        .cloudformation("us-east-1", vec![owner.clone()]);

    // WHEN an attacker's stack creates a resource on it with AdoptExisting and its own KeyPolicy
    let grab = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}"#;
    let properties = props(json!({"ReplicaRegions": ["eu-west-1"], "AdoptExisting": "true", "KeyPolicy": grab}));
    let (_, reason) = failure(app.answer(request("create", properties, None)).await);

    // THEN no policy, tag or alias was changed, and the reason names the owner
    assert_eq!((policy.num_calls(), retag.num_calls(), alias.num_calls()), (0, 0, 0));
    assert_eq!(owner.num_calls(), 1);
    assert!(
        reason.contains(&format!("the replica of {KEY_ID} in eu-west-1 was not adopted: it belongs to Keys in stack {theirs}, which still exists")),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_repoints_no_alias_away_from_a_key_this_resource_does_not_own() {
    // The alias exists in eu-west-1 and points at another key: a single-Region key, a replica of
    // another resource of this stack, or a hand-made replica of another primary without owner tags
    // (whose primary may never have consented). None of them loses its alias; the replica that this
    // resource owns does (a_replacement_moves_the_alias_from_the_old_primarys_replica_that_this_resource_owns).
    let other = "mrk-00000000000000000000000000000000";
    let single_region = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(ALIAS))
        .then_output(|| {
            let mut meta = replica(KeyState::Enabled);
            meta.key_id = "1234abcd-12ab-34cd-56ef-1234567890ab".into();
            meta.multi_region = Some(false);
            meta.multi_region_configuration = None;
            DescribeKeyOutput::builder().key_metadata(meta).build()
        });
    let sibling = vec![
        tag(OWNER_STACK_TAG, &test_support::stack_id()),
        tag(OWNER_LOGICAL_ID_TAG, "OtherKeys"),
    ];
    for (target, target_tags, expected) in [
        (single_region, vec![], "which is not a multi-Region replica"),
        (
            alias_points_at(other),
            sibling,
            "points at key mrk-00000000000000000000000000000000, a replica of another primary key",
        ),
        (
            alias_points_at(other),
            vec![tag("team", "x")],
            "points at key mrk-00000000000000000000000000000000, a replica of another primary key",
        ),
    ] {
        // GIVEN a new replica, and the alias taken
        let (update_alias, other_tags) = (update_alias_to_replica(), list_tags_of(other, target_tags));
        let kms = vec![
            (
                "us-east-1",
                vec![describe_primary(), get_policy(), replicate("eu-west-1")],
            ),
            (
                "eu-west-1",
                vec![
                    describe_replica(&[Some(KeyState::Enabled)]),
                    create_alias_exists(),
                    target,
                    other_tags,
                    update_alias.clone(),
                ],
            ),
        ];

        // WHEN the resource is created with AdoptExisting
        let properties = props(json!({"ReplicaRegions": ["eu-west-1"], "AdoptExisting": "true"}));
        let answered = answer(kms, "create", properties, None).await;

        // THEN the alias stays where it is
        let (_, reason) = failure(answered);
        assert!(reason.contains(expected), "{reason}");
        assert_eq!(update_alias.num_calls(), 0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_replacement_moves_the_alias_from_the_old_primarys_replica_that_this_resource_owns() {
    // GIVEN the alias in eu-west-1 on another replica that this very resource owns (the old primary's)
    let other = "mrk-00000000000000000000000000000000";
    let (update_alias, ours) = (update_alias_to_replica(), list_tags_of(other, owner_tags()));
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate("eu-west-1")],
        ),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                create_alias_exists(),
                alias_points_at(other),
                ours,
                update_alias.clone(),
            ],
        ),
    ];

    // WHEN the resource is created without AdoptExisting
    success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN the alias moved to the new replica
    assert_eq!(update_alias.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_denied_replicate_key_is_asked_again_while_kms_applies_a_new_consent_tag() {
    // GIVEN ReplicateKey denied twice (IAM does not see the new tag yet), then allowed
    let denied = || ReplicateKeyError::generic(aws_error("AccessDeniedException"));
    let into_eu = mock!(Client::replicate_key)
        .match_requests(|r| r.replica_region() == Some("eu-west-1"))
        .sequence()
        .error(denied)
        .times(2)
        .output(|| {
            ReplicateKeyOutput::builder()
                .replica_key_metadata(replica(KeyState::Enabled))
                .build()
        })
        .build();
    let kms = vec![
        ("us-east-1", vec![describe_primary(), get_policy(), into_eu.clone()]),
        ("eu-west-1", vec![create_alias()]),
    ];

    // WHEN the resource is created
    let started = tokio::time::Instant::now();
    success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN it was asked three times, after pauses of 2 and 4 seconds
    assert_eq!(into_eu.num_calls(), 3);
    assert!(started.elapsed() >= Duration::from_secs(6), "{:?}", started.elapsed());

    // AND a denial that lasts fails within the propagation wait, naming the error (8 denials: a 9th
    // ask would find no rule, so a wait that never ends fails here instead of hanging the test)
    let always = mock!(Client::replicate_key).sequence().error(denied).times(8).build();
    let kms = vec![("us-east-1", vec![describe_primary(), get_policy(), always.clone()])];
    let started = tokio::time::Instant::now();
    let (_, reason) = failure(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);
    assert!(
        reason.contains("ReplicateKey in eu-west-1 failed (AccessDeniedException)"),
        "{reason}"
    );
    assert!(started.elapsed() <= Duration::from_secs(121), "{:?}", started.elapsed());
    // (at once, then after 2, 4, 8, 16 and three times 30 seconds: the last at 120 s)
    assert_eq!(always.num_calls(), 8);
}

mod converge;
mod trust;
