//! Tests of the protocol layer (SPEC section 1) against a stub handler: no resource type and no AWS
//! client is involved. Split by concern: answer delivery and response modes, the deadline guard (time,
//! panics, the rollback of a failed Create), and events that are not valid requests. Every answer goes
//! to a [`Receiver`] on 127.0.0.1.

mod bad_events;
mod deadline_guard;
mod delivery;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use super::{Handler, Invocation, Outcome, Responder, ResponseMode};
use crate::Error;
use crate::https::Https;
use crate::test_support::{self, Received, Receiver};

/// The function CloudFormation invokes: the fixtures' `ServiceToken`.
const FUNCTION_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:mrk-provider";
/// A CDK Provider framework function that invokes this one as its `onEvent` handler.
const FRAMEWORK_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:app-keys-ProviderframeworkonEvent-AbC123";
/// The `RequestId` of the create fixture.
const CREATE_REQUEST_ID: &str = "6d0e9b8a-4c2f-4a8e-9f1d-2b3c4d5e6f70";
/// The `PhysicalResourceId` of the update and delete fixtures.
const FIXTURE_PHYSICAL_ID: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";
/// What the stub answers on success.
const STUB_PHYSICAL_ID: &str = "stub-physical-id";
/// The id a stub that changes something claims first.
const CLAIMED_ID: &str = "claimed-physical-id";
/// The step a stub that hangs or panics has in flight.
const STEP: &str = "DescribeKey in us-east-1";

/// What the stub handler does with every request.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Succeeds with [`STUB_PHYSICAL_ID`] and one attribute.
    Succeed,
    /// Fails with an error whose text is "stub refused".
    Fail,
    /// Starts [`STEP`] and panics in it.
    Panic,
    /// Starts [`STEP`] and never finishes.
    Hang,
    /// Claims [`CLAIMED_ID`], changes something, then hangs in [`STEP`].
    HangAfterAChange,
}

/// A handler that behaves as told and counts its calls.
struct Stub {
    behaviour: Behaviour,
    calls: AtomicUsize,
}

impl Stub {
    fn new(behaviour: Behaviour) -> Arc<Self> {
        Arc::new(Stub {
            behaviour,
            calls: AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Handler for Stub {
    async fn handle(&self, invocation: &Invocation) -> Result<Outcome, Error> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let progress = &invocation.progress;
        match self.behaviour {
            Behaviour::Succeed => {
                let mut outcome = Outcome::id(STUB_PHYSICAL_ID);
                outcome.data.insert("Attr".into(), "value".into());
                Ok(outcome)
            }
            Behaviour::Fail => Err(Error::InvalidRequest("stub refused".into())),
            Behaviour::Panic => {
                let _step = progress.step(STEP);
                panic!("the stub panics");
            }
            Behaviour::Hang => {
                let _step = progress.step(STEP);
                std::future::pending().await
            }
            Behaviour::HangAfterAChange => {
                progress.claim_physical_id(CLAIMED_ID);
                progress.mark_mutating();
                let _step = progress.step(STEP);
                std::future::pending().await
            }
        }
    }
}

/// A responder running `stub` in `mode`.
fn responder(stub: &Arc<Stub>, mode: ResponseMode) -> Responder<Stub> {
    Responder::new(stub.clone(), mode, Https::default())
}

/// A Lambda context for `invoked_function_arn` with the given deadline (epoch millis; 0 = unknown).
fn context(invoked_function_arn: &str, deadline_ms: u64) -> Context {
    let mut ctx = Context::default();
    ctx.invoked_function_arn = invoked_function_arn.to_string();
    ctx.deadline = deadline_ms;
    ctx.request_id = "lambda-request-1".to_string();
    ctx
}

/// Epoch milliseconds `from_now` in the future.
fn epoch_millis_in(from_now: Duration) -> u64 {
    let at = SystemTime::now() + from_now;
    at.duration_since(SystemTime::UNIX_EPOCH)
        .expect("after the epoch")
        .as_millis() as u64
}

/// Answers `payload` as invoked through `invoked_function_arn`, with no deadline.
async fn invoke(responder: &Responder<Stub>, payload: Value, invoked_function_arn: &str) -> Result<Value, String> {
    let event = LambdaEvent::new(payload, context(invoked_function_arn, 0));
    responder.respond(event).await.map_err(|err| err.to_string())
}

/// The fixture `name` answering to `url`.
fn fixture_to(name: &str, url: &str) -> Value {
    let mut event = test_support::fixture(name);
    event["ResponseURL"] = Value::String(url.to_string());
    event
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
