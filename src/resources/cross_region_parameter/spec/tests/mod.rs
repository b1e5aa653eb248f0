use super::*;
use serde_json::json;

fn spec_with_prefix(extra: Value, prefix: &str) -> Result<Spec, Error> {
    let mut props = json!({"Regions": ["eu-west-1"], "Parameters": {"/app/key-arn": "arn:1"}});
    for (k, v) in extra.as_object().unwrap() {
        props[k] = v.clone();
    }
    Spec::from_properties(props.as_object().unwrap(), prefix)
}

fn spec(extra: Value) -> Result<Spec, Error> {
    spec_with_prefix(extra, "/")
}

fn reason(extra: Value) -> String {
    spec(extra).unwrap_err().to_string()
}

#[test]
fn defaults_apply_when_optional_properties_are_absent() {
    let spec = spec(json!({})).unwrap();
    assert_eq!(spec.attributes.parameter_type, ParameterType::String);
    assert_eq!(spec.attributes.tier, ParameterTier::Standard);
    assert_eq!(
        (spec.attributes.key_id.clone(), spec.attributes.description.clone()),
        (None, None)
    );
    assert!(!spec.adopt_existing && spec.tags.is_empty());
}

#[test]
fn every_setting_is_read_including_strings_from_cloudformation() {
    let spec = spec(json!({
        "Type": "SecureString", "KeyId": "alias/app", "Tier": "Intelligent-Tiering",
        "Description": "from us-east-1", "AdoptExisting": "true", "Tags": [{"Key": "team", "Value": "platform"}],
        "Regions": "eu-west-1, ap-southeast-2",
    }))
    .unwrap();
    assert_eq!(spec.attributes.parameter_type, ParameterType::SecureString);
    assert_eq!(spec.attributes.key_id.as_deref(), Some("alias/app"));
    assert_eq!(spec.attributes.tier, ParameterTier::IntelligentTiering);
    assert_eq!(spec.attributes.description.as_deref(), Some("from us-east-1"));
    assert!(spec.adopt_existing);
    assert_eq!(spec.regions, vec!["eu-west-1", "ap-southeast-2"]);
}

#[test]
fn required_properties_are_named_when_missing() {
    let props = json!({"Parameters": {"/a": "1"}});
    let err = Spec::from_properties(props.as_object().unwrap(), "/").unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing required property 'Regions' for Custom::CrossRegionParameter"
    );
    let props = json!({"Regions": ["eu-west-1"]});
    let err = Spec::from_properties(props.as_object().unwrap(), "/").unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing required property 'Parameters' for Custom::CrossRegionParameter"
    );
}

#[test]
fn type_tier_and_key_id_are_checked() {
    assert!(reason(json!({"Type": "StringList"})).contains("use String or SecureString"));
    assert!(reason(json!({"Tier": "Premium"})).contains("use Standard, Advanced or Intelligent-Tiering"));
    assert!(reason(json!({"KeyId": "alias/app"})).contains("set Type to SecureString or remove KeyId"));
    assert!(reason(json!({"Description": "d".repeat(1025)})).contains("1024 characters"));
}

#[test]
fn regions_are_checked() {
    assert!(reason(json!({"Regions": []})).contains("the list is empty"));
    assert!(reason(json!({"Regions": ["eu-west-1", "eu-west-1"]})).contains("listed twice"));
    assert!(reason(json!({"Regions": ["Ireland"]})).contains("'Ireland' is not a region name"));
    assert!(reason(json!({"Regions": ["eu-west-1", "cn-north-1"]})).contains("list regions of one partition"));
}

#[test]
fn parameters_must_be_a_non_empty_map_of_valid_names_and_non_empty_values() {
    assert!(reason(json!({"Parameters": {}})).contains("the map is empty"));
    assert!(reason(json!({"Parameters": {"app/x": "1"}})).contains("'app/x' must start with '/'"));
    assert!(reason(json!({"Parameters": {"/aws/x": "1"}})).contains("SSM reserves"));
    assert!(reason(json!({"Parameters": {"/app/x": ""}})).contains("the value of '/app/x' is empty"));
}

#[test]
fn a_value_too_large_for_its_tier_is_rejected_without_showing_it() {
    let big = "s".repeat(4097);
    let err = reason(json!({"Parameters": {"/app/big": big}}));
    assert_eq!(
        err,
        "invalid property 'Parameters' for Custom::CrossRegionParameter: the value of '/app/big' is 4097 bytes; \
         the Standard tier holds at most 4096; set Tier to Advanced or Intelligent-Tiering for up to 8192"
    );
    assert!(spec(json!({"Parameters": {"/app/big": big}, "Tier": "Advanced"})).is_ok());
    let bigger = "s".repeat(8193);
    let err = reason(json!({"Parameters": {"/app/big": bigger}, "Tier": "Intelligent-Tiering"}));
    assert!(
        err.contains("is 8193 bytes; the Intelligent-Tiering tier holds at most 8192"),
        "{err}"
    );
    assert!(!err.contains("sss"), "the value is never shown");
}

