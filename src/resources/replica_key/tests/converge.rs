//! Every Update (a changed `Refresh` included) and every replica that comes back gets the whole desired
//! state: read, compared, and written only where it differs; `RegionSettings` region by region; the
//! primary's policy followed when `KeyPolicy` is unset.

use super::*;

const EU_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"eu","Condition":{"StringEquals":{"kms:ViaService":"s3.eu-west-1.amazonaws.com"}}}]}"#;
const NEW_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"new"}]}"#;

/// GetKeyPolicy of the primary: `policy`.
fn primary_policy(policy: &'static str) -> Rule {
    mock!(Client::get_key_policy)
        .match_requests(|r| r.key_id() == Some(PRIMARY))
        .then_output(move || GetKeyPolicyOutput::builder().policy(policy).build())
}

/// PutKeyPolicy of the replica with `policy`.
fn put_policy_of(policy: &'static str) -> Rule {
    mock!(Client::put_key_policy)
        .match_requests(move |r| r.key_id() == Some(KEY_ID) && r.policy() == Some(policy))
        .then_output(|| PutKeyPolicyOutput::builder().build())
}

/// The reads of a kept region whose Enabled replica this resource owns, holding `policy` and the alias
/// (no rule answers a write: one would fail the request).
fn owned_replica_reads(policy: &'static str) -> Vec<Rule> {
    vec![
        describe_replica(&[Some(KeyState::Enabled)]),
        list_tags(owner_tags()),
        replica_policy(policy),
        alias_points_at(KEY_ID),
    ]
}

fn two_regions(changes: Value) -> Value {
    merged(
        props(json!({"ReplicaRegions": ["eu-west-1", "ap-southeast-2"]})),
        changes,
    )
}

#[tokio::test(start_paused = true)]
async fn a_refresh_of_replicas_in_their_desired_state_reads_them_writes_nothing_and_answers_the_same() {
    // GIVEN two replicas as the properties describe them, following the primary's policy
    let kms = || {
        vec![
            ("us-east-1", vec![describe_primary(), get_policy()]),
            ("eu-west-1", owned_replica_reads(POLICY)),
            ("ap-southeast-2", owned_replica_reads(POLICY)),
        ]
    };

    // WHEN Refresh changes, twice (there is no rule for any write, so a write would fail the request)
    let first = success(
        answer(
            kms(),
            "update",
            two_regions(json!({"Refresh": "2"})),
            Some(two_regions(json!({"Refresh": "1"}))),
        )
        .await,
    );
    let second = success(
        answer(
            kms(),
            "update",
            two_regions(json!({"Refresh": "3"})),
            Some(two_regions(json!({"Refresh": "2"}))),
        )
        .await,
    );

    // THEN both succeed with the same PhysicalResourceId and attributes
    assert_eq!(first, second);
    assert_eq!(first.physical_resource_id, PRIMARY);
}

