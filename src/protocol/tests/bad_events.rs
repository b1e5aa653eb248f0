//! Events that are not valid custom-resource requests: answered FAILED through whatever envelope can
//! be salvaged, without reaching the handler.

use serde_json::json;

use super::*;
use crate::protocol::request::FAILED_CREATE_PREFIX;

#[tokio::test]
async fn an_unknown_request_type_is_answered_failed_through_its_response_url() {
    // GIVEN an event with RequestType "Upsert" that still has a ResponseURL and a ServiceToken
    let receiver = Receiver::start(0).await;
    let stub = Stub::new(Behaviour::Succeed);
    let mut event = fixture_to("create", &receiver.url);
    event["RequestType"] = Value::String("Upsert".into());

    // WHEN the function handles it
    let returned = invoke(&responder(&stub, ResponseMode::Auto), event, FUNCTION_ARN).await;

    // THEN a FAILED answer is PUT, saying the event is not a custom-resource request
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "FAILED", "{body}");
    let reason = reason_of(&body);
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
    assert_eq!(stub.calls(), 0);
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn resource_properties_that_are_not_an_object_are_answered_failed() {
    // GIVEN the default auto mode and an Update whose ResourceProperties is a string, so the
    // ServiceToken can only be found at the event's top level
    let receiver = Receiver::start(0).await;
    let stub = Stub::new(Behaviour::Succeed);
    let mut event = fixture_to("update", &receiver.url);
    event["ResourceProperties"] = Value::String("PrimaryKeyArn=arn:aws:kms:...".into());

    // WHEN the function handles it
    let returned = invoke(&responder(&stub, ResponseMode::Auto), event, FUNCTION_ARN).await;

    // THEN a FAILED answer is PUT naming the field, and the resource keeps its PhysicalResourceId
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "FAILED", "{body}");
    assert_eq!(
        reason_of(&body),
        "invalid request: ResourceProperties must be a JSON object"
    );
    assert_eq!(body["PhysicalResourceId"], FIXTURE_PHYSICAL_ID);
    assert_eq!(stub.calls(), 0);
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
}
