//! Delete: replicas already gone or pending deletion, replicas this resource does not own, and
//! properties that no longer validate.

use super::*;

#[tokio::test(start_paused = true)]
async fn delete_tolerates_replicas_that_are_gone_or_already_pending_deletion() {
    // GIVEN one region without a replica and one whose replica is already pending deletion
    let kms = vec![
        ("eu-west-1", vec![describe_replica(&[None])]),
        (
            "ap-southeast-2",
            vec![describe_replica(&[Some(KeyState::PendingDeletion)])],
        ),
    ];
    // WHEN the resource is deleted
    let outcome = success(answer(kms, "delete", props(json!({})), None).await);
    // THEN it succeeds with the physical id it was given
    assert_eq!(outcome.physical_resource_id, PRIMARY);
}

#[tokio::test(start_paused = true)]
async fn delete_leaves_a_replica_it_does_not_own() {
    // GIVEN a replica without this resource's owner tags
    let schedule = schedule_deletion(7);
    let kms = vec![(
        "eu-west-1",
        vec![
            describe_replica(&[Some(KeyState::Enabled)]),
            list_tags(vec![tag("team", "x")]),
            schedule.clone(),
        ],
    )];
    // WHEN the resource is deleted
    success(answer(kms, "delete", props(json!({"ReplicaRegions": ["eu-west-1"]})), None).await);
    // THEN the replica is not scheduled for deletion
    assert_eq!(schedule.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_delete_with_invalid_properties_succeeds_without_aws_calls() {
    // GIVEN properties that never validated (so the Create made nothing), and no AWS rules
    // WHEN the resource is deleted
    let outcome = success(answer(vec![], "delete", props(json!({"ReplicaRegions": "not a region"})), None).await);
    // THEN it succeeds
    assert_eq!(outcome.physical_resource_id, PRIMARY);
}
