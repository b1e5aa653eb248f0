//! How a call to SSM or KMS is sent and retried: every attempt waits for its [`RateLimiter`] (SSM's of
//! the region, KMS's of the region and operation), tells it whether AWS throttled it, and a throttled
//! call is tried again for as long as it takes.
//!
//! The quota (SSM: about 40 calls a second per account and region; KMS: 5 a second for most of the
//! operations that change a key, per account and region) is shared by every function instance calling
//! into the region at once, and each instance only knows its own calls. Being throttled is a reason to
//! wait, not to fail: a fixed number of attempts (the SDK's standard mode, or its retry quota of 100
//! throttled retries a process) fails a fleet's resources, and a failed resource rolls the whole stack
//! back. So a throttled call is retried after a jittered pause (50 ms doubling to 1 s, each plus a
//! random share of itself: the pacing comes from the limiter, the jitter only keeps instances from
//! retrying in step) until it goes through; the request's deadline guard stops it before the
//! function's timeout and answers FAILED, naming the call and how often it was throttled. Errors that
//! may pass (5xx answers, timeouts, connection errors) get [`TRANSIENT_ATTEMPTS`] attempts, as in the
//! SDK's standard mode; everything else is final. The SDK's own retries are off for SSM and KMS
//! ([`super::with_ssm_retries`], [`super::with_kms_retries`]), so that no attempt bypasses the limiter.

use std::future::Future;
use std::time::Duration;

use aws_sdk_ssm::error::ProvideErrorMetadata;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use backon::{BackoffBuilder, ExponentialBuilder};
use tokio::time::Instant;

use super::fault;
use super::rate_limit::RateLimiter;
use crate::progress::Step;

/// Attempts of a call that fails with a transient error (not throttling).
pub const TRANSIENT_ATTEMPTS: u32 = 6;

/// How long a call is retried while it is throttled when the request has no deadline (a local
/// emulator): Lambda's longest timeout. In Lambda the deadline guard stops it first.
pub const THROTTLED_AT_MOST: Duration = Duration::from_secs(900);

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Return the result: a success, or an error that another attempt would not change.
    Done,
    /// Throttled: slow down, then try again.
    Throttled,
    /// Another call changed the same parameter: try again.
    Conflict,
    /// A 5xx answer, a timeout or a connection error: try again, a few times.
    Transient,
}

fn verdict<T, E: ProvideErrorMetadata>(result: &Result<T, SdkError<E, HttpResponse>>) -> Verdict {
    let Err(err) = result else {
        return Verdict::Done;
    };
    let code = err.code().unwrap_or_default();
    let status = err.raw_response().map(|response| response.status().as_u16());
    if fault::is_throttling(code) || status == Some(429) {
        return Verdict::Throttled;
    }
    if fault::is_conflict(code) {
        return Verdict::Conflict;
    }
    let transient = match err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => failure.is_io() || failure.is_timeout(),
        SdkError::ServiceError(_) => status.is_some_and(|status| status >= 500),
        _ => false,
    };
    if transient { Verdict::Transient } else { Verdict::Done }
}

/// The pauses between attempts: 50 ms doubling to 1 s, each plus a random share of itself (backon's
/// jitter), so from 50-100 ms up to 1-2 s.
fn backoff() -> impl Iterator<Item = Duration> {
    ExponentialBuilder::new()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_secs(1))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
}

/// Sends `call` through `limiter` until it succeeds or fails for good (see the module), noting on
/// `step` how often it was throttled so that a request that runs out of time says so.
pub async fn send<T, E, F, Fut>(
    limiter: &RateLimiter,
    step: &Step<'_>,
    mut call: F,
) -> Result<T, SdkError<E, HttpResponse>>
where
    E: ProvideErrorMetadata,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
{
    let started = Instant::now();
    let mut pauses = backoff();
    let (mut throttled, mut transient) = (0u32, 0u32);
    loop {
        let sent = limiter.acquire().await;
        let result = call().await;
        match verdict(&result) {
            Verdict::Done => {
                return result;
            }
            Verdict::Throttled => {
                limiter.throttled(sent);
                crate::metrics::throttled();
                throttled += 1;
                step.note(match throttled {
                    1 => "throttled once".to_string(),
                    n => format!("throttled {n} times"),
                });
                if started.elapsed() >= THROTTLED_AT_MOST {
                    return result;
                }
            }
            Verdict::Conflict if started.elapsed() < THROTTLED_AT_MOST => {}
            Verdict::Transient if transient + 1 < TRANSIENT_ATTEMPTS => transient += 1,
            Verdict::Conflict | Verdict::Transient => return result,
        }
        if let Some(pause) = pauses.next() {
            tokio::time::sleep(pause).await;
        }
        crate::metrics::retried();
    }
}

#[cfg(test)]
mod tests;
