//! The primary owner's consent (`mrk-provider:replicable`): none, withdrawn, or still reaching KMS.

use super::*;

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
