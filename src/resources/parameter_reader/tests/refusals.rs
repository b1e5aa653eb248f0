//! Reads that fail: missing names, bad input, regions outside `ALLOWED_REGIONS`, too many names, and
//! values too large for the answer.

use super::*;

#[tokio::test]
async fn every_missing_name_and_the_region_are_in_one_reason() {
    // GIVEN three names, of which only the second exists
    let read = get(
        &["/app/a", "/app/b", "/app/c"],
        false,
        vec![parameter("/app/b", "2", ParameterType::String)],
    );
    // WHEN the reader is created
    let (physical, reason) = failure(
        answer(
            vec![("eu-west-1", vec![read])],
            "create",
            props("eu-west-1", &["/app/a", "/app/b", "/app/c"], false),
        )
        .await,
    );
    // THEN the reason lists both missing names and the region, and the rollback Delete will call nothing
    assert_eq!(
        reason,
        "parameters not found in eu-west-1: /app/a, /app/c; create them first or fix Names"
    );
    assert!(physical.starts_with(FAILED_CREATE_PREFIX), "{physical}");
}

#[tokio::test]
async fn bad_names_and_regions_are_rejected_before_any_call() {
    for (properties, expected) in [
        (props("eu-west-1", &["app/key"], false), "must start with '/'"),
        (props("eu-west-1", &["/aws/key"], false), "SSM reserves"),
        (
            props("eu-west-1", &["/other/key"], false),
            "outside this provider's PARAMETER_PREFIX '/app'",
        ),
        (props("Ireland", &["/app/key"], false), "'Ireland' is not a region name"),
    ] {
        // GIVEN PARAMETER_PREFIX /app and no SSM rules: any call would fail the test
        let app = TestApp::new().env("PARAMETER_PREFIX", "/app");
        let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None);
        // WHEN the reader is created
        let answer = app.answer(request).await;
        // THEN it fails with the rule broken
        let (_, reason) = failure(answer);
        assert!(reason.contains(expected), "{reason}");
    }
}

#[tokio::test]
async fn values_too_large_for_the_answer_fail_with_a_reason() {
    // GIVEN two values of 3000 bytes, which cannot fit together in a 4096-byte answer
    let big = "x".repeat(3000);
    let read = get(
        &["/app/a", "/app/b"],
        false,
        vec![
            parameter("/app/a", &big, ParameterType::String),
            parameter("/app/b", &big, ParameterType::String),
        ],
    );
    let properties = props("eu-west-1", &["/app/a", "/app/b"], false);
    let answer = answer(vec![("eu-west-1", vec![read])], "create", properties.clone()).await;
    // WHEN the protocol layer renders the answer
    let request = typed_request(RESOURCE_TYPE, LOGICAL_ID, "create", properties, None);
    let rendered = render::render(&Envelope::of(&request), answer, "stream");
    // THEN it is FAILED with a reason about the size, within the limit, and without the values
    let (_, reason) = failure(rendered.answer);
    assert!(reason.contains("over the 4096 bytes"), "{reason}");
    assert!(rendered.body.len() <= MAX_RESPONSE_BYTES);
    assert!(!String::from_utf8_lossy(&rendered.body).contains("xxxx"));
}

#[tokio::test]
async fn a_region_outside_allowed_regions_is_refused_before_any_call() {
    // GIVEN ALLOWED_REGIONS without eu-west-1, and no SSM rules: any call would fail the test
    let app = TestApp::new().env("ALLOWED_REGIONS", "us-east-1");
    let request = typed_request(
        RESOURCE_TYPE,
        LOGICAL_ID,
        "create",
        props("eu-west-1", &["/app/key-arn"], false),
        None,
    );

    // WHEN the reader is created
    let (_, reason) = failure(app.answer(request).await);

    // THEN the reason names the region and the allowed ones
    assert!(
        reason.starts_with(
            "invalid property 'Region' for Custom::CrossRegionParameterReader: 'eu-west-1' is not one of this \
             provider's AllowedRegions (us-east-1)"
        ),
        "{reason}"
    );
}

#[tokio::test]
async fn more_names_than_the_bound_are_refused_before_any_call_and_before_the_duplicate_check() {
    // GIVEN 501 names, and 40,000, one name repeated
    let many: Vec<String> = (0..501).map(|i| format!("/app/n{i}")).collect();
    let repeated: Vec<String> = vec!["/app/same".to_string(); 40_000];
    for (names, count) in [(many, 501), (repeated, 40_000)] {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        // WHEN a reader of them is created (no rules: any call would fail the test)
        let (_, reason) = failure(answer(vec![], "create", props("eu-west-1", &names, false)).await);
        // THEN the reason names the bound
        assert!(
            reason.ends_with(&format!("{count} names are listed; at most 500 are accepted")),
            "{reason}"
        );
    }
}
