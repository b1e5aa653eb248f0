use serde_json::{Value, json};

use crate::resources::replica_key::Spec;
use crate::resources::replica_key::spec::*;

const PRIMARY: &str = "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab";

fn spec(settings: Value) -> Result<Spec, Error> {
    let props = json!({
        "PrimaryKeyArn": PRIMARY,
        "ReplicaRegions": ["eu-west-1", "ap-southeast-2"],
        "Description": "shared",
        "Tags": [{"Key": "team", "Value": "data"}],
        "Alias": "alias/app",
        "RegionSettings": settings,
    });
    Spec::from_properties(props.as_object().unwrap())
}

fn reason(settings: Value) -> String {
    spec(settings).unwrap_err().to_string()
}

#[test]
fn each_given_field_replaces_the_resource_level_one_for_its_region_only() {
    // GIVEN settings for eu-west-1 (CloudFormation's strings included)
    let spec = spec(json!({"eu-west-1": {
        "Description": "eu", "KeyPolicy": {"Version": "2012-10-17", "Statement": []},
        "Tags": [{"Key": "site", "Value": "dublin"}], "Alias": "alias/app-eu", "Enabled": "false",
    }}))
    .unwrap();
    // WHEN each region's settings are asked for
    let (eu, ap) = (spec.settings("eu-west-1"), spec.settings("ap-southeast-2"));
    // THEN eu-west-1 has its own and ap-southeast-2 the resource-level ones
    assert_eq!(eu.description, Some("eu"));
    assert!(eu.key_policy.is_some_and(|p| p.contains("2012-10-17")));
    assert_eq!(eu.tags[0].key, "site");
    assert_eq!(eu.tags.len(), 1);
    assert_eq!((eu.alias, eu.enabled), (Some("alias/app-eu"), false));
    assert_eq!(
        (ap.description, ap.key_policy, ap.alias, ap.enabled),
        (Some("shared"), None, Some("alias/app"), true)
    );
    assert_eq!(ap.tags[0].key, "team");
    assert!(spec.follows_primary_policy());
}

#[test]
fn a_region_not_in_replica_regions_is_named() {
    assert_eq!(
        reason(json!({"eu-central-1": {"Alias": "alias/x"}})),
        "invalid property 'RegionSettings' for Custom::ReplicaKey: 'eu-central-1' is not one of \
         ReplicaRegions; add it there, or remove its settings"
    );
}

#[test]
fn region_fields_are_validated_like_the_resource_level_ones() {
    let bad_alias = reason(json!({"eu-west-1": {"Alias": "alias/aws/x"}}));
    assert!(
        bad_alias.starts_with("invalid property 'RegionSettings.eu-west-1.Alias'"),
        "{bad_alias}"
    );
    let bad_policy = reason(json!({"eu-west-1": {"KeyPolicy": "[1]"}}));
    assert!(
        bad_policy.contains("RegionSettings.eu-west-1.KeyPolicy"),
        "{bad_policy}"
    );
    let big = reason(json!({"eu-west-1": {"KeyPolicy": {"Sid": "x".repeat(33000)}}}));
    assert!(big.contains("32768 bytes"), "{big}");
    let long = reason(json!({"eu-west-1": {"Description": "d".repeat(8193)}}));
    assert!(long.contains("RegionSettings.eu-west-1.Description"), "{long}");
    let tags = reason(json!({"eu-west-1": {"Tags": [{"Key": "mrk-provider:stack", "Value": "x"}]}}));
    assert!(
        tags.starts_with("invalid property 'RegionSettings.eu-west-1.Tags'"),
        "{tags}"
    );
    let enabled = reason(json!({"eu-west-1": {"Enabled": "maybe"}}));
    assert!(enabled.contains("RegionSettings.eu-west-1.Enabled"), "{enabled}");
}

#[test]
fn an_unknown_field_of_a_region_is_named() {
    assert_eq!(
        reason(json!({"eu-west-1": {"Policy": {}}})),
        "unknown property 'RegionSettings.eu-west-1.Policy' for Custom::ReplicaKey"
    );
}

#[test]
fn without_an_unset_policy_anywhere_the_primary_policy_is_not_followed() {
    let policy = json!({"Version": "2012-10-17", "Statement": []});
    let spec = spec(json!({"eu-west-1": {"KeyPolicy": policy}, "ap-southeast-2": {"KeyPolicy": policy}})).unwrap();
    assert!(!spec.follows_primary_policy());
}
