//! Requests whose caller is refused: FAILED, and nothing changed (no write, no decrypting read, no
//! reach into another account); a plain read in the own account may run beside the check.

use super::*;

#[tokio::test]
async fn a_stack_of_another_account_or_region_is_refused_before_any_call() {
    let properties = json!({"Regions": ["eu-west-1"], "Parameters": {"/app/x": "v"}});
    for (stack, expected) in [
        (
            "arn:aws:cloudformation:us-east-1:210987654321:stack/attacker/1",
            "is in account 210987654321 of aws; this provider acts only for stacks of its own account 123456789012",
        ),
        (
            "arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1",
            "is in eu-west-1; CloudFormation calls a custom resource's ServiceToken only in the stack's own region",
        ),
        (
            "app-keys",
            "the StackId 'app-keys' is not the ARN of a CloudFormation stack",
        ),
    ] {
        // GIVEN no CloudFormation rule and a write rule that must not be reached
        let any_cfn = mock!(Client::describe_stacks).then_output(|| DescribeStacksOutput::builder().build());
        let put = put_any();
        let app = TestApp::new()
            .cloudformation("us-east-1", vec![any_cfn.clone()])
            .cloudformation("eu-west-1", vec![any_cfn.clone()])
            .ssm("eu-west-1", vec![put.clone()]);

        // WHEN the request names that stack
        let (_, reason) = failure(app.answer(from_stack(PARAMETER, stack, properties.clone())).await);

        // THEN it is refused from the ARN alone
        assert!(reason.contains(expected), "{reason}");
        assert_eq!(any_cfn.num_calls(), 0, "{stack}");
        assert_eq!(put.num_calls(), 0, "{stack}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_stack_at_rest_gets_nothing_written_and_nothing_read_back() {
    // GIVEN the fixtures' stack at rest (UPDATE_COMPLETE), a parameter write and a reader's read
    let put = put_any();
    let write = TestApp::new()
        .cloudformation(
            "us-east-1",
            vec![
                stack_in("UPDATE_COMPLETE"),
                stack_resource(PARAMETER, "UPDATE_COMPLETE", None),
            ],
        )
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN a Create claims to come from it
    let (_, reason) = failure(write.answer(parameter_create()).await);

    // THEN it is refused, and nothing was written
    assert!(reason.contains("CloudFormation is not creating the"), "{reason}");
    assert!(
        !reason.contains("UPDATE_COMPLETE"),
        "a refusal names the rule, not the status: {reason}"
    );
    assert_eq!(put.num_calls(), 0);

    // AND a reader's Create from it gets no value back, though its read may have run beside the check
    let reader = reader_create(json!({"Region": "eu-west-1", "Names": ["/app/x"]}));
    let get = get_value("/app/x", "the-value");
    let read = TestApp::new()
        .cloudformation(
            "us-east-1",
            vec![
                stack_in("UPDATE_COMPLETE"),
                stack_resource(READER, "UPDATE_COMPLETE", None),
            ],
        )
        .ssm("eu-west-1", vec![get]);
    let answer = read.answer(reader).await;
    let Answer::Failed { reason, .. } = answer else {
        panic!("expected FAILED, got {answer:?}");
    };
    assert!(!reason.contains("the-value"), "{reason}");
}

#[tokio::test(start_paused = true)]
async fn a_logical_id_of_another_type_is_refused_with_nothing_deleted() {
    // GIVEN the stack's resource `Exports` is a reader, and a Delete that claims it is a parameter
    let delete_rule = delete_any();
    let app = TestApp::new()
        .cloudformation(
            "us-east-1",
            vec![
                stack_in("DELETE_IN_PROGRESS"),
                stack_resource(READER, "DELETE_IN_PROGRESS", None),
            ],
        )
        .ssm("eu-west-1", vec![owned_by_exports(), delete_rule.clone()]);
    let delete = typed_request(
        PARAMETER,
        "Exports",
        "delete",
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/x": "v"}}),
        None,
    );

    // WHEN it arrives
    let (_, reason) = failure(app.answer(delete).await);

    // THEN nothing was deleted
    assert!(reason.contains("CloudFormation is not deleting the"), "{reason}");
    assert!(
        !reason.contains("CrossRegionParameterReader"),
        "a refusal names the rule, not the resource's type: {reason}"
    );
    assert_eq!(delete_rule.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_refused_caller_gets_no_decrypting_read_and_reaches_no_other_account() {
    // GIVEN a resource CloudFormation shows at rest, SSM and STS rules that count every call, and a
    // deployment that may decrypt /app/ and assume a role
    let get = get_value("/app/x", "s3cr3t");
    let assume = crate::test_support::assume_role_rule("ASIATARGET", std::time::Duration::from_secs(900));
    let app = || {
        TestApp::new()
            .env("DECRYPT_PREFIX", "/app/")
            .env("ASSUMABLE_ROLE_ARNS", "arn:aws:iam::222222222222:role/target")
            .calling_resource("UPDATE_COMPLETE", None)
            .ssm("eu-west-1", vec![get.clone()])
            .sts(vec![assume.clone()])
            .ssm_as("ASIATARGET", "eu-west-1", vec![get.clone()])
    };
    let decrypting = reader_create(json!({"Region": "eu-west-1", "Names": ["/app/x"], "WithDecryption": true}));
    let across = reader_create(
        json!({"Region": "eu-west-1", "Names": ["/app/x"], "RoleArn": "arn:aws:iam::222222222222:role/target"}),
    );

    // WHEN a decrypting read and a read through a role claim to come from it
    for request in [decrypting, across] {
        let (_, reason) = failure(app().answer(request).await);
        assert!(reason.contains("CloudFormation is not creating the"), "{reason}");
    }

    // THEN nothing was decrypted, and no role assumed (no session named after the forged stack)
    assert_eq!((get.num_calls(), assume.num_calls()), (0, 0));
}

#[tokio::test(start_paused = true)]
async fn a_plain_read_in_the_own_account_may_run_beside_the_check() {
    // GIVEN a resource CloudFormation shows being created, and a reader that decrypts nothing
    let get = get_value("/app/x", "the-value");
    let app = TestApp::new().ssm("eu-west-1", vec![get.clone()]);
    let reader = reader_create(json!({"Region": "eu-west-1", "Names": ["/app/x"]}));

    // WHEN it is read, THEN the value comes back: the twin of the refused reads above
    let outcome = success(app.answer(reader).await);
    assert_eq!(outcome.data["/app/x"], "the-value");
    assert_eq!(get.num_calls(), 1);
}