#[tokio::test(start_paused = true)]
async fn a_refresh_repairs_a_policy_and_a_tag_changed_by_hand() {
    // GIVEN eu-west-1's replica with another policy and a tag added by hand
    let mut tags = owner_tags();
    tags.push(tag("by-hand", "1"));
    let (repair, untag_hand) = (put_policy_of(POLICY), untag(&["by-hand"]));
    let kms = vec![
        ("us-east-1", vec![describe_primary(), get_policy()]),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::Enabled)]),
                list_tags(tags),
                replica_policy(NEW_POLICY),
                repair.clone(),
                untag_hand.clone(),
                alias_points_at(KEY_ID),
            ],
        ),
        ("ap-southeast-2", owned_replica_reads(POLICY)),
    ];

    // WHEN Refresh changes
    success(
        answer(
            kms,
            "update",
            two_regions(json!({"Refresh": "b"})),
            Some(two_regions(json!({"Refresh": "a"}))),
        )
        .await,
    );

    // THEN the policy is put back and the undeclared tag removed, in eu-west-1 only
    assert_eq!((repair.num_calls(), untag_hand.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn replicas_follow_a_changed_primary_policy_on_the_next_update() {
    // GIVEN the primary's policy changed to NEW_POLICY, the replicas still holding POLICY
    let (eu_put, ap_put) = (put_policy_of(NEW_POLICY), put_policy_of(NEW_POLICY));
    let mut eu = owned_replica_reads(POLICY);
    eu.push(eu_put.clone());
    let mut ap = owned_replica_reads(POLICY);
    ap.push(ap_put.clone());
    let kms = vec![
        ("us-east-1", vec![describe_primary(), primary_policy(NEW_POLICY)]),
        ("eu-west-1", eu),
        ("ap-southeast-2", ap),
    ];

    // WHEN an Update arrives (here a Refresh), KeyPolicy being unset
    success(
        answer(
            kms,
            "update",
            two_regions(json!({"Refresh": "b"})),
            Some(two_regions(json!({"Refresh": "a"}))),
        )
        .await,
    );

    // THEN each replica gets the primary's new policy
    assert_eq!((eu_put.num_calls(), ap_put.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_replica_that_comes_back_after_a_delete_loses_the_tags_it_no_longer_declares() {
    // GIVEN this resource's replica pending deletion, still tagged team: x from its first life
    let mut tags = owner_tags();
    tags.push(tag("team", "x"));
    let (cancel, untag_team, on) = (cancel_deletion(), untag(&["team"]), enable());
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), replicate_already_exists("eu-west-1")],
        ),
        (
            "eu-west-1",
            vec![
                describe_replica(&[Some(KeyState::PendingDeletion)]),
                list_tags(tags),
                cancel.clone(),
                replica_policy(POLICY),
                untag_team.clone(),
                on.clone(),
                alias_absent(ALIAS),
                create_alias(),
            ],
        ),
    ];

    // WHEN the resource is created again without Tags
    success(answer(kms, "create", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN the deletion is cancelled, team is removed (the owner tags stay), the key enabled again
    assert_eq!((cancel.num_calls(), untag_team.num_calls(), on.num_calls()), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_create_gives_each_region_its_own_policy_and_alias() {
    // GIVEN RegionSettings for eu-west-1: its own policy and alias
    let eu_into = mock!(Client::replicate_key)
        .match_requests(|r| r.replica_region() == Some("eu-west-1") && r.policy() == Some(EU_POLICY))
        .then_output(|| {
            ReplicateKeyOutput::builder()
                .replica_key_metadata(replica(KeyState::Enabled))
                .build()
        });
    let ap_into = mock!(Client::replicate_key)
        .match_requests(|r| r.replica_region() == Some("ap-southeast-2") && r.policy() == Some(POLICY))
        .then_output(|| {
            ReplicateKeyOutput::builder()
                .replica_key_metadata(replica(KeyState::Enabled))
                .build()
        });
    let eu_alias = mock!(Client::create_alias)
        .match_requests(|r| r.alias_name() == Some("alias/app-eu") && r.target_key_id() == Some(KEY_ID))
        .then_output(|| CreateAliasOutput::builder().build());
    let ap_alias = create_alias();
    let kms = vec![
        (
            "us-east-1",
            vec![describe_primary(), get_policy(), eu_into.clone(), ap_into.clone()],
        ),
        ("eu-west-1", vec![eu_alias.clone()]),
        ("ap-southeast-2", vec![ap_alias.clone()]),
    ];
    let settings = json!({"eu-west-1": {"KeyPolicy": EU_POLICY, "Alias": "alias/app-eu"}});

    // WHEN the resource is created
    success(answer(kms, "create", two_regions(json!({"RegionSettings": settings})), None).await);

    // THEN eu-west-1 got its own policy and alias, ap-southeast-2 the primary's policy and the alias
    assert_eq!((eu_into.num_calls(), ap_into.num_calls()), (1, 1));
    assert_eq!((eu_alias.num_calls(), ap_alias.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn an_update_of_one_regions_policy_writes_in_that_region_only() {
    // GIVEN eu-west-1 with EU_POLICY of its own, changed to NEW_POLICY; ap-southeast-2 as it should be
    let eu_put = put_policy_of(NEW_POLICY);
    let mut eu = owned_replica_reads(EU_POLICY);
    eu.push(eu_put.clone());
    let kms = vec![
        ("us-east-1", vec![describe_primary(), get_policy()]),
        ("eu-west-1", eu),
        ("ap-southeast-2", owned_replica_reads(POLICY)),
    ];
    let old = two_regions(json!({"RegionSettings": {"eu-west-1": {"KeyPolicy": EU_POLICY}}}));
    let new = two_regions(json!({"RegionSettings": {"eu-west-1": {"KeyPolicy": NEW_POLICY}}}));

    // WHEN the resource is updated (ap-southeast-2 has no rule for any write)
    success(answer(kms, "update", new, Some(old)).await);

    // THEN only eu-west-1's policy is put
    assert_eq!(eu_put.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn region_settings_for_a_region_not_replicated_fail_before_any_call() {
    // GIVEN RegionSettings naming eu-central-1, which ReplicaRegions does not list (and no KMS rules)
    let properties = two_regions(json!({"RegionSettings": {"eu-central-1": {"Alias": "alias/x"}}}));

    // WHEN the resource is created
    let (_, reason) = failure(answer(vec![], "create", properties, None).await);

    // THEN the reason names the region
    assert!(
        reason.contains("'eu-central-1' is not one of ReplicaRegions"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_old_resources_delete_leaves_an_alias_that_its_replacement_took_over() {
    // GIVEN the alias in eu-west-1 already points at the new primary's replica
    let (remove_alias, schedule) = (delete_alias(), schedule_deletion(7));
    let kms = vec![(
        "eu-west-1",
        vec![
            describe_replica(&[Some(KeyState::Enabled)]),
            list_tags(owner_tags()),
            alias_points_at("mrk-99990000aaaabbbbccccddddeeeeffff"),
            remove_alias.clone(),
            schedule.clone(),
        ],
    )];

    // WHEN CloudFormation deletes the old resource after the replacement
    success(answer(kms, "delete", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);

    // THEN its replica is scheduled for deletion and the alias is left to the new replica
    assert_eq!((remove_alias.num_calls(), schedule.num_calls()), (0, 1));
}

const NEW_KEY: &str = "mrk-99990000aaaabbbbccccddddeeeeffff";

/// A DescribeKey answer: an Enabled replica whose key id is `key_id`.
fn describes(key_id: &str) -> DescribeKeyOutput {
    let mut meta = replica(KeyState::Enabled);
    meta.key_id = key_id.to_string();
    DescribeKeyOutput::builder().key_metadata(meta).build()
}

/// A replacement to NEW_PRIMARY keeping alias/app-data that fails: eu-west-1 replicates and takes the
/// alias over from the old replica (this resource's), ap-southeast-2 fails. When the alias is to go
/// back, the old replica is in `old_state` with the tags `old_tags`. Returns the UpdateAlias calls to
/// the new replica and back to the old one, and the new replica's ScheduleKeyDeletion calls.
async fn fail_a_replacement(old_state: KeyState, old_tags: Vec<Tag>) -> (usize, usize, usize) {
    let describe_new = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(NEW_PRIMARY))
        .then_output(|| {
            let mut out = describes(NEW_KEY);
            if let Some(meta) = out.key_metadata.as_mut() {
                meta.multi_region_configuration = Some(
                    MultiRegionConfiguration::builder()
                        .multi_region_key_type(MultiRegionKeyType::Primary)
                        .build(),
                );
            }
            out
        });
    let new_policy = mock!(Client::get_key_policy)
        .match_requests(|r| r.key_id() == Some(NEW_PRIMARY))
        .then_output(|| GetKeyPolicyOutput::builder().policy(POLICY).build());
    let into_eu = mock!(Client::replicate_key)
        .match_requests(|r| r.key_id() == Some(NEW_KEY) && r.replica_region() == Some("eu-west-1"))
        .then_output(|| {
            ReplicateKeyOutput::builder()
                .set_replica_key_metadata(describes(NEW_KEY).key_metadata)
                .build()
        });
    // the alias: on the old replica, then (after the takeover) on the new one, then on the old one again
    let alias = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(ALIAS))
        .sequence()
        .output(|| describes(KEY_ID))
        .output(|| describes(NEW_KEY))
        .output(|| describes(KEY_ID))
        .build();
    let to_new = mock!(Client::update_alias)
        .match_requests(|r| r.alias_name() == Some(ALIAS) && r.target_key_id() == Some(NEW_KEY))
        .then_output(|| aws_sdk_kms::operation::update_alias::UpdateAliasOutput::builder().build());
    let back = update_alias_to_replica();
    // the old replica's tags: this resource's at the takeover, `old_tags` when the alias is to go back
    let old_replica_tags = mock!(Client::list_resource_tags)
        .match_requests(|r| r.key_id() == Some(KEY_ID))
        .sequence()
        .output(|| {
            ListResourceTagsOutput::builder()
                .set_tags(Some(owner_tags()))
                .truncated(false)
                .build()
        })
        .output(move || {
            ListResourceTagsOutput::builder()
                .set_tags(Some(old_tags.clone()))
                .truncated(false)
                .build()
        })
        .build();
    let new_replica = mock!(Client::describe_key)
        .match_requests(|r| r.key_id() == Some(NEW_KEY))
        .then_output(|| describes(NEW_KEY));
    let schedule_new = mock!(Client::schedule_key_deletion)
        .match_requests(|r| r.key_id() == Some(NEW_KEY))
        .then_output(|| ScheduleKeyDeletionOutput::builder().build());
    let kms = vec![
        (
            "us-east-1",
            vec![
                describe_new,
                new_policy,
                into_eu,
                replicate_fails("ap-southeast-2", "UnsupportedOperationException"),
            ],
        ),
        (
            "eu-west-1",
            vec![
                create_alias_exists(),
                alias,
                old_replica_tags,
                list_tags_of(NEW_KEY, owner_tags()),
                to_new.clone(),
                describe_replica(&[Some(old_state)]),
                back.clone(),
                new_replica,
                schedule_new.clone(),
            ],
        ),
        (
            "ap-southeast-2",
            vec![
                alias_absent(ALIAS),
                mock!(Client::describe_key)
                    .match_requests(|r| r.key_id() == Some(NEW_KEY))
                    .then_error(not_found),
            ],
        ),
    ];
    let old = props(json!({}));
    let new = props(json!({"PrimaryKeyArn": NEW_PRIMARY}));

    let (_, reason) = failure(answer(kms, "update", new, Some(old)).await);
    assert!(reason.contains("ap-southeast-2"), "{reason}");
    (to_new.num_calls(), back.num_calls(), schedule_new.num_calls())
}

#[tokio::test(start_paused = true)]
async fn a_failed_replacement_gives_the_kept_alias_back_to_the_old_replica() {
    // GIVEN a failed replacement whose old replica is still Enabled and this resource's
    // WHEN it fails
    let (to_new, back, scheduled) = fail_a_replacement(KeyState::Enabled, owner_tags()).await;
    // THEN the alias went to the new replica, came back to the old one, and the new replica is deleted
    assert_eq!((to_new, back, scheduled), (1, 1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_failed_replacement_leaves_the_alias_when_the_old_replica_is_no_longer_usable_or_ours() {
    for (old_state, old_tags) in [
        (KeyState::PendingDeletion, owner_tags()),
        (KeyState::Enabled, vec![tag("team", "someone else")]),
    ] {
        // GIVEN a failed replacement whose old replica is pending deletion, or has lost its owner tags
        // WHEN it fails
        let (to_new, back, scheduled) = fail_a_replacement(old_state.clone(), old_tags).await;
        // THEN the alias stays on the new replica (no UpdateAlias back), which is still deleted
        assert_eq!((to_new, back, scheduled), (1, 0, 1), "{old_state:?}");
    }
}
