use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_ssm::Client;
use aws_sdk_ssm::operation::put_parameter::{PutParameterError, PutParameterOutput};
use aws_smithy_mocks::mock;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::ErrorMetadata;
use tokio::time::Instant;

use super::*;
use crate::aws::fault::THROTTLING_CODES;
use crate::aws::{SSM_BURST, SSM_CALLS_PER_SECOND};
use crate::progress::Progress;
use crate::test_support::{put_parameter_at_quota, ssm_client, within_real_time};

fn limiter() -> RateLimiter {
    RateLimiter::new(SSM_CALLS_PER_SECOND, SSM_BURST)
}

fn throttling() -> PutParameterError {
    PutParameterError::generic(
        ErrorMetadata::builder()
            .code("ThrottlingException")
            .message("Rate exceeded")
            .build(),
    )
}

fn written() -> PutParameterOutput {
    PutParameterOutput::builder().version(1).build()
}

/// One PutParameter through [`send`], as the SSM client of the provider sends it.
async fn put(client: &Client, limiter: &RateLimiter, progress: &Progress) -> Result<PutParameterOutput, String> {
    let step = progress.step("PutParameter /app/a in eu-west-1");
    within_real_time(send(limiter, &step, || {
        client.put_parameter().name("/app/a").value("v").send()
    }))
    .await
    .map_err(|err| err.code().unwrap_or("no code").to_string())
}

fn http(status: u16, body: &'static str) -> HttpResponse {
    HttpResponse::new(StatusCode::try_from(status).unwrap(), SdkBody::from(body))
}