#[test]
fn names_must_be_under_the_function_prefix() {
    assert!(spec_with_prefix(json!({}), "/app").is_ok());
    assert!(spec_with_prefix(json!({}), "/app/").is_ok());
    let err = spec_with_prefix(json!({}), "/shared").unwrap_err().to_string();
    assert!(
        err.contains("outside this provider's PARAMETER_PREFIX '/shared'"),
        "{err}"
    );
}

#[test]
fn names_that_cannot_fit_in_the_answer_are_rejected_before_any_call() {
    let names: Map<String, Value> = (0..120)
        .map(|i| (format!("/app/a-rather-long-parameter-name-{i:03}"), json!("v")))
        .collect();
    assert!(reason(json!({"Parameters": names})).contains("split them over several resources"));
}

/// Parameters whose names take `bytes` bytes in the Names attribute (each name and its comma).
fn names_taking(bytes: usize) -> Map<String, Value> {
    let (count, each) = (8, bytes / 8);
    let mut names: Vec<String> = (0..count)
        .map(|i| format!("/app/{i}-{}", "n".repeat(each - 8)))
        .collect();
    names[0].push_str(&"n".repeat(bytes - count * each));
    assert_eq!(names.iter().map(|name| name.len() + 1).sum::<usize>(), bytes);
    names.into_iter().map(|name| (name, json!("v"))).collect()
}

#[test]
fn names_are_accepted_up_to_the_answer_size_and_not_a_byte_over() {
    assert!(spec(json!({"Parameters": names_taking(MAX_RESPONSE_BYTES - 1)})).is_ok());
    assert!(spec(json!({"Parameters": names_taking(MAX_RESPONSE_BYTES)})).is_ok());
    let err = reason(json!({"Parameters": names_taking(MAX_RESPONSE_BYTES + 1)}));
    assert!(
        err.contains(&format!("a Names attribute of about {} bytes", MAX_RESPONSE_BYTES + 1)),
        "{err}"
    );
}

#[test]
fn a_value_fills_its_tier_to_the_byte() {
    // GIVEN values of 4095, 4096 and 4097 bytes (a multibyte character counts as its bytes)
    let standard = |value: String| spec(json!({"Parameters": {"/app/v": value}}));
    assert!(standard("s".repeat(4095)).is_ok());
    assert!(standard("s".repeat(4096)).is_ok());
    assert!(standard("s".repeat(4097)).is_err());
    assert!(standard("é".repeat(2049)).is_err(), "4098 bytes in 2049 characters");
    // AND in the Advanced tier, 8191, 8192 and 8193
    let advanced = |value: String| spec(json!({"Parameters": {"/app/v": value}, "Tier": "Advanced"}));
    assert!(advanced("s".repeat(8191)).is_ok());
    assert!(advanced("s".repeat(8192)).is_ok());
    let err = advanced("s".repeat(8193)).unwrap_err().to_string();
    assert!(
        err.ends_with("is 8193 bytes; the Advanced tier holds at most 8192"),
        "{err}"
    );
}

#[test]
fn a_description_takes_up_to_1024_characters() {
    assert!(spec(json!({"Description": "d".repeat(1023)})).is_ok());
    assert!(spec(json!({"Description": "d".repeat(1024)})).is_ok());
    assert!(
        spec(json!({"Description": "é".repeat(1024)})).is_ok(),
        "characters, not bytes"
    );
    assert_eq!(
        reason(json!({"Description": "d".repeat(1025)})),
        "invalid property 'Description' for Custom::CrossRegionParameter: longer than the 1024 characters SSM accepts"
    );
}

#[test]
fn a_key_id_takes_1_to_256_characters() {
    let secure = |key_id: String| spec(json!({"Type": "SecureString", "KeyId": key_id}));
    assert!(secure("k".to_string()).is_ok());
    assert!(secure("k".repeat(255)).is_ok());
    assert!(secure("k".repeat(256)).is_ok());
    for bad in [String::new(), "  ".to_string(), "k".repeat(257)] {
        let err = secure(bad.clone()).unwrap_err().to_string();
        assert!(
            err.ends_with("give a key id, key ARN or alias of 1 to 256 characters"),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn tags_are_checked_with_ssm_characters() {
    assert!(spec(json!({"Tags": [{"Key": "team", "Value": "platform a:b/c=d+e-f@g_h.i"}]})).is_ok());
    assert!(reason(json!({"Tags": [{"Key": "team", "Value": "a,b"}]})).contains("tag 'team' contains ','"));
    assert!(reason(json!({"Tags": [{"Key": "mrk-provider:stack", "Value": "x"}]})).contains("reserved prefix"));
}

#[test]
fn an_unknown_property_is_an_error() {
    assert_eq!(
        reason(json!({"Region": ["eu-west-1"]})),
        "unknown property 'Region' for Custom::CrossRegionParameter"
    );
}

#[test]
fn debug_output_shows_names_but_never_values() {
    let spec = spec(json!({"Parameters": {"/app/secret": "hunter2"}})).unwrap();
    let shown = format!("{spec:?}");
    assert!(shown.contains("/app/secret") && !shown.contains("hunter2"), "{shown}");
}

#[test]
fn names_are_listed_in_name_order() {
    let spec = spec(json!({"Parameters": {"/b": "2", "/a": "1", "/c": "3"}})).unwrap();
    assert_eq!(spec.names_attribute(), "/a,/b,/c");
}
