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
