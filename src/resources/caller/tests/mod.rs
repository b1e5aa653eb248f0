//! The caller check: the pure rules (ARNs, statuses, the verdict), then [`confirm`] on mocked
//! CloudFormation, then whole requests whose caller is refused, each asserting that nothing was
//! changed.

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::operation::describe_stack_resource::{
    DescribeStackResourceError, DescribeStackResourceOutput,
};
use aws_sdk_cloudformation::operation::describe_stacks::{DescribeStacksError, DescribeStacksOutput};
use aws_sdk_cloudformation::types::{ResourceStatus, StackResourceDetail};
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

/// The resource statuses of CloudFormation's API (botocore's model of 2010-05-15).
const RESOURCE_STATUSES: [&str; 28] = [
    "CREATE_IN_PROGRESS",
    "CREATE_FAILED",
    "CREATE_COMPLETE",
    "DELETE_IN_PROGRESS",
    "DELETE_FAILED",
    "DELETE_COMPLETE",
    "DELETE_SKIPPED",
    "UPDATE_IN_PROGRESS",
    "UPDATE_FAILED",
    "UPDATE_COMPLETE",
    "IMPORT_FAILED",
    "IMPORT_COMPLETE",
    "IMPORT_IN_PROGRESS",
    "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED",
    "IMPORT_ROLLBACK_COMPLETE",
    "EXPORT_FAILED",
    "EXPORT_COMPLETE",
    "EXPORT_IN_PROGRESS",
    "EXPORT_ROLLBACK_IN_PROGRESS",
    "EXPORT_ROLLBACK_FAILED",
    "EXPORT_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
];

/// A request of `request_type` about the resource `Keys` of type `resource_type`, with `physical_id`.
fn request_of(request_type: &str, resource_type: &str, physical_id: Option<&str>) -> crate::protocol::Request {
    let mut event = fixture(request_type);
    event["ResourceType"] = json!(resource_type);
    event["LogicalResourceId"] = json!("Keys");
    match physical_id {
        Some(id) => event["PhysicalResourceId"] = json!(id),
        None => {
            event.as_object_mut().map(|e| e.remove("PhysicalResourceId"));
        }
    }
    crate::protocol::Request::parse(&event).expect("the event parses")
}

fn seen(resource_type: &str, status: &str, physical_id: Option<&str>) -> StackResource {
    StackResource {
        resource_type: Some(resource_type.into()),
        status: Some(status.into()),
        physical_id: physical_id.map(str::to_string),
    }
}

const PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const OLD_PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-00000000000000000000000000000000";

/// Each request type is CloudFormation's only while its resource is in that type's own status (the
/// module's table): every other status of the API refuses it.
#[test]
fn each_request_type_is_accepted_only_while_its_resource_is_in_its_status() {
    for (request_type, id, wanted) in [
        ("create", None, "CREATE_IN_PROGRESS"),
        ("update", Some(PRIMARY), "UPDATE_IN_PROGRESS"),
        ("delete", Some(PRIMARY), "DELETE_IN_PROGRESS"),
    ] {
        let request = request_of(request_type, REPLICA_KEY, id);
        for status in RESOURCE_STATUSES {
            let verdict = judge(Some(&seen(REPLICA_KEY, status, id)), &request);
            match status == wanted {
                true => assert_eq!(verdict, Verdict::Operating, "{request_type} in {status}"),
                false => assert_eq!(
                    verdict,
                    Verdict::Refused(format!("the resource is {status}, not {wanted}")),
                    "{request_type} in {status}"
                ),
            }
        }
    }
}

#[test]
fn a_missing_resource_or_one_of_another_type_is_refused() {
    let request = request_of("delete", REPLICA_KEY, Some(PRIMARY));
    assert!(matches!(judge(None, &request), Verdict::Refused(_)));
    let other = seen(PARAMETER, "DELETE_IN_PROGRESS", Some(PRIMARY));
    assert_eq!(
        judge(Some(&other), &request),
        Verdict::Refused("the resource is a Custom::CrossRegionParameter".into())
    );
    // A change set under review has no resources yet
    let typeless = StackResource::default();
    assert!(matches!(judge(Some(&typeless), &request), Verdict::Refused(_)));
}

#[test]
fn a_delete_of_a_former_id_is_superseded_and_an_update_of_one_refused() {
    // GIVEN the resource's current id is PRIMARY, whatever its status
    for status in ["UPDATE_COMPLETE", "DELETE_IN_PROGRESS", "UPDATE_IN_PROGRESS"] {
        let current = seen(REPLICA_KEY, status, Some(PRIMARY));
        // A Delete of another id: the stack's status decides
        let delete = request_of("delete", REPLICA_KEY, Some(OLD_PRIMARY));
        assert_eq!(judge(Some(&current), &delete), Verdict::Superseded, "{status}");
        // An Update of another id is never CloudFormation's
        let update = request_of("update", REPLICA_KEY, Some(OLD_PRIMARY));
        assert!(
            matches!(judge(Some(&current), &update), Verdict::Refused(_)),
            "{status}"
        );
    }
    // A resource CloudFormation shows with no id yet: the event's id cannot differ from it
    let no_id = seen(REPLICA_KEY, "DELETE_IN_PROGRESS", None);
    let delete = request_of("delete", REPLICA_KEY, Some(OLD_PRIMARY));
    assert_eq!(judge(Some(&no_id), &delete), Verdict::Operating);
}

