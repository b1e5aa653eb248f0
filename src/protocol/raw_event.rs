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
mod tests;
