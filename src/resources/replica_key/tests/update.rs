//! Update: regions added and removed, kept replicas brought to the new values, a new primary as a
//! replacement, and a failed region rolled back by the Delete that follows.

use super::*;

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
