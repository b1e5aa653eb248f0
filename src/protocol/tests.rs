//! Tests of the protocol layer (SPEC section 1): delivery modes, retried delivery, unsupported and
//! malformed requests, the rollback of a failed Create, the deadline guard, panic safety and
//! configuration problems. Every answer goes to a [`Receiver`] on 127.0.0.1; AWS is mocked.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_kms::operation::describe_key::DescribeKeyOutput;
use aws_sdk_kms::operation::get_key_policy::GetKeyPolicyOutput;
use aws_sdk_kms::operation::replicate_key::ReplicateKeyOutput;
use aws_sdk_kms::types::{KeyMetadata, KeyState, MultiRegionConfiguration, MultiRegionKeyType};
use aws_smithy_mocks::{Rule, mock};
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::{Value, json};

use super::request::FAILED_CREATE_PREFIX;
use super::{Answer, Deadline, Provider, Request, Settings, handle, run, unqualified};
use crate::aws::Clients;
use crate::test_support::{self, Received, Receiver};

/// The function CloudFormation invokes: the fixtures' `ServiceToken`.
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:mrk-provider";
/// A CDK Provider framework function that invokes this one as its `onEvent` handler.
const FRAMEWORK_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:app-keys-ProviderframeworkonEvent-AbC123";
const PRIMARY_ARN: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
const KEY_ID: &str = "mrk-1234abcd12ab34cd56ef1234567890ab";
const REPLICA_ARN: &str = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
/// The `RequestId` of the create fixture.
const CREATE_REQUEST_ID: &str = "6d0e9b8a-4c2f-4a8e-9f1d-2b3c4d5e6f70";
const LAMBDA_REQUEST_ID: &str = "lambda-request-1";

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

/// A Lambda context for `invoked_function_arn` with the given deadline (epoch millis; 0 = unknown).
fn context(invoked_function_arn: &str, deadline_ms: u64) -> Context {
    let mut ctx = Context::default();
    ctx.invoked_function_arn = invoked_function_arn.to_string();
    ctx.deadline = deadline_ms;
    ctx.request_id = LAMBDA_REQUEST_ID.to_string();
    ctx
}

/// Epoch milliseconds `from_now` in the future.
fn epoch_millis_in(from_now: Duration) -> u64 {
    let at = SystemTime::now() + from_now;
    at.duration_since(SystemTime::UNIX_EPOCH)
        .expect("after the epoch")
        .as_millis() as u64
}

/// Runs the Lambda handler on `payload` as invoked through `invoked_function_arn`, with no deadline.
async fn invoke(provider: Arc<Provider>, payload: Value, invoked_function_arn: &str) -> Result<Value, String> {
    let event = LambdaEvent::new(payload, context(invoked_function_arn, 0));
    handle(provider, event).await.map_err(|err| err.to_string())
}

/// The fixture `name` answering to `url`.
fn fixture_to(name: &str, url: &str) -> Value {
    let mut event = test_support::fixture(name);
    event["ResponseURL"] = Value::String(url.to_string());
    event
}

/// A `Custom::ReplicaKey` Create of [`PRIMARY_ARN`] replicated into eu-west-1, answering to `url`.
fn replica_key_create(url: &str) -> Value {
    let mut event = test_support::event(
        "create",
        json!({
            "ServiceToken": FUNCTION_ARN,
            "PrimaryKeyArn": PRIMARY_ARN,
            "ReplicaRegions": ["eu-west-1"],
        }),
        None,
    );
    event["ResponseURL"] = Value::String(url.to_string());
    event
}

/// The fixture `name` for the unsupported resource type `Custom::Nope`, answering to `url`.
fn unsupported(name: &str, url: &str) -> Value {
    let mut event = fixture_to(name, url);
    event["ResourceType"] = Value::String("Custom::Nope".into());
    event
}