#[test]
fn a_former_id_is_one_the_resource_type_could_have_had() {
    let key_delete = request_of("delete", REPLICA_KEY, Some(OLD_PRIMARY));
    // A replica key's former id is another primary's ARN
    assert!(super::super::could_have_had(&key_delete, OLD_PRIMARY, Some(PRIMARY)));
    // The current key in another spelling (another region's ARN of the same key id) would reach the
    // current replicas: never a former id
    let same_key_elsewhere = PRIMARY.replace("us-east-1", "eu-west-1");
    assert!(!super::super::could_have_had(
        &key_delete,
        &same_key_elsewhere,
        Some(PRIMARY)
    ));
    assert!(!super::super::could_have_had(&key_delete, "not-a-key", Some(PRIMARY)));
    // The parameter types keep one id for their whole life
    for resource_type in [PARAMETER, READER] {
        let request = request_of("delete", resource_type, Some("x"));
        let own = crate::resources::context::stack_scoped_id(&request);
        assert!(
            super::super::could_have_had(&request, &own, Some("other")),
            "{resource_type}"
        );
        assert!(
            !super::super::could_have_had(&request, "x", Some(&own)),
            "{resource_type}"
        );
    }
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

/// A reader's Create, `Reader` of the fixtures' stack, with `properties`.
fn reader_create(properties: serde_json::Value) -> crate::protocol::Request {
    typed_request(READER, "Reader", "create", properties, None)
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
    success(app.answer(parameter_create()).await);

    // THEN the throttled call was retried, and the write went ahead
    assert_eq!(throttled.num_calls(), 3);
    assert_eq!(put.num_calls(), 1);
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

/// DescribeKey of any key: an Enabled multi-Region replica.
fn enabled_replica() -> Rule {
    use aws_sdk_kms::types::{KeyMetadata, KeyState, MultiRegionConfiguration, MultiRegionKeyType};
    mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
        let meta = KeyMetadata::builder()
            .key_id("mrk-00000000000000000000000000000000")
            .key_state(KeyState::Enabled)
            .multi_region(true)
            .multi_region_configuration(
                MultiRegionConfiguration::builder()
                    .multi_region_key_type(MultiRegionKeyType::Replica)
                    .build(),
            )
            .build()
            .expect("key metadata with a key id");
        aws_sdk_kms::operation::describe_key::DescribeKeyOutput::builder()
            .key_metadata(meta)
            .build()
    })
}

/// ListResourceTags of any key: the owner tags of the resource `Keys` of the fixtures' stack.
fn owned_by_keys() -> Rule {
    mock!(aws_sdk_kms::Client::list_resource_tags).then_output(|| {
        let tags = crate::test_support::owner_tags("Keys")
            .iter()
            .map(|(k, v)| {
                aws_sdk_kms::types::Tag::builder()
                    .tag_key(k)
                    .tag_value(v)
                    .build()
                    .expect("a tag")
            })
            .collect();
        aws_sdk_kms::operation::list_resource_tags::ListResourceTagsOutput::builder()
            .set_tags(Some(tags))
            .truncated(false)
            .build()
    })
}

/// A replica key's Delete of `former`, while its current id is [`PRIMARY`] and its stack is in
/// `stack_status`; returns the answer, and the DescribeStacks and ScheduleKeyDeletion rules.
async fn former_key_delete(stack_status: &str, former: &str) -> (Answer, Rule, Rule) {
    let mut event = fixture("delete");
    event["ResourceType"] = json!(REPLICA_KEY);
    event["LogicalResourceId"] = json!("Keys");
    event["PhysicalResourceId"] = json!(former);
    event["ResourceProperties"] = json!({"PrimaryKeyArn": PRIMARY, "ReplicaRegions": ["eu-west-1"]});
    let request = crate::protocol::Request::parse(&event).expect("the event parses");
    let stacks = stack_in(stack_status);
    let schedule = mock!(aws_sdk_kms::Client::schedule_key_deletion)
        .then_output(|| aws_sdk_kms::operation::schedule_key_deletion::ScheduleKeyDeletionOutput::builder().build());
    let app = TestApp::new()
        .cloudformation("us-east-1", vec![stacks.clone()])
        .calling_stack(stack_status, REPLICA_KEY)
        .calling_resource("UPDATE_COMPLETE", Some(PRIMARY))
        .kms("eu-west-1", vec![enabled_replica(), owned_by_keys(), schedule.clone()]);
    (app.answer(request).await, stacks, schedule)
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
