//! `confirm` on mocked CloudFormation: lag, missing stacks, throttling, denied calls, and the
//! Deletes of cleanup and rollback.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_resource_not_yet_visible_is_asked_for_again_until_it_is() {
    // GIVEN a stack whose new resource CloudFormation shows only on the third ask
    let describe = mock!(Client::describe_stack_resource)
        .sequence()
        .error(no_such_resource)
        .times(2)
        .output(|| {
            DescribeStackResourceOutput::builder()
                .stack_resource_detail(
                    StackResourceDetail::builder()
                        .resource_type(PARAMETER)
                        .resource_status(ResourceStatus::CreateInProgress)
                        .build(),
                )
                .build()
        })
        .build();
    let put = put_any();
    let app = TestApp::new()
        .cloudformation("us-east-1", vec![stack_in("CREATE_IN_PROGRESS"), describe.clone()])
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN the parameter's Create arrives
    let answer = app.answer(parameter_create()).await;

    // THEN it was asked three times, and then the parameter was written
    success(answer);
    assert_eq!(describe.num_calls(), 3);
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_stack_that_does_not_exist_is_refused_after_a_few_seconds_with_nothing_written() {
    // GIVEN CloudFormation knows no such stack (for 6 asks: a 7th would find no rule, so a wait that
    // never ends fails here instead of hanging the test)
    let no_stack = mock!(Client::describe_stacks)
        .sequence()
        .error(|| DescribeStacksError::generic(validation_error("Stack with id x does not exist")))
        .times(6)
        .build();
    let no_resource = mock!(Client::describe_stack_resource)
        .sequence()
        .error(|| DescribeStackResourceError::generic(validation_error("Stack 'x' does not exist")))
        .times(6)
        .build();
    let put = put_any();
    let app = TestApp::new()
        .cloudformation("us-east-1", vec![no_stack.clone(), no_resource.clone()])
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN a Create names it
    let started = tokio::time::Instant::now();
    let (_, reason) = failure(app.answer(parameter_create()).await);

    // THEN it is refused within the visibility wait, naming the rule, nothing written
    assert_eq!(
        reason,
        format!(
            "the request was refused and nothing was changed: CloudFormation is not creating the \
             Custom::CrossRegionParameter Exports of the stack {} under this PhysicalResourceId; the provider \
             acts only on a resource that CloudFormation shows CREATE_IN_PROGRESS at that moment, or, while its \
             stack cleans up or rolls back, on a former PhysicalResourceId of it (DescribeStackResource, \
             DescribeStacks)",
            stack_id()
        )
    );
    assert!(started.elapsed() <= VISIBILITY_WAIT, "{:?}", started.elapsed());
    // AND asked at once and after pauses of 0.25, 0.5, 1 and 2 s: 5 times, the stack itself never
    assert_eq!(no_resource.num_calls(), 5);
    assert_eq!(no_stack.num_calls(), 0);
    assert_eq!(put.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn the_common_request_costs_one_cloudformation_call() {
    // GIVEN the resource being created
    let stacks = stack_in("CREATE_IN_PROGRESS");
    let resource = stack_resource(PARAMETER, "CREATE_IN_PROGRESS", None);
    let put = put_any();
    let app = TestApp::new()
        .cloudformation("us-east-1", vec![stacks.clone(), resource.clone()])
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN its Create arrives
    success(app.answer(parameter_create()).await);

    // THEN DescribeStackResource alone verified it: a resource in progress implies its stack is
    assert_eq!((resource.num_calls(), stacks.num_calls()), (1, 0));
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn throttled_cloudformation_calls_are_retried() {
    // GIVEN DescribeStackResource throttled twice before it answers
    let throttled = mock!(Client::describe_stack_resource)
        .sequence()
        .error(|| {
            DescribeStackResourceError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(2)
        .output(|| {
            DescribeStackResourceOutput::builder()
                .stack_resource_detail(
                    StackResourceDetail::builder()
                        .resource_type(PARAMETER)
                        .resource_status(ResourceStatus::CreateInProgress)
                        .build(),
                )
                .build()
        })
        .build();
    let put = put_any();
    let app = TestApp::new()
        .cloudformation("us-east-1", vec![throttled.clone()])
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN the Create arrives
    let counters = std::sync::Arc::new(crate::metrics::Counters::default());
    success(crate::metrics::measured(counters.clone(), app.answer(parameter_create())).await);

    // THEN the throttled call was retried, and the write went ahead
    assert_eq!(throttled.num_calls(), 3);
    assert_eq!(put.num_calls(), 1);
    // AND the request's metrics count the SDK's attempts: four calls, two throttled and retried
    let counts = counters.counts();
    assert_eq!(
        (counts.aws_calls, counts.throttled_calls, counts.retried_calls),
        (4, 2, 2)
    );
}

#[tokio::test]
async fn a_denied_describe_stack_resource_fails_the_request_naming_the_call() {
    let denied = mock!(Client::describe_stack_resource).then_error(|| {
        DescribeStackResourceError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized to perform: cloudformation:DescribeStackResource")
                .build(),
        )
    });
    let app = TestApp::new().cloudformation("us-east-1", vec![denied]);
    let (_, reason) = failure(app.answer(parameter_create()).await);
    assert!(
        reason.contains("DescribeStackResource in us-east-1 failed (AccessDenied)"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_former_id_is_deleted_in_every_cleanup_and_rollback_status() {
    for status in SUPERSEDED_STATUSES {
        // WHEN CloudFormation cleans up the old primary's replicas after a replacement (or rolls back)
        let (answer, stacks, schedule) = former_key_delete(status, OLD_PRIMARY).await;
        // THEN the stack's status was asked, and the old replica scheduled for deletion
        success(answer);
        assert!(stacks.num_calls() >= 1, "{status}");
        assert_eq!(schedule.num_calls(), 1, "{status}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_former_id_is_refused_outside_cleanup_and_rollback_and_when_implausible() {
    let same_key_elsewhere = PRIMARY.replace("us-east-1", "eu-west-1");
    for (status, former) in [
        // The stack updates another resource: a forged Delete of a former id
        ("UPDATE_IN_PROGRESS", OLD_PRIMARY),
        ("DELETE_IN_PROGRESS", OLD_PRIMARY),
        ("CREATE_IN_PROGRESS", OLD_PRIMARY),
        // In cleanup, an id that names the current key in another region
        ("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", same_key_elsewhere.as_str()),
    ] {
        let (answer, _, schedule) = former_key_delete(status, former).await;
        let (_, reason) = failure(answer);
        assert!(
            reason.contains("on a former PhysicalResourceId of it"),
            "{status}: {reason}"
        );
        assert_eq!(schedule.num_calls(), 0, "{status} {former}");
    }
}
