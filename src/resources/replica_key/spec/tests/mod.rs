//! The decoding and validation of `Custom::ReplicaKey`'s properties: the resource-level ones here,
//! `RegionSettings` and the single values' limits beside.

mod region_settings;
mod values;

use super::*;
use serde_json::json;

const PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";

fn spec(extra: Value) -> Result<Spec, Error> {
    let mut props = json!({"PrimaryKeyArn": PRIMARY, "ReplicaRegions": ["eu-west-1"]});
    for (k, v) in extra.as_object().unwrap() {
        props[k] = v.clone();
    }
    Spec::from_properties(props.as_object().unwrap())
}

fn reason(extra: Value) -> String {
    spec(extra).unwrap_err().to_string()
}

#[test]
fn defaults_apply_when_optional_properties_are_absent() {
    let spec = spec(json!({})).unwrap();
    assert_eq!(spec.primary.key_id, "mrk-1234abcd12ab34cd56ef1234567890ab");
    assert_eq!(spec.primary.region, "us-east-1");
    assert!(spec.enabled);
    assert_eq!(spec.pending_window_in_days, 30);
    assert!(!spec.adopt_existing);
    assert_eq!(spec.key_policy, None);
}

#[test]
fn string_values_from_cloudformation_are_accepted() {
    let spec = spec(json!({"Enabled": "false", "PendingWindowInDays": "7", "AdoptExisting": "true"})).unwrap();
    assert!(!spec.enabled);
    assert_eq!(spec.pending_window_in_days, 7);
    assert!(spec.adopt_existing);
}

#[test]
fn required_properties_are_named_when_missing() {
    let err = Spec::from_properties(json!({"ReplicaRegions": ["eu-west-1"]}).as_object().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing required property 'PrimaryKeyArn' for Custom::ReplicaKey"
    );
    let err = Spec::from_properties(json!({"PrimaryKeyArn": PRIMARY}).as_object().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing required property 'ReplicaRegions' for Custom::ReplicaKey"
    );
}

#[test]
fn arns_that_are_not_multi_region_key_arns_are_rejected() {
    for bad in [
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-east-1:123456789012:alias/app",
        "arn:aws-cn:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-east-1:1234:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws:kms:us-east-1:123456789012:key/mrk-1234ABCD12ab34cd56ef1234567890ab",
    ] {
        let err = reason(json!({"PrimaryKeyArn": bad}));
        assert!(err.starts_with("invalid property 'PrimaryKeyArn'"), "{bad}: {err}");
    }
}

#[test]
fn replica_regions_are_checked() {
    assert!(reason(json!({"ReplicaRegions": []})).contains("the list is empty"));
    assert!(reason(json!({"ReplicaRegions": ["us-east-1"]})).contains("the primary key's own region"));
    assert!(reason(json!({"ReplicaRegions": ["eu-west-1", "eu-west-1"]})).contains("listed twice"));
    assert!(reason(json!({"ReplicaRegions": ["cn-north-1"]})).contains("partition aws-cn"));
    assert!(reason(json!({"ReplicaRegions": ["Europe"]})).contains("not a region name"));
}

#[test]
fn the_pending_window_must_be_7_to_30_days() {
    assert!(spec(json!({"PendingWindowInDays": "7"})).is_ok());
    assert!(spec(json!({"PendingWindowInDays": 30})).is_ok());
    assert!(reason(json!({"PendingWindowInDays": "6"})).contains("outside 7 to 30"));
    assert!(reason(json!({"PendingWindowInDays": 31})).contains("outside 7 to 30"));
}

#[test]
fn the_policy_must_be_a_json_object() {
    assert!(spec(json!({"KeyPolicy": {"Version": "2012-10-17", "Statement": []}})).is_ok());
    assert!(reason(json!({"KeyPolicy": "{not json"})).starts_with("invalid property 'KeyPolicy'"));
}

#[test]
fn aliases_are_checked() {
    assert!(spec(json!({"Alias": "alias/app-data"})).is_ok());
    for bad in ["app-data", "alias/", "alias/aws/app", "alias/has space"] {
        assert!(
            reason(json!({"Alias": bad})).starts_with("invalid property 'Alias'"),
            "{bad}"
        );
    }
}

#[test]
fn an_unknown_property_is_an_error() {
    assert_eq!(
        reason(json!({"ReplicaRegion": ["eu-west-1"]})),
        "unknown property 'ReplicaRegion' for Custom::ReplicaKey"
    );
}

#[test]
fn replica_arns_follow_the_region_order() {
    let spec = spec(json!({"ReplicaRegions": ["eu-west-1", "ap-southeast-2"]})).unwrap();
    let arns = spec.replica_arns();
    assert_eq!(
        arns[0].1,
        "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab"
    );
    assert_eq!(arns[1].0, "ap-southeast-2");
}
