//! The `properties` cases of tests/fixtures/validation-cases.json (its `about` describes them) against
//! the provider's own validation: each type's `Spec::from_properties` accepts exactly the cases the table
//! accepts, and a refused case's reason contains the table's `error`. The JSON Schemas of schema/
//! (tests/lint) and the CDK constructs (cdk/test/validation-cases.test.ts) read the same cases.

use mrk_provider::Error;
use mrk_provider::resources::{cross_region_parameter, parameter_reader, replica_key};
use serde_json::{Map, Value};

const TABLE: &str = include_str!("fixtures/validation-cases.json");

/// `{"$text": [[piece, count], ...]}` as the text it stands for, everywhere in `value`.
fn expand(value: &Value) -> Value {
    match value {
        Value::Object(map) if map.len() == 1 && map.contains_key("$text") => {
            let pieces = map["$text"].as_array().expect("$text is a list of [piece, count]");
            let text = pieces
                .iter()
                .map(|piece| {
                    let text = piece[0].as_str().expect("a piece is a string");
                    let count = piece[1].as_u64().expect("a count is a number");
                    text.repeat(usize::try_from(count).expect("a count fits"))
                })
                .collect::<String>();
            Value::String(text)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), expand(v))).collect()),
        Value::Array(items) => Value::Array(items.iter().map(expand).collect()),
        other => other.clone(),
    }
}

/// What the provider says of `properties` of `resource_type`: `None` when it accepts them.
fn verdict(resource_type: &str, properties: &Map<String, Value>) -> Option<String> {
    let result: Result<(), Error> = match resource_type {
        "Custom::ReplicaKey" => replica_key::Spec::from_properties(properties).map(drop),
        "Custom::CrossRegionParameter" => cross_region_parameter::Spec::from_properties(properties, "/").map(drop),
        "Custom::CrossRegionParameterReader" => parameter_reader::Spec::from_properties(properties, "/").map(drop),
        other => panic!("the table names an unknown type {other}"),
    };
    result.err().map(|err| err.to_string())
}

#[test]
fn the_provider_agrees_with_every_properties_case_of_the_shared_table() {
    let table: Value = serde_json::from_str(TABLE).expect("tests/fixtures/validation-cases.json is JSON");
    let cases = table["properties"]
        .as_array()
        .expect("the table has its properties cases");
    assert!(cases.len() > 80, "the table has its property cases");
    let mut wrong = Vec::new();
    for case in cases {
        let resource_type = case["type"].as_str().expect("a case names its type");
        let mut properties = table["propertyBases"][resource_type]
            .as_object()
            .expect("a base per type")
            .clone();
        for (key, value) in case["set"].as_object().expect("set is a map") {
            properties.insert(key.clone(), expand(value));
        }
        let shown = format!(
            "{resource_type} {} ({})",
            case["set"].to_string().chars().take(100).collect::<String>(),
            case["why"]
        );
        let valid = case["valid"].as_bool().expect("valid is a boolean");
        match (verdict(resource_type, &properties), valid) {
            (None, true) => {}
            (Some(reason), true) => wrong.push(format!("{shown}: refused ({reason}), but the table accepts it")),
            (None, false) => wrong.push(format!("{shown}: accepted, but the table refuses it")),
            (Some(reason), false) => {
                let error = case["error"]
                    .as_str()
                    .expect("a refused case has the error its reason contains");
                if !reason.contains(error) {
                    wrong.push(format!("{shown}: refused with {reason:?}, which lacks {error:?}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases disagree with the provider:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
