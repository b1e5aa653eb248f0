//! Answer delivery: a PUT to `ResponseURL` in CloudFormation direct mode (retried), a return value in
//! CDK Provider framework mode, and how `auto` tells them apart.

use serde_json::json;

use super::*;
use crate::protocol::request::FAILED_CREATE_PREFIX;
use crate::protocol::unqualified;

#[tokio::test]
async fn a_direct_invocation_puts_exactly_one_answer_with_an_empty_content_type() {
    // GIVEN RESPONSE_MODE auto, and a Create whose ServiceToken names the invoked function
    // WHEN the function handles it
    let invoked = Invoke::fixture("create", Behaviour::Succeed).run().await;

    // THEN one PUT carries the answer to the pre-signed URL, with an empty Content-Type
    let body = invoked.answer();
    let put = &invoked.puts[0];
    assert_eq!(put.target, "/response?X-Amz-Signature=secret");
    assert_eq!(
        put.content_type.as_deref(),
        Some(""),
        "the signature covers no content type"
    );
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["RequestId"], CREATE_REQUEST_ID);
    assert_eq!(
        body["StackId"],
        "arn:aws:cloudformation:us-east-1:123456789012:stack/app-keys/5b6f2a10-8c1e-11ef-9d3a-0a1b2c3d4e5f"
    );
    assert_eq!(body["LogicalResourceId"], "AppKeyReplicas");
    assert_eq!(body["PhysicalResourceId"], STUB_PHYSICAL_ID);
    assert_eq!(body["Data"]["Attr"], "value");
    assert_eq!(invoked.calls, 1);
    // AND Lambda is told the invocation succeeded, so that it never retries an answered request
    assert_eq!(invoked.returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn a_direct_invocation_through_an_alias_still_answers_through_the_response_url() {
    // GIVEN RESPONSE_MODE auto, and the function invoked through its `live` alias while the
    // ServiceToken names it without a qualifier
    // WHEN the function handles a request
    let invoked = Invoke::fixture("delete", Behaviour::Succeed)
        .through(&format!("{FUNCTION_ARN}:live"))
        .run()
        .await;

    // THEN the qualifier is ignored: the answer is PUT, once, and Lambda gets success
    let body = invoked.answer();
    assert_eq!(invoked.puts[0].content_type.as_deref(), Some(""));
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    for field in [
        "Status",
        "RequestId",
        "StackId",
        "LogicalResourceId",
        "PhysicalResourceId",
    ] {
        assert!(
            body[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field} is missing in {body}"
        );
    }
    assert_eq!(invoked.returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn response_mode_cloudformation_puts_even_when_the_service_token_names_another_function() {
    // GIVEN RESPONSE_MODE=cloudformation, and a ServiceToken that is not the invoked function
    // WHEN the function handles it
    let invoked = Invoke::fixture("delete", Behaviour::Succeed)
        .mode(ResponseMode::CloudFormation)
        .through(FRAMEWORK_ARN)
        .run()
        .await;

    // THEN the answer is PUT anyway
    assert_eq!(invoked.answer()["Status"], "SUCCESS");
    assert_eq!(invoked.returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn a_failure_is_put_as_failed_and_lambda_still_gets_success() {
    // GIVEN a handler that fails, invoked directly
    // WHEN the function handles a Create
    let invoked = Invoke::fixture("create", Behaviour::Fail).run().await;

    // THEN FAILED is PUT with the handler's error as the reason and the failed-Create marker as id
    let body = invoked.answer();
    assert_eq!(body["Status"], "FAILED", "{body}");
    assert_eq!(
        invoked.reason(),
        "invalid request: not a CloudFormation custom-resource request (stub refused)"
    );
    assert_eq!(
        body["PhysicalResourceId"],
        format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}")
    );
    // AND Lambda is told the invocation succeeded: the answer was delivered
    assert_eq!(invoked.returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn an_answer_is_still_delivered_when_the_first_two_puts_fail_with_500() {
    // GIVEN a ResponseURL that answers 500 to the first two PUTs
    // WHEN the function answers a direct Create
    let invoked = Invoke::fixture("create", Behaviour::Succeed)
        .failing_puts(2)
        .run()
        .await;

    // THEN it PUT three times, the same answer each time, and the third was accepted
    let received = &invoked.puts;
    assert_eq!(received.len(), 3, "two failed PUTs and one accepted: {received:?}");
    assert!(received.iter().all(|r| r.method == "PUT" && r.body == received[0].body));
    let last = received[2].json();
    assert_eq!(last["Status"], "SUCCESS", "{last}");
    assert_eq!(last["RequestId"], CREATE_REQUEST_ID);
    assert_eq!(last["PhysicalResourceId"], STUB_PHYSICAL_ID);
    // AND the handler ran once: only the delivery was retried
    assert_eq!(invoked.calls, 1);
    assert_eq!(invoked.returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn a_provider_framework_success_is_returned_and_never_put() {
    // GIVEN RESPONSE_MODE auto, and a ServiceToken naming the Provider framework, not this function
    // WHEN the function handles a Create that succeeds
    let invoked = Invoke::fixture("create", Behaviour::Succeed)
        .through(FRAMEWORK_ARN)
        .run()
        .await;

    // THEN the framework gets {PhysicalResourceId, Data, NoEcho} as the return value, and only that
    assert_eq!(
        invoked.returned,
        Ok(json!({"PhysicalResourceId": STUB_PHYSICAL_ID, "Data": {"Attr": "value"}, "NoEcho": false}))
    );
    // AND nothing was PUT to the ResponseURL the framework passed along
    assert!(invoked.puts.is_empty(), "{:?}", invoked.puts);
}

#[tokio::test]
async fn a_provider_framework_failure_is_an_error_whose_text_is_the_reason() {
    // GIVEN RESPONSE_MODE auto, a ServiceToken naming the Provider framework, and a handler that fails
    // WHEN the function handles a Create
    let invoked = Invoke::fixture("create", Behaviour::Fail)
        .through(FRAMEWORK_ARN)
        .run()
        .await;

    // THEN the invocation fails with the reason as its error text, and nothing was PUT
    assert_eq!(
        invoked.returned,
        Err("invalid request: not a CloudFormation custom-resource request (stub refused)".to_string())
    );
    assert!(invoked.puts.is_empty(), "{:?}", invoked.puts);
}

#[tokio::test]
async fn response_mode_provider_never_puts_even_when_the_service_token_names_this_function() {
    // GIVEN RESPONSE_MODE=provider and a ServiceToken that names the invoked function
    // WHEN the function handles a request that succeeds, then one that fails
    let provider = ResponseMode::ProviderFramework;
    let deleted = Invoke::fixture("delete", Behaviour::Succeed).mode(provider).run().await;
    let created = Invoke::fixture("create", Behaviour::Fail).mode(provider).run().await;

    // THEN both are answered by the return value only
    let value = deleted.returned.expect("the Delete succeeds");
    assert_eq!(value["PhysicalResourceId"], STUB_PHYSICAL_ID);
    assert_eq!(
        created.returned,
        Err("invalid request: not a CloudFormation custom-resource request (stub refused)".to_string())
    );
    assert!(deleted.puts.is_empty() && created.puts.is_empty());
}

#[tokio::test]
async fn an_event_without_a_response_url_in_direct_mode_is_an_invocation_error() {
    // GIVEN RESPONSE_MODE=cloudformation and an event that has no ResponseURL
    // WHEN the function handles it
    let invoked = Invoke::fixture("delete", Behaviour::Succeed)
        .mode(ResponseMode::CloudFormation)
        .with("ResponseURL", Value::Null)
        .run()
        .await;

    // THEN nobody can be answered, so the invocation itself fails and says why, before the handler
    let err = invoked.returned.expect_err("no ResponseURL is an error");
    assert!(err.contains("no ResponseURL"), "{err}");
    assert_eq!(invoked.calls, 0);
}

#[test]
fn unqualified_strips_a_version_or_alias_qualifier_and_nothing_else() {
    // GIVEN function ARNs with and without a qualifier
    // WHEN the qualifier is stripped
    // THEN only the eighth colon-separated part goes
    assert_eq!(unqualified(&format!("{FUNCTION_ARN}:live")), FUNCTION_ARN);
    assert_eq!(unqualified(&format!("{FUNCTION_ARN}:7")), FUNCTION_ARN);
    assert_eq!(unqualified(&format!("{FUNCTION_ARN}:$LATEST")), FUNCTION_ARN);
    assert_eq!(unqualified(FUNCTION_ARN), FUNCTION_ARN);
    assert_eq!(unqualified(""), "");
    assert_eq!(unqualified("mrk-provider"), "mrk-provider");
    assert_ne!(unqualified(FRAMEWORK_ARN), unqualified(FUNCTION_ARN));
}
