//! Create: the replicas made in every region with the primary's description, policy and tags, the
//! attributes answered, and the requests refused before any change (not a primary, unknown properties,
//! an answer too large to send).

use super::*;

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