/// A KMS in which [`replica_key_create`] succeeds: the primary is a multi-Region primary key, and the
/// new replica in eu-west-1 is Enabled at once.
fn kms_where_the_create_succeeds() -> Arc<Provider> {
    let primary = mock!(aws_sdk_kms::Client::describe_key)
        .match_requests(|req| req.key_id() == Some(PRIMARY_ARN))
        .then_output(|| {
            DescribeKeyOutput::builder()
                .key_metadata(
                    KeyMetadata::builder()
                        .key_id(KEY_ID)
                        .arn(PRIMARY_ARN)
                        .key_state(KeyState::Enabled)
                        .multi_region(true)
                        .multi_region_configuration(
                            MultiRegionConfiguration::builder()
                                .multi_region_key_type(MultiRegionKeyType::Primary)
                                .build(),
                        )
                        .build()
                        .expect("key_id is set"),
                )
                .build()
        });
    let policy = mock!(aws_sdk_kms::Client::get_key_policy).then_output(|| {
        GetKeyPolicyOutput::builder()
            .policy(r#"{"Version":"2012-10-17","Statement":[]}"#)
            .build()
    });
    let replicate = mock!(aws_sdk_kms::Client::replicate_key)
        .match_requests(|req| req.replica_region() == Some("eu-west-1"))
        .then_output(|| {
            ReplicateKeyOutput::builder()
                .replica_key_metadata(
                    KeyMetadata::builder()
                        .key_id(KEY_ID)
                        .arn(REPLICA_ARN)
                        .key_state(KeyState::Creating)
                        .build()
                        .expect("key_id is set"),
                )
                .build()
        });
    let replica_ready = mock!(aws_sdk_kms::Client::describe_key).then_output(|| {
        DescribeKeyOutput::builder()
            .key_metadata(
                KeyMetadata::builder()
                    .key_id(KEY_ID)
                    .arn(REPLICA_ARN)
                    .key_state(KeyState::Enabled)
                    .build()
                    .expect("key_id is set"),
            )
            .build()
    });
    let rules: Vec<(&str, Vec<Rule>)> = vec![
        ("us-east-1", vec![primary, policy, replicate]),
        ("eu-west-1", vec![replica_ready]),
    ];
    test_support::provider(rules)
}

/// An HTTP connector that never answers: every AWS call through it hangs.
#[derive(Debug)]
struct NeverAnswers;

impl HttpConnector for NeverAnswers {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::new(std::future::pending())
    }
}

/// A provider whose KMS clients (every region) hang on every call. The clients are built without the
/// crate's SDK timeout config, so no per-attempt timeout ever ends the call: only the guard does.
fn kms_that_never_answers() -> Arc<Provider> {
    let client = aws_sdk_kms::Client::from_conf(
        aws_sdk_kms::Config::builder()
            .with_test_defaults_v2()
            .region(aws_sdk_kms::config::Region::new("us-east-1"))
            .http_client(http_client_fn(|_, _| SharedHttpConnector::new(NeverAnswers)))
            .build(),
    );
    let clients = Clients::new(
        move |_| client.clone(),
        |_| aws_smithy_mocks::mock_client!(aws_sdk_ssm, &Vec::<Rule>::new()),
    );
    Arc::new(Provider::new(clients, Settings::default()))
}

