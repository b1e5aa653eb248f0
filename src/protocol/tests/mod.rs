//! Tests of the protocol layer (docs/reference.md, section 1) against a stub handler: no resource type and no AWS
//! client is involved. Split by concern: answer delivery and response modes, the deadline guard (time,
//! panics, the rollback of a failed Create), and events that are not valid requests. Every answer goes
//! to a [`Receiver`] on 127.0.0.1.

mod bad_events;
mod deadline_guard;
mod delivery;
mod hostile;
mod metrics_line;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent};
use serde_json::Value;

use super::{Handler, Invocation, Outcome, Responder, ResponseMode, ResponseUrls};
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
    /// Fails with an error whose text ends in "(stub refused)".
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
            Behaviour::Fail => Err(Error::NotARequest {
                detail: "stub refused".into(),
            }),
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

/// A responder running `stub` in `mode`, answering CloudFormation's response buckets and, as the
/// tests' receivers listen there, any port of 127.0.0.1.
fn responder(stub: &Arc<Stub>, mode: ResponseMode) -> Responder<Stub> {
    let local = ResponseUrls::with_loopback_prefix("http://127.0.0.1").expect("a loopback URL");
    Responder::new(stub.clone(), mode, Https::default()).with_response_urls(local)
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

/// One invocation to make: a fixture event answered by a stub, with its ResponseURL pointed at a local
/// [`Receiver`]. By default: RESPONSE_MODE auto, invoked as the fixtures' `ServiceToken`, no deadline.
struct Invoke {
    behaviour: Behaviour,
    mode: ResponseMode,
    event: Value,
    invoked_function_arn: String,
    deadline_ms: u64,
    failing_puts: usize,
    loopback_answers: bool,
}

/// What came of an [`Invoke`].
struct Invoked {
    /// What the function returned to Lambda.
    returned: Result<Value, String>,
    /// Every request the ResponseURL received.
    puts: Vec<Received>,
    /// How often the handler was called.
    calls: usize,
}

impl Invoke {
    /// The fixture `name` (`create`, `update`, `delete`), answered by a stub that behaves as told.
    fn fixture(name: &str, behaviour: Behaviour) -> Self {
        Invoke {
            behaviour,
            mode: ResponseMode::Auto,
            event: test_support::fixture(name),
            invoked_function_arn: FUNCTION_ARN.to_string(),
            deadline_ms: 0,
            failing_puts: 0,
            loopback_answers: true,
        }
    }

    /// Answers only to CloudFormation's response buckets, as in production: not to the receiver.
    fn production_urls(mut self) -> Self {
        self.loopback_answers = false;
        self
    }

    /// In response mode `mode`.
    fn mode(mut self, mode: ResponseMode) -> Self {
        self.mode = mode;
        self
    }

    /// Invoked through `arn` instead of the fixtures' `ServiceToken`.
    fn through(mut self, arn: &str) -> Self {
        self.invoked_function_arn = arn.to_string();
        self
    }

    /// With a Lambda deadline of `deadline_ms` (epoch milliseconds).
    fn deadline_ms(mut self, deadline_ms: u64) -> Self {
        self.deadline_ms = deadline_ms;
        self
    }

    /// The ResponseURL answers 500 to the first `count` PUTs.
    fn failing_puts(mut self, count: usize) -> Self {
        self.failing_puts = count;
        self
    }

    /// With `field` of the event set to `value`, or removed when `value` is `null`.
    fn with(mut self, field: &str, value: Value) -> Self {
        let event = self.event.as_object_mut().expect("the fixtures are objects");
        if value.is_null() {
            event.remove(field);
        } else {
            event.insert(field.to_string(), value);
        }
        self
    }

    /// Runs the responder on the event (at most 10 s) and collects what happened. A `ResponseURL` that
    /// starts with `http://receiver` is pointed at the test's receiver, path and query kept.
    async fn run(mut self) -> Invoked {
        let receiver = Receiver::start(self.failing_puts).await;
        if let Some(Value::String(url)) = self.event.get_mut("ResponseURL") {
            *url = match url.strip_prefix("http://receiver") {
                Some(rest) => format!("{}{rest}", receiver.origin()),
                None if url.starts_with("https://cloudformation-custom-resource-response-") => receiver.url.clone(),
                None => url.clone(),
            };
        }
        let stub = Stub::new(self.behaviour);
        let event = LambdaEvent::new(self.event, context(&self.invoked_function_arn, self.deadline_ms));
        let responder = match self.loopback_answers {
            true => responder(&stub, self.mode),
            false => Responder::new(stub.clone(), self.mode, Https::default()),
        };
        let returned = tokio::time::timeout(Duration::from_secs(10), responder.respond(event))
            .await
            .expect("every invocation ends within 10 s")
            .map_err(|err| err.to_string());
        Invoked {
            returned,
            puts: receiver.received(),
            calls: stub.calls(),
        }
    }
}

impl Invoked {
    /// The body of the one answer PUT; fails unless exactly one PUT was received.
    fn answer(&self) -> Value {
        assert_eq!(self.puts.len(), 1, "exactly one answer is delivered: {:?}", self.puts);
        assert_eq!(self.puts[0].method, "PUT");
        self.puts[0].json()
    }

    /// The answer's `Reason`.
    fn reason(&self) -> String {
        self.answer()["Reason"]
            .as_str()
            .expect("the answer has a Reason")
            .to_string()
    }
}
