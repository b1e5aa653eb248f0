//! The caller check: the pure rules (ARNs, statuses, the verdict), then [`confirm`] on mocked
//! CloudFormation, then whole requests whose caller is refused, each asserting that nothing was
//! changed.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::operation::describe_stack_resource::{
    DescribeStackResourceError, DescribeStackResourceOutput,
};
use aws_sdk_cloudformation::operation::describe_stacks::{DescribeStacksError, DescribeStacksOutput};
use aws_sdk_cloudformation::types::{Stack, StackResourceDetail, StackStatus};
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_types::error::ErrorMetadata;
use serde_json::json;

use super::*;
use crate::protocol::Answer;
use crate::test_support::{TestApp, failure, fixture, stack_id, stack_in, stack_resource, success, typed_request};

const REPLICA_KEY: &str = "Custom::ReplicaKey";
const PARAMETER: &str = "Custom::CrossRegionParameter";
const READER: &str = "Custom::CrossRegionParameterReader";

// ---- the pure rules ----

#[test]
fn stack_and_function_arns_give_their_partition_region_and_account() {
    let stack = ArnHome::of_stack("arn:aws:cloudformation:us-east-1:123456789012:stack/app/5b6f2a10-8c1e").unwrap();
    assert_eq!(
        stack,
        ArnHome {
            partition: "aws",
            region: "us-east-1",
            account: "123456789012"
        }
    );
    let cn = ArnHome::of_function("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:live").unwrap();
    assert_eq!((cn.partition, cn.region), ("aws-cn", "cn-north-1"));
    for not_a_stack in [
        "app-keys",
        "arn:aws:cloudformation:us-east-1:123456789012:stack/app",
        "arn:aws:cloudformation:us-east-1:123456789012:stack/app/id/extra",
        "arn:aws:cloudformation:us-east-1:12345678901:stack/app/id",
        "arn:aws:cloudformation:us-east-1:12345678901x:stack/app/id",
        "arn:aws:cloudformation:cn-north-1:123456789012:stack/app/id",
        "arn:aws:cloudformation:Us-East-1:123456789012:stack/app/id",
        "arn:aws:lambda:us-east-1:123456789012:stack/app/id",
        "arn:aws:cloudformation:us-east-1:123456789012:stackset/app/id",
        "",
    ] {
        assert_eq!(ArnHome::of_stack(not_a_stack), None, "{not_a_stack}");
    }
    assert_eq!(
        ArnHome::of_function("arn:aws:lambda:us-east-1:123456789012:layer:x"),
        None
    );
}

/// Every status a real request arrives under (the table of the module's documentation) is accepted;
/// a stack at rest or failed is not.
#[test]
fn requests_are_accepted_in_every_in_progress_status_and_in_no_other() {
    let accepted = [
        "CREATE_IN_PROGRESS",                           // Create of a new stack, or of a nested one
        "UPDATE_IN_PROGRESS",                           // Update; Create of an added or replacing resource
        "UPDATE_ROLLBACK_IN_PROGRESS",                  // the Update back during an update rollback
        "ROLLBACK_IN_PROGRESS",                         // the Delete of a failed Create
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",          // the old resource's Delete after a replacement
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", // the Delete of what a rolled-back update made
        "DELETE_IN_PROGRESS",                           // a stack deletion
        "IMPORT_IN_PROGRESS",
        "IMPORT_ROLLBACK_IN_PROGRESS",
    ];
    for status in accepted {
        let seen = Seen {
            status: Some(status),
            resource_type: Some(PARAMETER),
        };
        assert_eq!(judge(&seen, "S", "L", PARAMETER), Ok(()), "{status}");
    }
    let refused = [
        "CREATE_COMPLETE",
        "CREATE_FAILED",
        "UPDATE_COMPLETE",
        "UPDATE_FAILED",
        "UPDATE_ROLLBACK_COMPLETE",
        "UPDATE_ROLLBACK_FAILED",
        "ROLLBACK_COMPLETE",
        "ROLLBACK_FAILED",
        "DELETE_COMPLETE",
        "DELETE_FAILED",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    ];
    for status in refused {
        let seen = Seen {
            status: Some(status),
            resource_type: Some(PARAMETER),
        };
        let why = judge(&seen, "S", "L", PARAMETER).unwrap_err();
        assert!(why.contains(&format!("is {status}, not in progress")), "{why}");
    }
}

