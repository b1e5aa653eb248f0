//! `ALLOWED_REGIONS` and the bound on the number of parameters.

use super::*;

#[tokio::test(start_paused = true)]
async fn a_region_outside_allowed_regions_fails_the_create_before_any_call() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and no SSM rules: any call would fail the test
    let app = TestApp::new().env("ALLOWED_REGIONS", "us-east-1,eu-west-1");

    // WHEN a Create writes into eu-west-1 and ap-southeast-2
    let (physical_id, reason) = failure(answer_with(app, "create", props(json!({})), None).await);

    // THEN it fails naming the region before anything was written
    assert!(
        reason.starts_with(
            "invalid property 'Regions' for Custom::CrossRegionParameter: 'ap-southeast-2' is not one of this \
             provider's AllowedRegions (eu-west-1, us-east-1)"
        ),
        "{reason}"
    );
    assert!(physical_id.starts_with(FAILED_CREATE_PREFIX), "{physical_id}");
}

#[tokio::test(start_paused = true)]
async fn a_delete_skips_a_region_outside_allowed_regions() {
    // GIVEN ALLOWED_REGIONS without ap-southeast-2, and rules for eu-west-1 only
    let removed = delete(&["/app/alias", "/app/key-arn"]);
    let app = TestApp::new()
        .env("ALLOWED_REGIONS", "eu-west-1")
        .ssm("eu-west-1", vec![list_owned_tags_of_any(), removed.clone()]);

    // WHEN the resource is deleted
    success(answer_with(app, "delete", props(json!({})), None).await);

    // THEN eu-west-1's parameters are deleted and ap-southeast-2 is not called
    assert_eq!(removed.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_update_does_not_delete_in_a_removed_region_outside_allowed_regions() {
    // GIVEN old properties with ap-southeast-2, which ALLOWED_REGIONS does not have, and new ones without
    let app = TestApp::new().env("ALLOWED_REGIONS", "eu-west-1");
    let new = props(json!({"Regions": ["eu-west-1"]}));

    // WHEN the Update arrives (no rules: any call would fail the test)
    let outcome = success(answer_with(app, "update", new, Some(props(json!({})))).await);

    // THEN nothing was called: eu-west-1 is unchanged and ap-southeast-2 was never written
    assert_eq!(outcome.data["Names"], "/app/alias,/app/key-arn");
}

#[tokio::test(start_paused = true)]
async fn more_parameters_than_the_bound_are_refused_before_any_call() {
    // GIVEN 501 parameters, one more than a resource may write
    let parameters: Map<String, Value> = (0..501).map(|i| (format!("/p/{i}"), json!("v"))).collect();

    // WHEN they are created (no rules: any call would fail the test)
    let (_, reason) = failure(answer(vec![], "create", props(json!({"Parameters": parameters})), None).await);

    // THEN the reason names the bound
    assert!(
        reason.ends_with("501 parameters are given; at most 500 are accepted"),
        "{reason}"
    );
}
