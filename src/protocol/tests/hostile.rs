//! Events an attacker with `lambda:InvokeFunction` could send: answers that would go somewhere other
//! than CloudFormation, envelopes no answer could echo, payloads that are not JSON, and an answer PUT
//! that never ends. Each is answered (or refused) before any handler runs where it must be, and
//! nothing but the allowed receiver is contacted.

use std::time::Instant;

use serde_json::json;
use tokio::net::TcpListener;

use super::*;
use crate::protocol::raw_event::{UNPARSEABLE, salvage};
use crate::test_support::Captured;

#[tokio::test]
async fn a_response_url_that_is_not_a_cloudformation_bucket_is_never_contacted() {
    // GIVEN the production URL rule, and events whose ResponseURL points at a local admin endpoint, a
    // plain-http bucket URL, and a bucket URL with a password in it
    for url in [
        "http://receiver/internal-admin/reset?token=x",
        "http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x",
        "https://user:PASSWORD@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=s",
    ] {
        let (logs, _guard) = Captured::logs_of_this_thread();
        // WHEN the function is invoked directly with it
        let invoked = Invoke::fixture("create", Behaviour::Succeed)
            .production_urls()
            .with("ResponseURL", json!(url))
            .run()
            .await;

        // THEN the invocation fails at once, the handler never ran, and nothing was sent anywhere
        let err = invoked.returned.expect_err("a refused URL is an invocation error");
        assert!(err.starts_with("ResponseURL refused"), "{url}: {err}");
        assert_eq!(invoked.calls, 0, "{url}");
        assert!(invoked.puts.is_empty(), "{url}: {:?}", invoked.puts);
        // AND the log names the URL without its password, token or signature
        let logs = logs.text();
        assert!(logs.contains("ResponseURL refused"), "{logs}");
        for secret in ["PASSWORD", "token=x", "X-Amz-Signature"] {
            assert!(!logs.contains(secret), "{secret} logged: {logs}");
        }
    }
}

#[tokio::test]
async fn the_provider_framework_never_uses_the_response_url_so_it_is_not_checked() {
    // GIVEN the CDK Provider framework invoking the function with an attacker's ResponseURL
    // WHEN the function handles it
    let invoked = Invoke::fixture("create", Behaviour::Succeed)
        .production_urls()
        .through(FRAMEWORK_ARN)
        .with("ResponseURL", json!("http://receiver/internal-admin"))
        .run()
        .await;

    // THEN the answer is the return value and the URL is not contacted
    assert_eq!(
        invoked.returned.expect("a success")["PhysicalResourceId"],
        STUB_PHYSICAL_ID
    );
    assert!(invoked.puts.is_empty());
}

#[tokio::test]
async fn an_envelope_too_long_to_echo_is_refused_at_once_without_a_put() {
    // GIVEN events whose echoed fields are longer than CloudFormation ever sends: 1 MB, 1,000 emoji
    for (field, value) in [
        ("StackId", "s".repeat(1 << 20)),
        ("RequestId", "r".repeat(1 << 20)),
        ("LogicalResourceId", "\u{1F600}".repeat(1_000)),
        ("PhysicalResourceId", "p".repeat(1 << 20)),
        ("ResourceType", format!("Custom::{}", "t".repeat(1 << 20))),
    ] {
        let started = Instant::now();
        // WHEN the function is invoked with it
        let invoked = Invoke::fixture("update", Behaviour::Succeed)
            .with(field, json!(value))
            .run()
            .await;

        // THEN it is refused with an error naming the field, quickly, before the handler, with no PUT
        let err = invoked
            .returned
            .expect_err("an oversized envelope is an invocation error");
        assert!(err.contains(&format!("its {field} is")), "{err}");
        assert!(err.len() < 200, "the error does not echo the value");
        assert_eq!(invoked.calls, 0);
        assert!(invoked.puts.is_empty());
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{field}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_payload_that_is_not_json_is_answered_failed_where_its_response_url_says() {
    // GIVEN the create fixture with invalid UTF-8 inside a property, as the runtime layer salvages it
    const MARK: &[u8] = b"NOT-UTF-8-HERE";
    let mut event = test_support::fixture("create");
    event["ResourceProperties"]["Description"] = json!(String::from_utf8_lossy(MARK));
    let mut body = serde_json::to_vec(&event).expect("JSON");
    let at = body.windows(MARK.len()).position(|w| w == MARK).expect("the mark");
    body.splice(at..at + MARK.len(), [0xff, 0xfe]);
    let error = serde_json::from_slice::<Value>(&body).expect_err("not JSON any more");
    let salvaged: Value = serde_json::from_slice(&salvage(&body, &error)).expect("the salvaged event is JSON");
    assert!(salvaged.get(UNPARSEABLE).is_some());

    // WHEN the function handles what the layer passes on
    let mut invoke = Invoke::fixture("create", Behaviour::Succeed);
    invoke.event = salvaged;
    let invoked = invoke.run().await;

    // THEN a FAILED answer that says why went to the ResponseURL, and the handler never ran
    let body = invoked.answer();
    assert_eq!(body["Status"], "FAILED", "{body}");
    assert!(invoked.reason().contains("the event is not valid JSON"), "{body}");
    assert_eq!(body["RequestId"], CREATE_REQUEST_ID);
    assert_eq!(invoked.calls, 0);
    assert_eq!(invoked.returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn an_answer_put_that_never_ends_stops_before_the_lambda_deadline() {
    // GIVEN a ResponseURL that accepts connections and never answers, and a deadline 3 s away
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1");
    let url = format!("http://{}/response", listener.local_addr().expect("an address"));
    let black_hole = tokio::spawn(async move {
        let mut held = Vec::new();
        // Bounded: the PUT is retried a few times; the task is aborted at the end.
        while held.len() < 32 {
            match listener.accept().await {
                Ok((stream, _)) => held.push(stream),
                Err(_) => return,
            }
        }
    });
    let started = Instant::now();

    // WHEN the function answers a direct Create
    let invoked = Invoke::fixture("create", Behaviour::Succeed)
        .with("ResponseURL", json!(url))
        .deadline_ms(epoch_millis_in(Duration::from_secs(3)))
        .run()
        .await;
    let elapsed = started.elapsed();
    black_hole.abort();

    // THEN it gives up a quarter of the 1 s margin before the deadline, with time left to log and return
    assert!(elapsed >= Duration::from_millis(2500), "gave up after {elapsed:?}");
    assert!(elapsed < Duration::from_millis(2900), "returned after {elapsed:?}");
    assert_eq!(invoked.returned, Ok(json!({ "Status": "SUCCESS" })));
}
