//! `AdoptExisting`: a foreign parameter taken over and tagged, only from an owner stack that is gone,
//! never from another resource of the same stack.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_redelivered_create_adopts_the_parameters_its_earlier_attempt_wrote() {
    // GIVEN the parameter exists already, tagged with this stack and logical id
    let properties = props(json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}}));
    let (exists, tags, rewrite, retag) = (
        put_exists("/app/key-arn"),
        list_tags("/app/key-arn", owner_tags()),
        overwrite("/app/key-arn", KEY_ARN),
        add_tags("/app/key-arn", owner_tags()),
    );
    let ssm = vec![(
        "eu-west-1",
        vec![exists.clone(), tags.clone(), rewrite.clone(), retag.clone()],
    )];

    // WHEN the Create is delivered again
    let outcome = success(answer(ssm, "create", properties, None).await);

    // THEN the parameter is overwritten in place, its tags already right
    assert_eq!((exists.num_calls(), tags.num_calls(), rewrite.num_calls()), (1, 1, 1));
    assert_eq!(retag.num_calls(), 0);
    assert_eq!(outcome.physical_resource_id, physical_id());
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_takes_over_a_foreign_parameter_and_tags_it() {
    // GIVEN a parameter without owner tags, and AdoptExisting with a user tag
    let properties = props(json!({
        "Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN},
        "AdoptExisting": "true", "Tags": [{"Key": "team", "Value": "platform"}],
    }));
    let mut tags = owner_tags();
    tags.push(tag("team", "platform"));
    let (rewrite, retag) = (overwrite("/app/key-arn", KEY_ARN), add_tags("/app/key-arn", tags));
    let ssm = vec![(
        "eu-west-1",
        vec![
            put_exists("/app/key-arn"),
            list_tags("/app/key-arn", vec![tag("team", "someone")]),
            rewrite.clone(),
            retag.clone(),
        ],
    )];

    // WHEN the resource is created
    success(answer(ssm, "create", properties, None).await);

    // THEN the value is overwritten and the owner and user tags are added
    assert_eq!((rewrite.num_calls(), retag.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_takes_a_parameter_only_from_an_owner_stack_that_is_gone() {
    for (answer, adopted, expected) in [
        (
            OwnerStack::Shows("UPDATE_COMPLETE"),
            false,
            "it belongs to Theirs in stack arn:aws:cloudformation:us-east-1:123456789012:stack/other/1, which still exists",
        ),
        (OwnerStack::Shows("CREATE_IN_PROGRESS"), false, "which still exists"),
        (
            OwnerStack::Unreadable,
            false,
            "could not be read: DescribeStacks in us-east-1 failed (AccessDenied)",
        ),
        (OwnerStack::Shows("DELETE_COMPLETE"), true, ""),
        (OwnerStack::Unknown, true, ""),
    ] {
        // GIVEN the parameter, owned by another stack's resource, and AdoptExisting
        // WHEN the resource is created
        let Adoption {
            answered,
            owner,
            rewrite,
            retag,
        } = adopt(foreign_tags(), answer).await;

        // THEN it is adopted only when the owner stack is gone; else nothing is written
        assert_eq!(owner.num_calls(), 1);
        if adopted {
            success(answered);
            assert_eq!((rewrite.num_calls(), retag.num_calls()), (1, 1));
        } else {
            let (_, reason) = failure(answered);
            assert!(
                reason.starts_with("the parameter /app/key-arn in eu-west-1 was not adopted: "),
                "{reason}"
            );
            assert!(reason.contains(expected), "{reason}");
            assert!(
                reason.contains("AdoptExisting takes over only what no live stack owns"),
                "{reason}"
            );
            assert_eq!((rewrite.num_calls(), retag.num_calls()), (0, 0));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn adopt_existing_never_takes_a_parameter_from_another_resource_of_the_same_stack() {
    // GIVEN the parameter belongs to another resource of this very stack (which is live: it asked)
    let properties = props(json!({
        "Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": KEY_ARN}, "AdoptExisting": "true",
    }));
    let rewrite = overwrite("/app/key-arn", KEY_ARN);
    let sibling = vec![
        tag(OWNER_STACK_TAG, &stack_id()),
        tag(OWNER_LOGICAL_ID_TAG, "OtherExport"),
    ];
    let ssm = vec![(
        "eu-west-1",
        vec![
            put_exists("/app/key-arn"),
            list_tags("/app/key-arn", sibling),
            rewrite.clone(),
        ],
    )];

    // WHEN the resource is created
    let (_, reason) = failure(answer(ssm, "create", properties, None).await);

    // THEN nothing is overwritten, and the reason names the sibling
    assert!(
        reason.contains("it belongs to OtherExport of this same stack"),
        "{reason}"
    );
    assert_eq!(rewrite.num_calls(), 0);
}
