use super::*;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Sample {
    #[serde(default, deserialize_with = "flex::bool")]
    enabled: Option<bool>,
    #[serde(default, deserialize_with = "flex::u32")]
    days: Option<u32>,
    #[serde(default, deserialize_with = "flex::string_list")]
    regions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "flex::json_object")]
    policy: Option<String>,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default, deserialize_with = "flex::string_map")]
    values: Option<std::collections::BTreeMap<String, String>>,
}

fn sample(props: Value) -> Result<Sample, Error> {
    let Value::Object(map) = props else {
        panic!("test props must be an object")
    };
    decode("Custom::Sample", &map)
}

#[test]
fn strings_from_cloudformation_decode_like_native_values() {
    let from_strings = sample(json!({"Enabled": "true", "Days": "7", "Regions": ["eu-west-1"]})).unwrap();
    let from_native = sample(json!({"Enabled": true, "Days": 7, "Regions": ["eu-west-1"]})).unwrap();
    assert_eq!(from_strings.enabled, Some(true));
    assert_eq!(from_strings.days, Some(7));
    assert_eq!(from_native.enabled, from_strings.enabled);
    assert_eq!(from_native.days, from_strings.days);
    // null is no value, as if the property were absent
    let nulls = sample(json!({"Enabled": null, "Days": null})).unwrap();
    assert_eq!((nulls.enabled, nulls.days), (None, None));
}

#[test]
fn service_token_and_service_timeout_are_ignored() {
    let decoded = sample(json!({"ServiceToken": "arn:aws:lambda:...", "ServiceTimeout": "300"})).unwrap();
    assert_eq!(decoded.enabled, None);
}

#[test]
fn an_unknown_property_is_named_in_the_error() {
    let err = sample(json!({"Enabld": "true"})).unwrap_err();
    assert_eq!(err.to_string(), "unknown property 'Enabld' for Custom::Sample");
}

#[test]
fn an_unknown_key_inside_a_tag_is_reported_with_its_path() {
    let err = sample(json!({"Tags": [{"Key": "a", "Value": "b", "Vaule": "c"}]})).unwrap_err();
    assert_eq!(err.to_string(), "unknown property 'Tags.0.Vaule' for Custom::Sample");
}

#[test]
fn a_bad_boolean_names_the_property_and_the_value() {
    let err = sample(json!({"Enabled": "yes"})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid property 'Enabled' for Custom::Sample: expected true or false, got \"yes\""
    );
}

#[test]
fn a_negative_or_fractional_number_is_rejected() {
    assert!(sample(json!({"Days": -1})).is_err());
    assert!(sample(json!({"Days": "7.5"})).is_err());
}

#[test]
fn a_comma_separated_string_is_a_list() {
    let decoded = sample(json!({"Regions": "eu-west-1, ap-southeast-2"})).unwrap();
    assert_eq!(decoded.regions.unwrap(), vec!["eu-west-1", "ap-southeast-2"]);
    // An empty CommaDelimitedList parameter is an empty list, not a list of one empty item
    assert_eq!(sample(json!({"Regions": " "})).unwrap().regions, Some(vec![]));
    assert_eq!(sample(json!({"Regions": null})).unwrap().regions, None);
}

#[test]
fn an_empty_item_of_a_list_is_an_error_naming_it() {
    for (regions, item) in [
        (json!(["eu-west-1", " "]), "\" \""),
        (json!("eu-west-1,,us-east-1"), "\"\""),
    ] {
        let err = sample(json!({ "Regions": regions })).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "invalid property 'Regions' for Custom::Sample: expected a list of non-empty strings, found the item {item}"
            )
        );
    }
}

#[test]
fn a_policy_may_be_an_object_or_a_json_string_but_not_other_json() {
    let object = sample(json!({"Policy": {"Version": "2012-10-17"}})).unwrap();
    assert_eq!(object.policy.unwrap(), r#"{"Version":"2012-10-17"}"#);
    let text = sample(json!({"Policy": "{\"Version\": \"2012-10-17\"}"})).unwrap();
    assert_eq!(text.policy.unwrap(), "{\"Version\": \"2012-10-17\"}");
    let err = sample(json!({"Policy": "not json"})).unwrap_err().to_string();
    assert!(
        err.starts_with("invalid property 'Policy' for Custom::Sample: the string is not valid JSON"),
        "{err}"
    );
    assert!(sample(json!({"Policy": "[1]"})).is_err());
}

#[test]
fn tags_take_numbers_as_text() {
    let decoded = sample(json!({"Tags": [{"Key": "cost-center", "Value": 42}]})).unwrap();
    assert_eq!(
        decoded.tags,
        vec![Tag {
            key: "cost-center".into(),
            value: "42".into()
        }]
    );
}

#[test]
fn a_missing_tag_value_is_an_error_on_that_tag() {
    let err = sample(json!({"Tags": [{"Key": "a"}]})).unwrap_err().to_string();
    assert!(
        err.starts_with("invalid property 'Tags[0]' for Custom::Sample"),
        "{err}"
    );
}

#[test]
fn a_null_map_is_no_map() {
    assert_eq!(sample(json!({"Values": null})).unwrap().values, None);
}

#[test]
fn a_map_takes_scalars_as_text_and_never_shows_a_rejected_value() {
    let decoded = sample(json!({"Values": {"/a": "x", "/b": 7, "/c": true}})).unwrap();
    let values = decoded.values.unwrap();
    assert_eq!(
        (values["/a"].as_str(), values["/b"].as_str(), values["/c"].as_str()),
        ("x", "7", "true")
    );
    let err = sample(json!({"Values": {"/secret": ["hunter2"]}}))
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "invalid property 'Values' for Custom::Sample: the value of '/secret' must be a string, not a list, a map or null"
    );
    assert!(
        sample(json!({"Values": "hunter2"}))
            .unwrap_err()
            .to_string()
            .ends_with("expected a map of names to string values")
    );
}
