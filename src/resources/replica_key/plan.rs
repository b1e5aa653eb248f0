//! `Custom::ReplicaKey` planning, pure: the diff between the old and new properties of an in-place
//! Update (regions added, removed and kept; aliases that moved, region by region), and the comparisons
//! that bring a replica to its desired state (which tags to remove, whether two policies are the same).

use std::collections::BTreeMap;

use serde_json::Value;

use super::spec::Spec;

/// What an in-place Update changes, computed from the old and new properties alone. Every kept region
/// is then brought to the new settings by comparing them with what KMS holds, so a replica changed
/// outside CloudFormation is repaired too.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Regions to replicate into.
    pub added: Vec<String>,
    /// Regions whose replica is deleted.
    pub removed: Vec<String>,
    /// Regions kept, brought to the new settings.
    pub kept: Vec<String>,
    /// Kept region → its old alias, to delete there, when the region's alias changed.
    pub old_aliases: BTreeMap<String, String>,
}

/// Diffs two specs of the same primary key. `old` is `None` when the old properties are unusable
/// (then nothing is removed and every region is converged).
pub fn plan_update(old: Option<&Spec>, new: &Spec) -> Plan {
    let Some(old) = old else {
        return Plan {
            kept: new.replica_regions.clone(),
            ..Plan::default()
        };
    };
    let (kept, added): (Vec<String>, Vec<String>) = new
        .replica_regions
        .iter()
        .cloned()
        .partition(|r| old.replica_regions.contains(r));
    let old_aliases = kept
        .iter()
        .filter_map(|region| {
            let before = old.settings(region).alias?;
            (new.settings(region).alias != Some(before)).then(|| (region.clone(), before.to_string()))
        })
        .collect();
    Plan {
        added,
        kept,
        removed: old
            .replica_regions
            .iter()
            .filter(|r| !new.replica_regions.contains(r))
            .cloned()
            .collect(),
        old_aliases,
    }
}

/// The tag keys of a replica (`current`) that the desired tags do not declare: they are removed. The
/// provider's own `mrk-provider:` tags (the owner tags) and AWS's `aws:` tags are never among them.
pub fn undeclared_tags(current: &[(String, String)], desired: &[(String, String)]) -> Vec<String> {
    current
        .iter()
        .map(|(key, _)| key)
        .filter(|key| !key.starts_with("mrk-provider:") && !key.to_ascii_lowercase().starts_with("aws:"))
        .filter(|key| !desired.iter().any(|(k, _)| k == *key))
        .cloned()
        .collect()
}

/// Whether two key policies are the same document: compared as JSON, since KMS may return a policy
/// formatted differently from the one it was given; as text when either is not JSON.
pub fn same_policy(a: &str, b: &str) -> bool {
    match (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
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
}
