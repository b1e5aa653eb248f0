//! The pure rules of the caller check: ARNs, statuses, resource types, former ids.

use super::*;

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
    assert!(super::super::super::could_have_had(
        &key_delete,
        OLD_PRIMARY,
        Some(PRIMARY)
    ));
    // The current key in another spelling (another region's ARN of the same key id) would reach the
    // current replicas: never a former id
    let same_key_elsewhere = PRIMARY.replace("us-east-1", "eu-west-1");
    assert!(!super::super::super::could_have_had(
        &key_delete,
        &same_key_elsewhere,
        Some(PRIMARY)
    ));
    assert!(!super::super::super::could_have_had(
        &key_delete,
        "not-a-key",
        Some(PRIMARY)
    ));
    // The parameter types keep one id for their whole life
    for resource_type in [PARAMETER, READER] {
        let request = request_of("delete", resource_type, Some("x"));
        let own = crate::resources::context::stack_scoped_id(&request);
        assert!(
            super::super::super::could_have_had(&request, &own, Some("other")),
            "{resource_type}"
        );
        assert!(
            !super::super::super::could_have_had(&request, "x", Some(&own)),
            "{resource_type}"
        );
    }
}
