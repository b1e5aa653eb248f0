//! Property-based test of the event path that needs no AWS call: parse → validate → render, on
//! arbitrary JSON and on arbitrary CloudFormation-shaped events (huge fields, any characters, any
//! properties). Whatever comes in: no panic, one answer of at most 4096 bytes, and done within a
//! bounded time (each case runs on a watchdog thread, so a loop fails the test instead of hanging it).

use std::sync::mpsc;
use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::protocol::render::{LogLocation, render};
use crate::protocol::{Answer, Envelope, MAX_RESPONSE_BYTES, Outcome, Request};
use crate::resources::{SUPPORTED_TYPES, cross_region_parameter, parameter_reader, replica_key};

/// How long one case may take before it counts as a loop.
const WATCHDOG: Duration = Duration::from_secs(5);

/// What the function would answer without calling AWS: the validation error, or a success echoing
/// the properties as attributes (the largest answer a handler could make of them).
fn answer_offline(event: &Value) -> Vec<u8> {
    let parsed = Request::parse(event);
    let envelope = match &parsed {
        Ok(request) => Envelope::of(request),
        Err(_) => Envelope::salvage(event),
    };
    let answer = match parsed {
        Err(err) => Answer::Failed {
            physical_resource_id: envelope.physical_resource_id.clone().unwrap_or_default(),
            reason: err.to_string(),
        },
        Ok(request) => match validate(&request) {
            Err(reason) => Answer::Failed {
                physical_resource_id: request.failed_physical_id(None),
                reason,
            },
            Ok(()) => {
                let mut outcome = Outcome::id(request.failed_physical_id(None));
                outcome.data = request
                    .properties
                    .iter()
                    .map(|(key, value)| (key.clone(), value.to_string()))
                    .collect();
                Answer::Success(outcome)
            }
        },
    };
    // A log group of the longest name CloudWatch Logs allows (512 characters).
    let group = format!("/aws/lambda/{}", "f".repeat(500));
    let logs = LogLocation {
        group: &group,
        stream: "2026/11/30/[$LATEST]0123456789abcdef0123456789abcdef",
    };
    render(&envelope, answer, logs).body
}

fn validate(request: &Request) -> Result<(), String> {
    let properties = &request.properties;
    let checked = match request.resource_type.as_str() {
        replica_key::RESOURCE_TYPE => replica_key::Spec::from_properties(properties).map(drop),
        cross_region_parameter::RESOURCE_TYPE => {
            cross_region_parameter::Spec::from_properties(properties, "/").map(drop)
        }
        parameter_reader::RESOURCE_TYPE => parameter_reader::Spec::from_properties(properties, "/").map(drop),
        _ => Ok(()),
    };
    checked.map_err(|err| err.to_string())
}

/// The answer's length, or an error when it did not come within the watchdog's time or panicked.
fn answered_in_time(event: Value) -> Result<usize, TestCaseError> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(answer_offline(&event).len());
    });
    receive
        .recv_timeout(WATCHDOG)
        .map_err(|err| TestCaseError::fail(format!("no answer within {WATCHDOG:?} ({err}): a loop or a panic")))
}

/// Any text: short or up to 20,000 characters, of any characters, control characters and emoji too.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,40}",
        ".{0,2000}",
        (any::<char>(), 0..20_000usize).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
        Just("\u{1F600}".repeat(1_000)),
        Just("\"\\\u{1}".repeat(5_000)),
    ]
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,20}", inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Properties with the names the resource types read, and others, with any values.
fn properties() -> impl Strategy<Value = Value> {
    let names = prop_oneof![
        Just("PrimaryKeyArn".to_string()),
        Just("ReplicaRegions".to_string()),
        Just("Regions".to_string()),
        Just("Region".to_string()),
        Just("Parameters".to_string()),
        Just("Names".to_string()),
        Just("Tags".to_string()),
        Just("KeyPolicy".to_string()),
        Just("Alias".to_string()),
        Just("PendingWindowInDays".to_string()),
        Just("WithDecryption".to_string()),
        ".{0,12}",
    ];
    prop::collection::btree_map(names, json_value(), 0..8)
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>()))
}

/// An event shaped like CloudFormation's, with any values in its fields.
fn cloudformation_event() -> impl Strategy<Value = Value> {
    let request_type = prop_oneof![Just("Create"), Just("Update"), Just("Delete"), Just("Upsert")];
    let resource_type = prop_oneof![
        Just(SUPPORTED_TYPES[0].to_string()),
        Just(SUPPORTED_TYPES[1].to_string()),
        Just(SUPPORTED_TYPES[2].to_string()),
        text(),
    ];
    (
        request_type,
        resource_type,
        text(),
        text(),
        text(),
        text(),
        text(),
        properties(),
        properties(),
    )
        .prop_map(
            |(request_type, resource_type, url, stack, request_id, logical, physical, props, old)| {
                json!({
                    "RequestType": request_type,
                    "ResourceType": resource_type,
                    "ResponseURL": url,
                    "StackId": stack,
                    "RequestId": request_id,
                    "LogicalResourceId": logical,
                    "PhysicalResourceId": physical,
                    "ResourceProperties": props,
                    "OldResourceProperties": old,
                })
            },
        )
}

proptest! {
    // Few shrink steps: a case that loops leaves its thread spinning until the test process ends.
    #![proptest_config(ProptestConfig { cases: 300, max_shrink_iters: 8, ..ProptestConfig::default() })]

    #[test]
    fn any_cloudformation_shaped_event_gets_one_answer_within_4096_bytes(event in cloudformation_event()) {
        let length = answered_in_time(event)?;
        prop_assert!(length <= MAX_RESPONSE_BYTES, "a {length}-byte answer");
        prop_assert!(length > 0);
    }

    #[test]
    fn any_json_gets_one_answer_within_4096_bytes(event in json_value()) {
        let length = answered_in_time(event)?;
        prop_assert!(length <= MAX_RESPONSE_BYTES, "a {length}-byte answer");
        prop_assert!(length > 0);
    }
}
