//! Replicas that already exist: a redelivered Create adopts its own, `AdoptExisting` takes an unowned
//! one, a replica another owner or live stack holds is refused, and an alias moves only away from a
//! replica this resource owns.

use super::*;

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
