//! The deadline guard: a handler that hangs or panics is still answered, before the deadline, with a
//! reason that says what was in progress; the rollback of a Create that changed nothing never reaches
//! the handler.

use std::time::Instant;

use serde_json::json;

use super::*;
use crate::protocol::request::FAILED_CREATE_PREFIX;
use crate::protocol::{Answer, Deadline, Request, run};

fn create() -> Request {
    Request::parse(&test_support::fixture("create")).expect("the fixture parses")
}

/// The guard's answer to a Create handled by `stub` under `deadline`, failing the test if the request
/// has not ended after 10 s.
async fn guarded(stub: Arc<Stub>, deadline: Deadline) -> Answer {
    tokio::time::timeout(Duration::from_secs(10), run(stub, create(), FUNCTION_ARN, deadline))
        .await
        .expect("the guard ends the request; the test timeout never does")
}

#[tokio::test]
async fn a_hung_handler_is_answered_failed_before_the_deadline_naming_the_step_in_progress() {
    // GIVEN a handler that hangs in a DescribeKey, and 3 s left
    let stub = Stub::new(Behaviour::Hang);
    let started = Instant::now();
    let deadline = Deadline::after(Duration::from_secs(3));

    // WHEN the guard runs it
    let answer = guarded(stub, deadline).await;
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
    // AND nothing was changed, so the rollback Delete will recognise the id and do nothing
    assert!(
        physical_resource_id.starts_with(FAILED_CREATE_PREFIX),
        "{physical_resource_id}"
    );
}

#[tokio::test]
async fn a_create_that_changed_something_answers_the_id_it_claimed() {
    // GIVEN a handler that claims an id, changes something, then hangs
    let stub = Stub::new(Behaviour::HangAfterAChange);

    // WHEN the guard stops it
    let answer = guarded(stub, Deadline::after(Duration::from_millis(1500))).await;

    // THEN the answer carries the claimed id, so that the rollback Delete removes what was made
    let Answer::Failed {
        physical_resource_id, ..
    } = answer
    else {
        panic!("a hung request must fail, got {answer:?}");
    };
    assert_eq!(physical_resource_id, CLAIMED_ID);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_multi_threaded_runtime_the_reason_still_names_the_step_that_hung() {
    // GIVEN the runtime Lambda runs (several worker threads), where the aborted handler may be dropped
    // on another thread at once, and a handler that hangs
    for attempt in 0..3 {
        let stub = Stub::new(Behaviour::Hang);

        // WHEN the deadline guard stops the request
        let answer = guarded(stub, Deadline::after(Duration::from_millis(1500))).await;

        // THEN the reason names the step in flight, not the one "finished" by the cancellation
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
async fn a_hung_handler_is_still_put_before_the_lambda_deadline() {
    // GIVEN a direct Create whose handler hangs, and a Lambda deadline 3 s away
    let started = Instant::now();

    // WHEN the Lambda handler runs
    let invoked = Invoke::fixture("create", Behaviour::Hang)
        .deadline_ms(epoch_millis_in(Duration::from_secs(3)))
        .run()
        .await;
    let elapsed = started.elapsed();

    // THEN a FAILED answer naming the hung step was PUT before the Lambda deadline
    assert!(
        elapsed < Duration::from_millis(2900),
        "the answer came after {elapsed:?}"
    );
    assert_eq!(invoked.answer()["Status"], "FAILED");
    let reason = invoked.reason();
    assert!(
        reason.contains("ran out of time during DescribeKey in us-east-1"),
        "{reason}"
    );
    assert_eq!(invoked.returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn a_lambda_deadline_in_the_past_means_no_deadline_rather_than_no_time_left() {
    // GIVEN a direct Create that succeeds, with the fake past deadline that local emulators send
    // WHEN the Lambda handler runs
    let invoked = Invoke::fixture("create", Behaviour::Succeed)
        .deadline_ms(1_000)
        .run()
        .await;

    // THEN the handler ran to completion instead of timing out at once
    assert_eq!(invoked.answer()["Status"], "SUCCESS");
    assert_eq!(invoked.returned, Ok(json!({ "Status": "SUCCESS" })));
}

#[tokio::test]
async fn a_panicking_handler_is_answered_failed_as_an_internal_error() {
    // GIVEN a handler that panics during a DescribeKey
    let stub = Stub::new(Behaviour::Panic);

    // WHEN the guard runs it
    let answer = guarded(stub, Deadline::unknown()).await;

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
    assert!(reason.contains(STEP), "{reason}");
    assert!(
        physical_resource_id.starts_with(FAILED_CREATE_PREFIX),
        "{physical_resource_id}"
    );
}

#[tokio::test]
async fn a_panicking_handler_still_gets_its_answer_put_in_direct_mode() {
    // GIVEN a direct Create and a handler that panics
    // WHEN the Lambda handler runs
    let invoked = Invoke::fixture("create", Behaviour::Panic).run().await;

    // THEN a FAILED answer was PUT and Lambda is told the invocation succeeded
    assert_eq!(invoked.answer()["Status"], "FAILED");
    let reason = invoked.reason();
    assert!(reason.contains("internal error"), "{reason}");
    assert!(reason.contains(CREATE_REQUEST_ID), "{reason}");
    assert_eq!(invoked.returned, Ok(json!({ "Status": "FAILED" })));
}

#[tokio::test]
async fn the_rollback_delete_of_a_create_that_changed_nothing_never_reaches_the_handler() {
    // GIVEN a Delete whose PhysicalResourceId is the failed-Create marker, and a handler that would
    // fail
    let failed_id = format!("{FAILED_CREATE_PREFIX}{CREATE_REQUEST_ID}");

    // WHEN the function handles it
    let invoked = Invoke::fixture("delete", Behaviour::Fail)
        .with("PhysicalResourceId", json!(failed_id))
        .run()
        .await;

    // THEN it succeeds with the marker as id, and the handler was never called
    let body = invoked.answer();
    assert_eq!(body["Status"], "SUCCESS", "{body}");
    assert_eq!(body["PhysicalResourceId"], failed_id.as_str());
    assert_eq!(invoked.calls, 0);
    assert_eq!(invoked.returned, Ok(json!({ "Status": "SUCCESS" })));
}
