//! Events that are not valid custom-resource requests: answered FAILED through whatever envelope can
//! be salvaged, without reaching the handler.

use serde_json::json;

use super::*;
use crate::protocol::request::FAILED_CREATE_PREFIX;

#[tokio::test]
async fn an_unknown_request_type_is_answered_failed_through_its_response_url() {
    // GIVEN an event with RequestType "Upsert" that still has a ResponseURL and a ServiceToken
    // WHEN the function handles it
    let invoked = Invoke::fixture("create", Behaviour::Succeed)
        .with("RequestType", json!("Upsert"))
        .run()
        .await;

    // THEN a FAILED answer is PUT, saying the event is not a custom-resource request
    let body = invoked.answer();
    assert_eq!(body["Status"], "FAILED", "{body}");
    let reason = invoked.reason();
    assert!(
        reason.starts_with("invalid request: not a CloudFormation custom-resource request"),
        "{reason}"
    );
    assert!(reason.contains("Upsert"), "the reason shows the bad value: {reason}");
    // AND the salvaged envelope still identifies the request, with the failed-Create marker as id
    assert_eq!(body["RequestId"], CREATE_REQUEST_ID);
    assert_eq!(body["LogicalResourceId"], "AppKeyReplicas");
    assert_eq!(
        body["PhysicalResourceId"],
        format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}")
    );
    // AND the handler never saw it
    assert_eq!(invoked.calls, 0);
    assert_eq!(invoked.returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn resource_properties_that_are_not_an_object_are_answered_failed() {
    // GIVEN the default auto mode and an Update whose ResourceProperties is a string, so the
    // ServiceToken can only be found at the event's top level
    // WHEN the function handles it
    let invoked = Invoke::fixture("update", Behaviour::Succeed)
        .with("ResourceProperties", json!("PrimaryKeyArn=arn:aws:kms:..."))
        .run()
        .await;

    // THEN a FAILED answer is PUT naming the field, and the resource keeps its PhysicalResourceId
    let body = invoked.answer();
    assert_eq!(body["Status"], "FAILED", "{body}");
    assert_eq!(
        invoked.reason(),
        "invalid request: ResourceProperties must be a JSON object"
    );
    assert_eq!(body["PhysicalResourceId"], FIXTURE_PHYSICAL_ID);
    assert_eq!(invoked.calls, 0);
    assert_eq!(invoked.returned, Ok(json!({ "Status": "FAILED" })));
}