#[test]
fn the_verdict_names_the_check_that_failed() {
    let judged = |status, resource_type| judge(&Seen { status, resource_type }, "S", "Keys", REPLICA_KEY);
    assert!(
        judged(None, None)
            .unwrap_err()
            .contains("stack S does not exist (DescribeStacks)")
    );
    assert!(
        judged(Some("UPDATE_IN_PROGRESS"), None)
            .unwrap_err()
            .contains("has no resource Keys (DescribeStackResource)")
    );
    assert!(
        judged(Some("UPDATE_IN_PROGRESS"), Some(PARAMETER))
            .unwrap_err()
            .contains("is a Custom::CrossRegionParameter, not a Custom::ReplicaKey")
    );
    // A change set under review has no resources yet: the resource check refuses it.
    assert!(judged(Some("REVIEW_IN_PROGRESS"), None).is_err());
}

// ---- confirm, on mocked CloudFormation ----

/// Any PutParameter: what a write that must not happen would call.
fn put_any() -> Rule {
    mock!(aws_sdk_ssm::Client::put_parameter)
        .sequence()
        .output(|| aws_sdk_ssm::operation::put_parameter::PutParameterOutput::builder().build())
        .repeatedly()
        .build()
}

/// Any DeleteParameters, and the owner tags that would let a Delete go ahead.
fn delete_any() -> Rule {
    mock!(aws_sdk_ssm::Client::delete_parameters)
        .sequence()
        .output(|| aws_sdk_ssm::operation::delete_parameters::DeleteParametersOutput::builder().build())
        .repeatedly()
        .build()
}

/// ListTagsForResource answering the owner tags of the fixtures' resource `Exports`.
fn owned_by_exports() -> Rule {
    mock!(aws_sdk_ssm::Client::list_tags_for_resource)
        .sequence()
        .output(|| {
            let tags = crate::test_support::owner_tags("Exports")
                .into_iter()
                .map(|(k, v)| aws_sdk_ssm::types::Tag::builder().key(k).value(v).build().unwrap());
            aws_sdk_ssm::operation::list_tags_for_resource::ListTagsForResourceOutput::builder()
                .set_tag_list(Some(tags.collect()))
                .build()
        })
        .repeatedly()
        .build()
}

/// GetParameters answering `name` = `value`.
fn get_value(name: &'static str, value: &'static str) -> Rule {
    mock!(aws_sdk_ssm::Client::get_parameters).then_output(move || {
        aws_sdk_ssm::operation::get_parameters::GetParametersOutput::builder()
            .parameters(
                aws_sdk_ssm::types::Parameter::builder()
                    .name(name)
                    .value(value)
                    .r#type(aws_sdk_ssm::types::ParameterType::String)
                    .build(),
            )
            .build()
    })
}

fn validation_error(message: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code("ValidationError")
        .message(message)
        .build()
}

fn no_such_resource() -> DescribeStackResourceError {
    DescribeStackResourceError::generic(validation_error("Resource Keys does not exist for stack app-keys"))
}

/// A parameter Create from the fixtures' stack: writes `/app/x` in eu-west-1.
fn parameter_create() -> crate::protocol::Request {
    typed_request(
        PARAMETER,
        "Exports",
        "create",
        json!({"Regions": ["eu-west-1"], "Parameters": {"/app/x": "v"}}),
        None,
    )
}

