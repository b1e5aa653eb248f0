//! Events that are not valid JSON to the runtime (invalid UTF-8, a lone surrogate, a number out of
//! range, nesting deeper than serde_json's 128 levels). `lambda_runtime` would answer them with an
//! invocation error before any handler runs, and a stack waiting in direct mode would hear nothing
//! until its timeout. This runtime layer sees the raw payload first: when it does not parse, it
//! replaces it with what can be salvaged from the bytes (`ResponseURL`, the echoed fields) and a marker
//! that makes the [`super::Responder`] answer FAILED there, through the same checks as any event.

use std::task::{Context, Poll};

use lambda_runtime::tower::{Layer, Service};
use lambda_runtime::{Error, LambdaInvocation};
use serde_json::{Map, Value};
use tracing::warn;

/// The key of the marker: an event that has it was not JSON; its value is the JSON parser's error.
pub const UNPARSEABLE: &str = "mrk-provider:unparseable";

/// The fields salvaged from an event that does not parse.
const SALVAGED: [&str; 8] = [
    "RequestType",
    "ResponseURL",
    "StackId",
    "RequestId",
    "ResourceType",
    "LogicalResourceId",
    "PhysicalResourceId",
    "ServiceToken",
];

/// Adds [`SalvageUnparseable`] to a runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct SalvageLayer;

impl<S> Layer<S> for SalvageLayer {
    type Service = SalvageUnparseable<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SalvageUnparseable { inner }
    }
}

/// Passes every invocation on, with an unparseable payload replaced by its salvaged envelope.
#[derive(Debug, Clone)]
pub struct SalvageUnparseable<S> {
    inner: S,
}

impl<S> Service<LambdaInvocation> for SalvageUnparseable<S>
where
    S: Service<LambdaInvocation, Response = (), Error = Error>,
{
    type Response = ();
    type Error = Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut invocation: LambdaInvocation) -> Self::Future {
        if let Err(err) = serde_json::from_slice::<Value>(&invocation.body) {
            warn!(bytes = invocation.body.len(), error = %err, "the event is not valid JSON; answering from what can be salvaged");
            invocation.body = salvage(&invocation.body, &err).into();
        }
        self.inner.call(invocation)
    }
}

/// A JSON event with the string fields that can be read from `body` and the [`UNPARSEABLE`] marker.
pub fn salvage(body: &[u8], error: &serde_json::Error) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut event: Map<String, Value> = SALVAGED
        .iter()
        .filter_map(|key| string_field(&text, key).map(|value| (key.to_string(), Value::String(value))))
        .collect();
    event.insert(UNPARSEABLE.into(), Value::String(error.to_string()));
    // A map of strings always serializes.
    serde_json::to_vec(&event).unwrap_or_default()
}

/// The string value of the first `"key": "..."` in `text`, its escapes decoded when they are valid.
/// One pass over the text after the key.
fn string_field(text: &str, key: &str) -> Option<String> {
    let quoted_key = format!("\"{key}\"");
    let after_key = &text[text.find(&quoted_key)? + quoted_key.len()..];
    let value = after_key
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    let mut escaped = false;
    let end = value.char_indices().find_map(|(at, c)| {
        let closes = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        closes.then_some(at)
    })?;
    let raw = &value[..end];
    Some(serde_json::from_str(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salvaged(body: &[u8]) -> Value {
        let error = serde_json::from_slice::<Value>(body).expect_err("the body does not parse");
        serde_json::from_slice(&salvage(body, &error)).expect("the salvaged event is JSON")
    }

    #[test]
    fn invalid_utf8_keeps_the_envelope_and_says_why() {
        let mut body = br#"{"RequestType":"Create","ResponseURL":"https://b.example/r?s=1","StackId":"arn:s","RequestId":"r-1","LogicalResourceId":"L","ResourceProperties":{"ServiceToken":"arn:aws:lambda:us-east-1:1:function:f","X":""#.to_vec();
        body.extend_from_slice(&[0xff, 0xfe]);
        body.extend_from_slice(br#""}}"#);
        let event = salvaged(&body);
        assert_eq!(event["ResponseURL"], "https://b.example/r?s=1");
        assert_eq!(event["RequestId"], "r-1");
        assert_eq!(event["LogicalResourceId"], "L");
        assert_eq!(event["ServiceToken"], "arn:aws:lambda:us-east-1:1:function:f");
        // AND the marker holds the parser's own error, which the answer's reason quotes (Error::NotJson)
        let parser_error = serde_json::from_slice::<Value>(&body).unwrap_err().to_string();
        assert_eq!(event[UNPARSEABLE].as_str(), Some(parser_error.as_str()));
    }

    #[test]
    fn a_lone_surrogate_deep_nesting_and_a_huge_number_are_salvaged_too() {
        let nested = format!("{}{}", "[".repeat(200), "]".repeat(200));
        for tail in [r#""\ud800""#, nested.as_str(), "1e400"] {
            let body = format!(r#"{{"ResponseURL":"https://b.example/\"q\"","RequestId":"r-2","X":{tail}}}"#);
            let event = salvaged(body.as_bytes());
            assert_eq!(event["ResponseURL"], "https://b.example/\"q\"", "{tail}");
            assert_eq!(event["RequestId"], "r-2");
        }
    }

    #[test]
    fn a_field_without_a_closing_quote_or_colon_is_left_out() {
        let event = salvaged(br#"{"ResponseURL" "x", "RequestId":"unterminated"#);
        assert!(event.get("ResponseURL").is_none());
        assert!(event.get("RequestId").is_none());
        assert!(event.get(UNPARSEABLE).is_some());
    }

    /// A service that can take no invocation.
    struct Closed;

    impl Service<LambdaInvocation> for Closed {
        type Response = ();
        type Error = Error;
        type Future = std::future::Ready<Result<(), Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Error>> {
            Poll::Ready(Err("the runtime is shutting down".into()))
        }

        fn call(&mut self, _: LambdaInvocation) -> Self::Future {
            std::future::ready(Ok(()))
        }
    }

    #[test]
    fn the_layer_is_ready_only_when_the_service_it_wraps_is() {
        let mut service = SalvageLayer.layer(Closed);
        let waker = futures::task::noop_waker();
        match service.poll_ready(&mut Context::from_waker(&waker)) {
            Poll::Ready(Err(err)) => assert_eq!(err.to_string(), "the runtime is shutting down"),
            other => panic!("the inner service's refusal is passed on, got {other:?}"),
        }
    }
}