/// SSM's answer when another call is changing the same parameter.
fn conflict() -> HttpResponse {
    http(400, r#"{"__type":"TooManyUpdates","message":"Concurrent updates"}"#)
}

/// More calls than fit in THROTTLED_AT_MOST when each pause is at least 50 ms: a bound for the mocks of
/// a lasting error, so that a retry that never gives up fails its test instead of hanging it.
const MOST_CALLS_IN_THROTTLED_AT_MOST: usize = THROTTLED_AT_MOST.as_secs() as usize * 20 + 1;

#[tokio::test(start_paused = true)]
async fn a_call_throttled_more_often_than_any_attempt_count_still_goes_through() {
    // GIVEN PutParameter throttled 25 times (the SDK's standard mode gives up after 3 to 8 attempts)
    let rule = mock!(Client::put_parameter)
        .sequence()
        .error(throttling)
        .times(25)
        .output(written)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    // WHEN it is sent
    let result = put(&client, &limiter, &progress).await;
    // THEN it was tried until it went through, and the last step says how often it was throttled
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(rule.num_calls(), 26);
    assert_eq!(
        progress.describe(),
        "after PutParameter /app/a in eu-west-1 (throttled 25 times)"
    );
}

#[tokio::test(start_paused = true)]
async fn a_throttled_call_slows_the_region_down() {
    // GIVEN one throttled PutParameter, then success
    let rule = mock!(Client::put_parameter)
        .sequence()
        .error(throttling)
        .output(written)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    // WHEN a call is sent
    put(&client, &limiter, &progress).await.unwrap();
    // THEN the limiter was cut below the full rate
    assert!(limiter.rate() < f64::from(SSM_CALLS_PER_SECOND), "{}", limiter.rate());
}

#[tokio::test(start_paused = true)]
async fn a_throttled_call_pauses_at_most_two_seconds_between_attempts_besides_the_pacing() {
    // GIVEN 8 throttles in a row (the limiter falls from 30 to 30 * 0.7^8 = 1.7 calls a second)
    let rule = mock!(Client::put_parameter)
        .sequence()
        .error(throttling)
        .times(8)
        .output(written)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    let started = Instant::now();
    put(&client, &limiter, &progress).await.unwrap();
    // THEN the whole took the limiter's intervals (1/21 + 1/14.7 + ... + 1/1.7 s, less as the rate
    // climbs back) plus at most 2 s of jittered backoff after each attempt (of up to 1 s): under 20 s
    let took = Instant::now() - started;
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(took > Duration::from_secs(2), "{took:?}");
}

#[tokio::test(start_paused = true)]
async fn a_concurrent_update_is_retried_without_slowing_the_region() {
    // GIVEN TooManyUpdates twice (another call changes the same parameter), then success
    let rule = mock!(Client::put_parameter)
        .sequence()
        .http_response(conflict)
        .times(2)
        .output(written)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    put(&client, &limiter, &progress).await.unwrap();
    // THEN it was tried again until it went through, and the rate stayed full
    assert_eq!(rule.num_calls(), 3);
    assert_eq!(limiter.rate(), f64::from(SSM_CALLS_PER_SECOND));
}

#[tokio::test(start_paused = true)]
async fn a_server_error_gets_the_transient_attempts_then_fails() {
    // GIVEN SSM answering HTTP 500 to the TRANSIENT_ATTEMPTS attempts expected (a further attempt finds
    // no rule and fails the test rather than retrying without end)
    let rule = mock!(Client::put_parameter)
        .sequence()
        .http_response(|| http(500, r#"{"__type":"InternalServerError","message":"oops"}"#))
        .times(TRANSIENT_ATTEMPTS as usize)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    // WHEN a call is sent
    let result = put(&client, &limiter, &progress).await;
    // THEN it failed with SSM's error after TRANSIENT_ATTEMPTS attempts, without slowing the region
    assert_eq!(result.unwrap_err(), "InternalServerError");
    assert_eq!(rule.num_calls(), TRANSIENT_ATTEMPTS as usize);
    assert_eq!(limiter.rate(), f64::from(SSM_CALLS_PER_SECOND));
}

#[tokio::test(start_paused = true)]
async fn a_server_error_that_passes_is_retried() {
    let rule = mock!(Client::put_parameter)
        .sequence()
        .http_response(|| http(503, r#"{"__type":"ServiceUnavailable","message":"busy"}"#))
        .output(written)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    assert!(put(&client, &limiter, &progress).await.is_ok());
    assert_eq!(rule.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_http_429_counts_as_throttling() {
    let rule = mock!(Client::put_parameter)
        .sequence()
        .http_response(|| http(429, r#"{"__type":"SomethingElse","message":"slow down"}"#))
        .output(written)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    assert!(put(&client, &limiter, &progress).await.is_ok());
    assert_eq!(rule.num_calls(), 2);
    assert!(limiter.rate() < f64::from(SSM_CALLS_PER_SECOND));
}

#[tokio::test(start_paused = true)]
async fn an_error_that_another_attempt_would_not_change_is_final() {
    // GIVEN an answer that is no throttling, conflict or server error
    let rule = mock!(Client::put_parameter)
        .then_error(|| PutParameterError::generic(ErrorMetadata::builder().code("AccessDeniedException").build()));
    let (limiter, progress) = (limiter(), Progress::default());
    // THEN it is returned after one attempt
    let result = put(&ssm_client(&[&rule]), &limiter, &progress).await;
    assert_eq!(result.unwrap_err(), "AccessDeniedException");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn without_a_deadline_a_throttled_call_gives_up_after_the_longest_lambda_timeout() {
    // GIVEN SSM throttling every call (as many as fit in 900 s, see below)
    let rule = mock!(Client::put_parameter)
        .sequence()
        .error(throttling)
        .times(MOST_CALLS_IN_THROTTLED_AT_MOST)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    let started = Instant::now();
    // WHEN a call is sent with nothing to stop it
    let result = put(&client, &limiter, &progress).await;
    // THEN it returns the throttling error once THROTTLED_AT_MOST has passed, not before
    assert_eq!(result.unwrap_err(), "ThrottlingException");
    let took = Instant::now() - started;
    assert!(
        took >= THROTTLED_AT_MOST && took < THROTTLED_AT_MOST + Duration::from_secs(10),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_deadline_a_lasting_concurrent_update_gives_up_after_the_longest_lambda_timeout() {
    // GIVEN SSM answering TooManyUpdates to every call, for more calls than 900 s of pauses of at least
    // 50 ms leave room for (one more finds no rule and fails the test rather than retrying without end)
    let rule = mock!(Client::put_parameter)
        .sequence()
        .http_response(conflict)
        .times(MOST_CALLS_IN_THROTTLED_AT_MOST)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    let started = Instant::now();
    // WHEN a call is sent with nothing to stop it
    let result = put(&client, &limiter, &progress).await;
    // THEN it returns the conflict once THROTTLED_AT_MOST has passed, not before
    assert_eq!(result.unwrap_err(), "TooManyUpdates");
    let took = Instant::now() - started;
    assert!(
        took >= THROTTLED_AT_MOST && took < THROTTLED_AT_MOST + Duration::from_secs(10),
        "{took:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_concurrent_update_answered_exactly_at_the_limit_is_not_tried_again() {
    // GIVEN a TooManyUpdates answer that comes exactly THROTTLED_AT_MOST after the call was sent
    let rule = mock!(Client::put_parameter)
        .sequence()
        .http_response(conflict)
        .times(2)
        .build();
    let (client, limiter, progress) = (ssm_client(&[&rule]), limiter(), Progress::default());
    let answer_at = Instant::now() + THROTTLED_AT_MOST;
    // WHEN the call is sent
    let step = progress.step("PutParameter /app/a in eu-west-1");
    let result = send(&limiter, &step, || async {
        tokio::time::sleep_until(answer_at).await;
        client.put_parameter().name("/app/a").value("v").send().await
    })
    .await;
    // THEN the conflict is returned at once: the limit is spent, as for a throttled call
    assert_eq!(result.unwrap_err().code(), Some("TooManyUpdates"));
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_fleet_of_instances_sharing_one_quota_writes_everything() {
    // GIVEN 30 instances (each its own limiter), 20 writes each, into one region allowing 40 a second
    let throttled = Arc::new(Mutex::new(0));
    let rule = put_parameter_at_quota(40, throttled.clone());
    let client = ssm_client(&[&rule]);
    // WHEN they all start at once
    let instances: Vec<_> = (0..30)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let (limiter, progress) = (limiter(), Progress::default());
                let writes = (0..20).map(|_| put(&client, &limiter, &progress));
                futures::future::join_all(writes).await
            })
        })
        .collect();
    let mut failed = 0;
    for instance in instances {
        failed += instance.await.unwrap().iter().filter(|result| result.is_err()).count();
    }
    // THEN every write went through, though many calls were throttled on the way
    assert_eq!(failed, 0);
    assert_eq!(rule.num_calls() - *throttled.lock().unwrap(), 600);
    assert!(*throttled.lock().unwrap() > 0);
}

/// The verdict on a call that failed with `err`.
fn verdict_on(err: SdkError<PutParameterError, HttpResponse>) -> Verdict {
    verdict::<(), _>(&Err(err))
}

/// A service error with `code`, answered with `status`.
fn failed(code: &str, status: u16) -> SdkError<PutParameterError, HttpResponse> {
    let error = PutParameterError::generic(ErrorMetadata::builder().code(code).message("from the test").build());
    SdkError::service_error(error, http(status, ""))
}

#[test]
fn each_throttling_code_and_status_429_is_throttling_and_too_many_updates_a_conflict() {
    // GIVEN every code SSM or its endpoints throttle with
    for code in THROTTLING_CODES {
        assert_eq!(verdict_on(failed(code, 400)), Verdict::Throttled, "{code}");
    }
    // AND a 429 whatever its code, SSM's concurrent-update error, and an answer
    assert_eq!(verdict_on(failed("SlowDown", 429)), Verdict::Throttled);
    assert_eq!(verdict_on(failed("TooManyUpdates", 400)), Verdict::Conflict);
    assert_eq!(
        verdict(&Ok::<(), SdkError<PutParameterError, HttpResponse>>(())),
        Verdict::Done
    );
}

#[test]
fn a_5xx_a_timeout_and_a_lost_connection_are_transient_and_other_errors_final() {
    use aws_smithy_runtime_api::client::result::ConnectorError;
    assert_eq!(verdict_on(failed("InternalServerError", 500)), Verdict::Transient);
    assert_eq!(verdict_on(failed("ServiceUnavailable", 503)), Verdict::Transient);
    assert_eq!(verdict_on(failed("ParameterAlreadyExists", 400)), Verdict::Done);
    assert_eq!(verdict_on(failed("AccessDeniedException", 499)), Verdict::Done);
    assert_eq!(verdict_on(SdkError::timeout_error("too slow")), Verdict::Transient);
    let lost = ConnectorError::io("connection reset".into());
    assert_eq!(verdict_on(SdkError::dispatch_failure(lost)), Verdict::Transient);
    let other = ConnectorError::other("no route".into(), None);
    assert_eq!(
        verdict_on(SdkError::dispatch_failure(other)),
        Verdict::Done,
        "a connector error that is neither I/O nor a timeout"
    );
}