/// Settings read from the given environment variables.
fn settings(vars: &[(&str, &str)]) -> Settings {
    let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_vars(move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

/// The one request the receiver got; fails if it got none or several.
fn the_only_put(receiver: &Receiver) -> Received {
    let received = receiver.received();
    assert_eq!(received.len(), 1, "exactly one answer is delivered: {received:?}");
    let put = received.into_iter().next().expect("one request");
    assert_eq!(put.method, "PUT");
    put
}

fn reason_of(body: &Value) -> &str {
    body["Reason"].as_str().expect("the answer has a Reason")
}

// ---------------------------------------------------------------------------------------------------
// 1. CloudFormation direct mode
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_direct_invocation_puts_exactly_one_answer_with_an_empty_content_type() {
    // GIVEN RESPONSE_MODE auto, and a Create whose ServiceToken names the invoked function
    let receiver = Receiver::start(0).await;
    let provider = kms_where_the_create_succeeds();

    // WHEN the function handles it
    let returned = invoke(provider, replica_key_create(&receiver.url), FUNCTION_ARN).await;

    // THEN one PUT carries the answer to the pre-signed URL, with an empty Content-Type
    let put = the_only_put(&receiver);
    assert_eq!(put.target, "/response?X-Amz-Signature=secret");
    assert_eq!(
        put.content_type.as_deref(),
        Some(""),
        "the signature covers no content type"
    );
    let body = put.json();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["RequestId"], CREATE_REQUEST_ID);
    assert_eq!(
        body["StackId"],
        "arn:aws:cloudformation:us-east-1:123456789012:stack/app-keys/5b6f2a10-8c1e-11ef-9d3a-0a1b2c3d4e5f"
    );
    assert_eq!(body["LogicalResourceId"], "AppKeyReplicas");
    assert_eq!(body["PhysicalResourceId"], PRIMARY_ARN);
    assert_eq!(body["Data"]["KeyId"], KEY_ID);
    assert_eq!(body["Data"]["Arn.eu-west-1"], REPLICA_ARN);
    // AND Lambda is told the invocation succeeded, so that it never retries an answered request
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn a_direct_invocation_through_an_alias_still_answers_through_the_response_url() {
    // GIVEN RESPONSE_MODE auto, and the function invoked through its `live` alias while the
    // ServiceToken names it without a qualifier
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider(vec![]);
    let event = unsupported("delete", &receiver.url);

    // WHEN the function handles the request
    let returned = invoke(provider, event, &format!("{FUNCTION_ARN}:live")).await;

    // THEN the qualifier is ignored: the answer is PUT, once, and Lambda gets success
    let put = the_only_put(&receiver);
    assert_eq!(put.content_type.as_deref(), Some(""));
    let body = put.json();
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
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn response_mode_cloudformation_puts_even_when_the_service_token_names_another_function() {
    // GIVEN RESPONSE_MODE=cloudformation, and a ServiceToken that is not the invoked function
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider_with(vec![], settings(&[("RESPONSE_MODE", "cloudformation")]));
    let event = unsupported("delete", &receiver.url);

    // WHEN the function handles it
    let returned = invoke(provider, event, FRAMEWORK_ARN).await;

    // THEN the answer is PUT anyway
    assert_eq!(the_only_put(&receiver).json()["Status"], "SUCCESS");
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

// ---------------------------------------------------------------------------------------------------
// 2. Retried delivery
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_answer_is_still_delivered_when_the_first_two_puts_fail_with_500() {
    // GIVEN a ResponseURL that answers 500 to the first two PUTs
    let receiver = Receiver::start(2).await;
    let provider = kms_where_the_create_succeeds();

    // WHEN the function answers a direct Create
    let returned = invoke(provider, replica_key_create(&receiver.url), FUNCTION_ARN).await;

    // THEN it PUT three times, the same answer each time, and the third was accepted
    let received = receiver.received();
    assert_eq!(received.len(), 3, "two failed PUTs and one accepted: {received:?}");
    assert!(received.iter().all(|r| r.method == "PUT" && r.body == received[0].body));
    let last = received[2].json();
    assert_eq!(last["Status"], "SUCCESS", "{last}");
    assert_eq!(last["RequestId"], CREATE_REQUEST_ID);
    assert_eq!(last["PhysicalResourceId"], PRIMARY_ARN);
    // AND Lambda is told the invocation succeeded
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

// ---------------------------------------------------------------------------------------------------
// 3. CDK Provider framework mode
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_provider_framework_success_is_returned_and_never_put() {
    // GIVEN RESPONSE_MODE auto, and a ServiceToken naming the Provider framework, not this function
    let receiver = Receiver::start(0).await;
    let provider = kms_where_the_create_succeeds();

    // WHEN the function handles a Create that succeeds
    let returned = invoke(provider, replica_key_create(&receiver.url), FRAMEWORK_ARN).await;

    // THEN the framework gets {PhysicalResourceId, Data, NoEcho} as the return value
    let value = returned.expect("a success is an Ok value");
    assert_eq!(value["PhysicalResourceId"], PRIMARY_ARN);
    assert_eq!(value["Data"]["KeyId"], KEY_ID);
    assert_eq!(value["Data"]["PrimaryKeyArn"], PRIMARY_ARN);
    assert_eq!(value["Data"]["ReplicaKeyArns"], REPLICA_ARN);
    assert_eq!(value["NoEcho"], false);
    assert_eq!(
        value.as_object().map(|o| o.len()),
        Some(3),
        "nothing else is returned: {value}"
    );
    // AND nothing was PUT to the ResponseURL the framework passed along
    assert!(receiver.received().is_empty(), "{:?}", receiver.received());
}

#[tokio::test]
async fn a_provider_framework_failure_is_an_error_whose_text_is_the_reason() {
    // GIVEN RESPONSE_MODE auto, a ServiceToken naming the Provider framework, and a Create of an
    // unsupported type
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider(vec![]);

    // WHEN the function handles it
    let returned = invoke(provider, unsupported("create", &receiver.url), FRAMEWORK_ARN).await;

    // THEN the invocation fails with the reason as its error text
    let err = returned.expect_err("a failure is an error result");
    assert_eq!(
        err,
        "invalid request: unsupported ResourceType 'Custom::Nope'; mrk-provider serves Custom::ReplicaKey, Custom::CrossRegionParameter, \
         Custom::CrossRegionParameterReader"
    );
    // AND nothing was PUT
    assert!(receiver.received().is_empty(), "{:?}", receiver.received());
}

#[tokio::test]
async fn response_mode_provider_never_puts_even_when_the_service_token_names_this_function() {
    // GIVEN RESPONSE_MODE=provider and a ServiceToken that names the invoked function
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider_with(vec![], settings(&[("RESPONSE_MODE", "provider")]));

    // WHEN the function handles a request that succeeds, then one that fails
    let deleted = invoke(provider.clone(), unsupported("delete", &receiver.url), FUNCTION_ARN).await;
    let created = invoke(provider, unsupported("create", &receiver.url), FUNCTION_ARN).await;

    // THEN both are answered by the return value only
    let deleted = deleted.expect("the Delete succeeds");
    assert_eq!(deleted["PhysicalResourceId"], PRIMARY_ARN);
    assert_eq!(deleted["Data"], json!({}));
    assert_eq!(deleted["NoEcho"], false);
    assert!(
        created
            .expect_err("the Create fails")
            .contains("unsupported ResourceType 'Custom::Nope'")
    );
    assert!(receiver.received().is_empty(), "{:?}", receiver.received());
}

// ---------------------------------------------------------------------------------------------------
// 4-5. Unsupported resource types and the rollback of a failed Create
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unsupported_type_fails_its_create_and_the_rollback_delete_succeeds_without_aws_calls() {
    // GIVEN a provider with no mocked AWS call at all (any call would panic and answer FAILED)
    let provider = test_support::provider(vec![]);

    // WHEN a Create of Custom::Nope arrives directly
    let create_receiver = Receiver::start(0).await;
    let returned = invoke(
        provider.clone(),
        unsupported("create", &create_receiver.url),
        FUNCTION_ARN,
    )
    .await;

    // THEN it is answered FAILED, naming the supported types, with the failed-Create marker as id
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
    let created = the_only_put(&create_receiver).json();
    assert_eq!(created["Status"], "FAILED", "{created}");
    let reason = reason_of(&created);
    assert!(reason.contains("unsupported ResourceType 'Custom::Nope'"), "{reason}");
    assert!(
        reason.contains("Custom::ReplicaKey"),
        "the reason names the supported types: {reason}"
    );
    let failed_id = created["PhysicalResourceId"]
        .as_str()
        .expect("a PhysicalResourceId")
        .to_string();
    assert!(failed_id.starts_with(FAILED_CREATE_PREFIX), "{failed_id}");

    // WHEN CloudFormation rolls back with a Delete of that PhysicalResourceId
    let delete_receiver = Receiver::start(0).await;
    let mut delete = unsupported("delete", &delete_receiver.url);
    delete["PhysicalResourceId"] = Value::String(failed_id.clone());
    let returned = invoke(provider, delete, FUNCTION_ARN).await;

    // THEN the Delete succeeds with the same id, without any AWS call
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
    let deleted = the_only_put(&delete_receiver).json();
    assert_eq!(deleted["Status"], "SUCCESS", "{deleted}");
    assert_eq!(deleted["PhysicalResourceId"], failed_id.as_str());
}

#[tokio::test]
async fn the_rollback_delete_of_a_failed_replica_key_create_makes_no_aws_call() {
    // GIVEN a Custom::ReplicaKey Delete whose PhysicalResourceId is the failed-Create marker, and a
    // provider where any AWS call would panic
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider(vec![]);
    let mut delete = fixture_to("delete", &receiver.url);
    let failed_id = format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}");
    delete["PhysicalResourceId"] = Value::String(failed_id.clone());

    // WHEN the function handles it
    let returned = invoke(provider, delete, FUNCTION_ARN).await;

    // THEN it succeeds with the marker as id (a panic would have answered FAILED)
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["PhysicalResourceId"], failed_id.as_str());
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn a_delete_of_an_unsupported_type_with_a_normal_physical_id_succeeds() {
    // GIVEN a Delete of Custom::Nope whose PhysicalResourceId is an ordinary id
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider(vec![]);
    let mut delete = unsupported("delete", &receiver.url);
    delete["PhysicalResourceId"] = Value::String("some-earlier-id".into());

    // WHEN the function handles it
    let returned = invoke(provider, delete, FUNCTION_ARN).await;

    // THEN it succeeds and keeps the id: nothing of that type was ever created
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["PhysicalResourceId"], "some-earlier-id");
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

// ---------------------------------------------------------------------------------------------------
// 6. Malformed events
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_unknown_request_type_is_answered_failed_through_its_response_url() {
    // GIVEN an event with RequestType "Upsert" that still has a ResponseURL and a ServiceToken
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider(vec![]);
    let mut event = fixture_to("create", &receiver.url);
    event["RequestType"] = Value::String("Upsert".into());

    // WHEN the function handles it
    let returned = invoke(provider, event, FUNCTION_ARN).await;

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
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn resource_properties_that_are_not_an_object_are_answered_failed() {
    // GIVEN the default auto mode and an Update whose ResourceProperties is a string, so the
    // ServiceToken can only be found at the event's top level
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider_with(vec![], settings(&[]));
    let mut event = fixture_to("update", &receiver.url);
    event["ResourceProperties"] = Value::String("PrimaryKeyArn=arn:aws:kms:...".into());

    // WHEN the function handles it
    let returned = invoke(provider, event, FUNCTION_ARN).await;

    // THEN a FAILED answer is PUT naming the field, and the resource keeps its PhysicalResourceId
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "FAILED", "{body}");
    assert_eq!(
        reason_of(&body),
        "invalid request: ResourceProperties must be a JSON object"
    );
    assert_eq!(body["PhysicalResourceId"], PRIMARY_ARN);
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn an_event_without_a_response_url_in_direct_mode_is_an_invocation_error() {
    // GIVEN RESPONSE_MODE=cloudformation and an event that has no ResponseURL
    let provider = test_support::provider_with(vec![], settings(&[("RESPONSE_MODE", "cloudformation")]));
    let mut event = test_support::fixture("delete");
    event.as_object_mut().expect("an object").remove("ResponseURL");

    // WHEN the function handles it
    let returned = invoke(provider, event, FUNCTION_ARN).await;

    // THEN nobody can be answered, so the invocation itself fails and says why
    let err = returned.expect_err("no ResponseURL is an error");
    assert!(err.contains("no ResponseURL"), "{err}");
}

// ---------------------------------------------------------------------------------------------------
// 7. The deadline guard
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_hung_aws_call_is_answered_failed_before_the_deadline_naming_the_step_in_progress() {
    // GIVEN a Custom::ReplicaKey Create whose primary-key DescribeKey never answers, and 3 s left
    let provider = kms_that_never_answers();
    let request = Request::parse(&replica_key_create("http://127.0.0.1:9/unused")).expect("the event parses");
    let started = Instant::now();
    let deadline = Deadline::after(Duration::from_secs(3));

    // WHEN the protocol layer runs it
    let answer = tokio::time::timeout(Duration::from_secs(10), run(provider, request, deadline))
        .await
        .expect("the guard ends the request; the test timeout never does");
    let elapsed = started.elapsed();

    // THEN it answers FAILED once the work time (3 s minus the 1 s margin) is up, well before 3 s
    assert!(
        elapsed >= Duration::from_millis(1900),
        "the guard waited only {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(2700),
        "the answer came after {elapsed:?}"
    );
    let Answer::Failed {
        physical_resource_id,
        reason,
    } = answer
    else {
        panic!("a hung request must fail, got {answer:?}");
    };
    // AND the reason says it ran out of time and what was in progress
    assert!(reason.contains("ran out of time"), "{reason}");
    assert!(reason.contains("during DescribeKey in us-east-1"), "{reason}");
    assert!(reason.starts_with("Custom::ReplicaKey"), "{reason}");
    // AND nothing was changed yet, so the rollback Delete will recognise the id and do nothing
    assert!(
        physical_resource_id.starts_with(FAILED_CREATE_PREFIX),
        "{physical_resource_id}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_threaded_runtime_the_reason_still_names_the_step_that_hung() {
    // GIVEN the runtime Lambda runs (several worker threads), where the aborted handler may be dropped
    // on another thread at once, and a DescribeKey that never answers
    for attempt in 0..3 {
        let provider = kms_that_never_answers();
        let request = Request::parse(&replica_key_create("http://127.0.0.1:9/unused")).expect("the event parses");

        // WHEN the deadline guard stops the request
        let answer = tokio::time::timeout(
            Duration::from_secs(10),
            run(provider, request, Deadline::after(Duration::from_millis(1500))),
        )
        .await
        .expect("the guard ends the request");

        // THEN the reason names the call in flight, not the one "finished" by the cancellation
        let Answer::Failed { reason, .. } = answer else {
            panic!("a hung request must fail, got {answer:?}");
        };
        assert!(
            reason.contains("during DescribeKey in us-east-1"),
            "attempt {attempt}: {reason}"
        );
    }
}

#[tokio::test]
async fn a_hung_aws_call_is_still_put_before_the_lambda_deadline() {
    // GIVEN a direct Create whose first AWS call hangs, and a Lambda deadline 3 s away
    let receiver = Receiver::start(0).await;
    let provider = kms_that_never_answers();
    let mut ctx = context(FUNCTION_ARN, 0);
    ctx.deadline = epoch_millis_in(Duration::from_secs(3));
    let started = Instant::now();

    // WHEN the Lambda handler runs
    let event = LambdaEvent::new(replica_key_create(&receiver.url), ctx);
    let returned = tokio::time::timeout(Duration::from_secs(10), handle(provider, event))
        .await
        .expect("the guard ends the request; the test timeout never does")
        .map_err(|err| err.to_string());
    let elapsed = started.elapsed();

    // THEN a FAILED answer naming the hung step was PUT before the Lambda deadline
    assert!(
        elapsed < Duration::from_millis(2900),
        "the answer came after {elapsed:?}"
    );
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "FAILED", "{body}");
    let reason = reason_of(&body);
    assert!(
        reason.contains("ran out of time during DescribeKey in us-east-1"),
        "{reason}"
    );
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn a_lambda_deadline_in_the_past_means_no_deadline_rather_than_no_time_left() {
    // GIVEN a direct Create that succeeds, with the fake past deadline that local emulators send
    let receiver = Receiver::start(0).await;
    let provider = kms_where_the_create_succeeds();
    let mut ctx = context(FUNCTION_ARN, 0);
    ctx.deadline = 1_000;

    // WHEN the Lambda handler runs
    let event = LambdaEvent::new(replica_key_create(&receiver.url), ctx);
    let returned = handle(provider, event).await.map_err(|err| err.to_string());

    // THEN the handler ran to completion instead of timing out at once
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

// ---------------------------------------------------------------------------------------------------
// 8. Panic safety
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_panicking_handler_is_answered_failed_as_an_internal_error() {
    // GIVEN a Custom::ReplicaKey Create, and a KMS mock without rules, which panics when called
    let provider = test_support::provider(vec![]);
    let request = Request::parse(&replica_key_create("http://127.0.0.1:9/unused")).expect("the event parses");

    // WHEN the protocol layer runs it
    let answer = tokio::time::timeout(Duration::from_secs(10), run(provider, request, Deadline::unknown()))
        .await
        .expect("a panic ends the request");

    // THEN it answers FAILED as an internal error, with the request id and the step involved
    let Answer::Failed {
        physical_resource_id,
        reason,
    } = answer
    else {
        panic!("a panic must fail the request, got {answer:?}");
    };
    assert!(reason.contains("internal error"), "{reason}");
    assert!(
        reason.contains(CREATE_REQUEST_ID),
        "the reason carries the request id: {reason}"
    );
    assert!(reason.contains("DescribeKey in us-east-1"), "{reason}");
    assert!(
        physical_resource_id.starts_with(FAILED_CREATE_PREFIX),
        "{physical_resource_id}"
    );
}

#[tokio::test]
async fn a_panicking_handler_still_gets_its_answer_put_in_direct_mode() {
    // GIVEN a direct Create, and a KMS mock without rules, which panics when called
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider(vec![]);

    // WHEN the Lambda handler runs
    let returned = invoke(provider, replica_key_create(&receiver.url), FUNCTION_ARN).await;

    // THEN a FAILED answer was PUT and Lambda is told the invocation succeeded
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "FAILED", "{body}");
    let reason = reason_of(&body);
    assert!(reason.contains("internal error"), "{reason}");
    assert!(reason.contains(CREATE_REQUEST_ID), "{reason}");
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
}

// ---------------------------------------------------------------------------------------------------
// 9. Configuration problems
// ---------------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_bad_response_mode_fails_every_request_without_calling_aws() {
    // GIVEN RESPONSE_MODE=bogus, and a KMS mock without rules (any AWS call would be an internal error)
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider_with(vec![], settings(&[("RESPONSE_MODE", "bogus")]));

    // WHEN a direct Custom::ReplicaKey Create arrives
    let returned = invoke(provider, replica_key_create(&receiver.url), FUNCTION_ARN).await;

    // THEN it is answered FAILED with a reason that names RESPONSE_MODE and its accepted values
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "FAILED", "{body}");
    let reason = reason_of(&body);
    assert!(reason.starts_with("mrk-provider is misconfigured"), "{reason}");
    assert!(reason.contains("RESPONSE_MODE is 'bogus'"), "{reason}");
    assert!(reason.contains("cloudformation, provider or auto"), "{reason}");
    // AND no AWS call was made (it would have panicked into an internal error)
    assert!(!reason.contains("internal error"), "{reason}");
    assert_eq!(
        body["PhysicalResourceId"],
        format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}")
    );
    assert_eq!(returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn a_configuration_problem_does_not_block_the_rollback_of_a_failed_create() {
    // GIVEN a misconfigured PARAMETER_PREFIX, and the rollback Delete of a Create that failed
    let receiver = Receiver::start(0).await;
    let provider = test_support::provider_with(vec![], settings(&[("PARAMETER_PREFIX", "app/")]));
    assert!(
        provider
            .settings
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("PARAMETER_PREFIX"))
    );
    let mut delete = fixture_to("delete", &receiver.url);
    let failed_id = format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}");
    delete["PhysicalResourceId"] = Value::String(failed_id.clone());

    // WHEN the function handles it
    let returned = invoke(provider, delete, FUNCTION_ARN).await;

    // THEN the rollback still succeeds, so that the stack can roll back once configured
    let body = the_only_put(&receiver).json();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["PhysicalResourceId"], failed_id.as_str());
    assert_eq!(returned, Ok(json!({ "Status": "SUCCESS" })));
}

// ---------------------------------------------------------------------------------------------------
// 10. Function ARN qualifiers
// ---------------------------------------------------------------------------------------------------

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
