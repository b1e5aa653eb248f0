//! The second trust review's rules for `Custom::ReplicaKey`: CloudFormation's own owner tag, the
//! lockout check that only the deployment may let a template bypass, reserved tag prefixes in any
//! letter case, and no KMS call before the caller is verified. Each attack is refused with nothing
//! changed; each has a legitimate twin that succeeds.

use super::*;
use crate::resources::ownership::CLOUDFORMATION_STACK_TAG;

const OTHER_STACK: &str = "arn:aws:cloudformation:eu-west-1:123456789012:stack/keys-eu/1";

/// DescribeStacks of [`OTHER_STACK`]: it is in `status`.
fn other_stack_in(status: &'static str) -> Rule {
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_sdk_cloudformation::types::{Stack, StackStatus};
    mock!(aws_sdk_cloudformation::Client::describe_stacks)
        .match_requests(|r| r.stack_name() == Some(OTHER_STACK))
        .then_output(move || {
            DescribeStacksOutput::builder()
                .stacks(
                    Stack::builder()
                        .stack_id(OTHER_STACK)
                        .stack_status(StackStatus::from(status))
                        .build(),
                )
                .build()
        })
}

/// The tags of a replica that an `AWS::KMS::ReplicaKey` of [`OTHER_STACK`] made, to which someone added
/// this resource's owner tags.
fn made_by_the_other_stack() -> Vec<Tag> {
    let mut tags = owner_tags();
    tags.push(tag(CLOUDFORMATION_STACK_TAG, OTHER_STACK));
    tags
}

#[tokio::test(start_paused = true)]
async fn a_replica_that_a_live_stack_created_itself_is_never_adopted_or_changed() {
    for (status, changed) in [
        ("UPDATE_COMPLETE", false),
        ("CREATE_IN_PROGRESS", false),
        // The twin: the stack that made it was deleted (its replica kept), so it may be adopted
        ("DELETE_COMPLETE", true),
    ] {
        // GIVEN the replica in eu-west-1 already exists, made by another stack, and AdoptExisting
        let (stack, enable) = (other_stack_in(status), enable());
        let kms = vec![
            (
                "us-east-1",
                vec![describe_primary(), get_policy(), replicate_already_exists("eu-west-1")],
            ),
            (
                "eu-west-1",
                vec![
                    describe_replica(&[Some(KeyState::Disabled)]),
                    list_tags(vec![tag(CLOUDFORMATION_STACK_TAG, OTHER_STACK)]),
                    replica_policy(POLICY),
                    tag_with_owner(),
                    enable.clone(),
                ],
            ),
        ];
        let properties = props(json!({"ReplicaRegions": ["eu-west-1"], "Alias": null, "AdoptExisting": "true"}));
        let app = TestApp::new()
            .kms("us-east-1", vec![primary_consents()])
            .kms_by_region(kms)
            .cloudformation("eu-west-1", vec![stack.clone()]);

        // WHEN the resource is created
        let answered = app.answer(request("create", properties, None)).await;

        // THEN the replica is changed only when that stack is gone
        assert_eq!(stack.num_calls(), 1, "{status}");
        if changed {
            success(answered);
            assert_eq!(enable.num_calls(), 1);
        } else {
            let (_, reason) = failure(answered);
            assert!(
                reason.contains(&format!(
                    "was created by the stack {OTHER_STACK} itself (its tag aws:cloudformation:stack-id), which \
                     still exists"
                )),
                "{reason}"
            );
            assert_eq!(enable.num_calls(), 0);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_delete_leaves_a_replica_that_a_live_stack_created_whatever_its_owner_tags() {
    // GIVEN a replica with this resource's owner tags, which a live stack's AWS::KMS::ReplicaKey made
    let (schedule, stack) = (schedule_deletion(7), other_stack_in("UPDATE_COMPLETE"));
    let kms = vec![(
        "eu-west-1",
        vec![
            describe_replica(&[Some(KeyState::Enabled)]),
            list_tags(made_by_the_other_stack()),
            schedule.clone(),
        ],
    )];
    let app = TestApp::new()
        .kms_by_region(kms)
        .cloudformation("eu-west-1", vec![stack.clone()]);
    let properties = props(json!({"ReplicaRegions": ["eu-west-1"], "Alias": null}));

    // WHEN the resource is deleted
    success(app.answer(request("delete", properties, None)).await);

    // THEN it is left in place
    assert_eq!((stack.num_calls(), schedule.num_calls()), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn bypassing_the_lockout_check_needs_the_deployments_consent() {
    // GIVEN a template that asks to bypass KMS's lockout check, and a provider that does not allow it
    let properties = props(json!({"BypassPolicyLockoutSafetyCheck": "true", "KeyPolicy": POLICY}));
    // No KMS rule but the consent's: any other call fails the test
    let (_, reason) = failure(answer(vec![], "create", properties.clone(), None).await);
    assert!(
        reason.starts_with(
            "invalid property 'BypassPolicyLockoutSafetyCheck' for Custom::ReplicaKey: this provider does not \
             allow it (its AllowBypassPolicyLockoutSafetyCheck is false)"
        ),
        "{reason}"
    );

    // AND the twin: a deployment that allows it replicates with the check bypassed
    let bypassing = mock!(Client::replicate_key)
        .match_requests(|r| r.bypass_policy_lockout_safety_check() == Some(true))
        .then_output(|| {
            ReplicateKeyOutput::builder()
                .replica_key_metadata(replica(KeyState::Enabled))
                .build()
        });
    let app = TestApp::new()
        .env("ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK", "true")
        .kms(
            "us-east-1",
            vec![primary_consents(), describe_primary(), bypassing.clone()],
        )
        .kms_by_region(vec![
            ("eu-west-1", vec![create_alias()]),
            ("ap-southeast-2", vec![create_alias()]),
        ]);
    success(app.answer(request("create", properties, None)).await);
    assert_eq!(bypassing.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn reserved_tag_prefixes_are_refused_in_any_letter_case() {
    for key in [
        "MRK-PROVIDER:stack",
        "Mrk-Provider:logical-id",
        "Aws:cloudformation:stack-id",
        "AWS:x",
    ] {
        // No KMS rule but the consent's: any call fails the test
        let properties = props(json!({"Tags": [{"Key": key, "Value": "v"}]}));
        let (_, reason) = failure(answer(vec![], "create", properties, None).await);
        assert_eq!(
            reason,
            format!(
                "invalid property 'Tags' for Custom::ReplicaKey: tag key '{key}' uses a reserved prefix (aws: \
                 or mrk-provider:, in any letter case)"
            )
        );
    }
}

#[tokio::test(start_paused = true)]
async fn no_kms_call_is_made_for_a_caller_that_is_not_verified() {
    // GIVEN a resource CloudFormation shows at rest, and KMS rules that count every call
    let (describe, tags, policy) = (describe_primary(), primary_consents(), get_policy());
    let app = TestApp::new()
        .calling_resource("CREATE_COMPLETE", None)
        .kms("us-east-1", vec![describe.clone(), tags.clone(), policy.clone()]);

    // WHEN a Create claims to come from it
    let (_, reason) = failure(app.answer(request("create", props(json!({})), None)).await);

    // THEN it is refused, and KMS was not called at all, not even to read
    assert!(reason.contains("CloudFormation is not creating the"), "{reason}");
    assert_eq!((describe.num_calls(), tags.num_calls(), policy.num_calls()), (0, 0, 0));
}