#[tokio::test(start_paused = true)]
async fn a_resource_not_yet_visible_is_asked_for_again_until_it_is() {
    // GIVEN a stack whose new resource CloudFormation shows only on the third ask
    let describe = mock!(Client::describe_stack_resource)
        .sequence()
        .error(no_such_resource)
        .times(2)
        .output(|| {
            DescribeStackResourceOutput::builder()
                .stack_resource_detail(StackResourceDetail::builder().resource_type(PARAMETER).build())
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
        .cloudformation("us-east-1", vec![no_stack.clone(), no_resource])
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN a Create names it
    let started = tokio::time::Instant::now();
    let (_, reason) = failure(app.answer(parameter_create()).await);

    // THEN it is refused within the visibility wait, asked a bounded number of times, nothing written
    assert!(
        reason.starts_with("the request was refused and nothing was changed: the stack"),
        "{reason}"
    );
    assert!(reason.contains("does not exist (DescribeStacks)"), "{reason}");
    assert!(started.elapsed() <= VISIBILITY_WAIT, "{:?}", started.elapsed());
    // AND asked at once and after pauses of 0.25, 0.5, 1 and 2 s: 5 times
    assert_eq!(no_stack.num_calls(), 5);
    assert_eq!(put.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn throttled_cloudformation_calls_are_retried() {
    // GIVEN DescribeStacks throttled twice before it answers
    let throttled = mock!(Client::describe_stacks)
        .sequence()
        .error(|| {
            DescribeStacksError::generic(
                ErrorMetadata::builder()
                    .code("Throttling")
                    .message("Rate exceeded")
                    .build(),
            )
        })
        .times(2)
        .output(|| {
            DescribeStacksOutput::builder()
                .stacks(
                    Stack::builder()
                        .stack_id(stack_id())
                        .stack_status(StackStatus::UpdateInProgress)
                        .build(),
                )
                .build()
        })
        .build();
    let put = put_any();
    let app = TestApp::new()
        .cloudformation("us-east-1", vec![throttled.clone(), stack_resource(PARAMETER)])
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN the Create arrives
    success(app.answer(parameter_create()).await);

    // THEN the throttled call was retried, and the write went ahead
    assert_eq!(throttled.num_calls(), 3);
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn a_denied_describe_stacks_fails_the_request_naming_the_call() {
    let denied = mock!(Client::describe_stacks).then_error(|| {
        DescribeStacksError::generic(
            ErrorMetadata::builder()
                .code("AccessDenied")
                .message("not authorized to perform: cloudformation:DescribeStacks")
                .build(),
        )
    });
    let app = TestApp::new().cloudformation("us-east-1", vec![denied, stack_resource(PARAMETER)]);
    let (_, reason) = failure(app.answer(parameter_create()).await);
    assert!(
        reason.contains("DescribeStacks in us-east-1 failed (AccessDenied)"),
        "{reason}"
    );
}

// ---- requests whose caller is refused: FAILED, and nothing changed ----

/// The fixtures' request of `resource_type`, with `StackId` replaced.
fn from_stack(resource_type: &str, stack: &str, properties: serde_json::Value) -> crate::protocol::Request {
    let mut event = fixture("create");
    event["ResourceType"] = json!(resource_type);
    event["LogicalResourceId"] = json!("Exports");
    event["StackId"] = json!(stack);
    event["ResourceProperties"] = properties;
    crate::protocol::Request::parse(&event).expect("the event parses")
}

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
            vec![stack_in("UPDATE_COMPLETE"), stack_resource(PARAMETER)],
        )
        .ssm("eu-west-1", vec![put.clone()]);

    // WHEN a Create claims to come from it
    let (_, reason) = failure(write.answer(parameter_create()).await);

    // THEN it is refused, and nothing was written
    assert!(
        reason.contains("is UPDATE_COMPLETE, not in progress (DescribeStacks)"),
        "{reason}"
    );
    assert_eq!(put.num_calls(), 0);

    // AND a reader's Create from it gets no value back, though its read may have run beside the check
    let reader = typed_request(
        READER,
        "Reader",
        "create",
        json!({"Region": "eu-west-1", "Names": ["/app/x"]}),
        None,
    );
    let get = get_value("/app/x", "the-value");
    let read = TestApp::new()
        .cloudformation("us-east-1", vec![stack_in("UPDATE_COMPLETE"), stack_resource(READER)])
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
            vec![stack_in("DELETE_IN_PROGRESS"), stack_resource(READER)],
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
    assert!(
        reason.contains("is a Custom::CrossRegionParameterReader, not a Custom::CrossRegionParameter"),
        "{reason}"
    );
    assert_eq!(delete_rule.num_calls(), 0);
}
