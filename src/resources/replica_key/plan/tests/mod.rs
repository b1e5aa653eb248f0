use super::*;
use serde_json::{Value, json};

fn spec(properties: Value) -> Spec {
    let mut props = json!({
        "PrimaryKeyArn": "arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "ReplicaRegions": ["eu-west-1"],
    });
    for (k, v) in properties.as_object().unwrap() {
        props[k] = v.clone();
    }
    Spec::from_properties(props.as_object().unwrap()).unwrap()
}

#[test]
fn the_plan_adds_removes_and_keeps_regions() {
    let old = spec(
        json!({"ReplicaRegions": ["eu-west-1", "ap-southeast-2"], "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}], "Alias": "alias/old"}),
    );
    let new = spec(
        json!({"ReplicaRegions": ["eu-west-1", "eu-central-1"], "Tags": [{"Key": "b", "Value": "3"}], "Alias": "alias/new"}),
    );
    let plan = plan_update(Some(&old), &new);
    assert_eq!(plan.added, vec!["eu-central-1"]);
    assert_eq!(plan.removed, vec!["ap-southeast-2"]);
    assert_eq!(plan.kept, vec!["eu-west-1"]);
    assert_eq!(plan.old_aliases.get("eu-west-1").map(String::as_str), Some("alias/old"));
}

#[test]
fn an_unchanged_alias_is_not_deleted() {
    let old = spec(json!({"Alias": "alias/same"}));
    assert!(plan_update(Some(&old), &old).old_aliases.is_empty());
}

#[test]
fn an_alias_moved_in_one_region_is_deleted_in_that_region_only() {
    // GIVEN alias/app everywhere, then alias/app-eu in eu-west-1 through RegionSettings
    let old = spec(json!({"ReplicaRegions": ["eu-west-1", "ap-southeast-2"], "Alias": "alias/app"}));
    let new = spec(json!({
        "ReplicaRegions": ["eu-west-1", "ap-southeast-2"], "Alias": "alias/app",
        "RegionSettings": {"eu-west-1": {"Alias": "alias/app-eu"}},
    }));
    // WHEN the update is planned
    let plan = plan_update(Some(&old), &new);
    // THEN only eu-west-1's old alias goes
    assert_eq!(plan.old_aliases.len(), 1);
    assert_eq!(plan.old_aliases["eu-west-1"], "alias/app");
}

#[test]
fn undeclared_user_tags_are_removed_but_never_the_owner_or_aws_tags() {
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    let current = vec![
        pair("team", "x"),
        pair("site", "a"),
        pair("mrk-provider:stack", "s"),
        pair("mrk-provider:logical-id", "l"),
        pair("aws:cloudformation:stack-name", "n"),
    ];
    let desired = vec![pair("site", "b"), pair("mrk-provider:stack", "s")];
    assert_eq!(undeclared_tags(&current, &desired), vec!["team"]);
}

#[test]
fn policies_are_the_same_whatever_their_formatting() {
    assert!(same_policy(
        r#"{"Version":"2012-10-17","Statement":[]}"#,
        "{\n  \"Statement\": [],\n  \"Version\": \"2012-10-17\"\n}"
    ));
    assert!(!same_policy(r#"{"Statement":[1]}"#, r#"{"Statement":[2]}"#));
    assert!(same_policy("not json", "not json") && !same_policy("not json", "{}"));
}

#[test]
fn without_old_properties_every_region_is_converged_and_none_removed() {
    let new = spec(json!({"ReplicaRegions": ["eu-west-1", "eu-central-1"]}));
    let plan = plan_update(None, &new);
    assert_eq!(plan.kept, new.replica_regions);
    assert!(plan.removed.is_empty() && plan.added.is_empty());
}
