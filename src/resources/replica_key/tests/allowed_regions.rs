//! `ALLOWED_REGIONS`: a Create or Update naming another region fails before any call; a Delete skips it.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_replica_region_outside_allowed_regions_fails_the_create_before_any_call() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and no AWS rules: any call would fail the test
    let app = TestApp::new().env("ALLOWED_REGIONS", "us-east-1, eu-west-1");

    // WHEN a Create replicates into eu-west-1 and ap-southeast-2
    let (physical_id, reason) = failure(app.answer(request("create", props(json!({})), None)).await);

    // THEN it fails naming the region and the allowed ones, and the rollback will know nothing was made
    assert_eq!(
        reason,
        "invalid property 'ReplicaRegions' for Custom::ReplicaKey: 'ap-southeast-2' is not one of this \
         provider's AllowedRegions (eu-west-1, us-east-1); deploy the provider with it added, or choose another region"
    );
    assert!(physical_id.starts_with(FAILED_CREATE_PREFIX), "{physical_id}");
}

#[tokio::test(start_paused = true)]
async fn a_primary_outside_allowed_regions_fails_an_update_before_any_call() {
    // GIVEN ALLOWED_REGIONS with the replica regions but not the primary's, and no AWS rules
    let app = TestApp::new().env("ALLOWED_REGIONS", "eu-west-1,ap-southeast-2");

    // WHEN an Update arrives
    let update = request("update", props(json!({})), Some(props(json!({}))));
    let (_, reason) = failure(app.answer(update).await);

    // THEN it fails on PrimaryKeyArn
    assert!(
        reason.starts_with("invalid property 'PrimaryKeyArn' for Custom::ReplicaKey: 'us-east-1' is not one"),
        "{reason}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_delete_skips_a_region_outside_allowed_regions_and_deletes_the_others() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and a replica of ours in eu-west-1; no rule for
    // ap-southeast-2, so a call there would fail the test
    let (eu_west_1, remove_alias, schedule) = an_owned_replica_to_remove();
    let app = TestApp::new()
        .env("ALLOWED_REGIONS", "us-east-1,eu-west-1")
        .kms("eu-west-1", eu_west_1);

    // WHEN the resource is deleted
    let outcome = success(app.answer(request("delete", props(json!({})), None)).await);

    // THEN eu-west-1's replica and alias are removed, and the Delete succeeds
    assert_eq!(outcome.physical_resource_id, PRIMARY);
    assert_eq!((remove_alias.num_calls(), schedule.num_calls()), (1, 1));
}
