//! Create: every name written into every region with the owner tags, a redelivered Create
//! adopting its own writes, someone else's parameter refused, a failed Create answering the id its
//! rollback deletes, and bad input refused before any call.

use super::*;

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
