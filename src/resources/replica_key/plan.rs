//! `Custom::ReplicaKey` update planning: the pure diff between the old and new properties of an
//! in-place Update (regions added, removed and kept; tags to remove; policy and alias changes).

use super::spec::Spec;

/// What an in-place Update changes, computed from the old and new properties alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Regions to replicate into.
    pub added: Vec<String>,
    /// Regions whose replica is deleted.
    pub removed: Vec<String>,
    /// Regions kept, brought to the new settings.
    pub kept: Vec<String>,
    /// Tag keys to remove from kept replicas.
    pub untag: Vec<String>,
    /// The key policy property changed.
    pub policy_changed: bool,
    /// The alias to delete from kept and removed regions (the old one, when it changed).
    pub old_alias: Option<String>,
}

/// Diffs two specs of the same primary key. `old` is `None` when the old properties are unusable
/// (then nothing is removed and every region is converged).
pub fn plan_update(old: Option<&Spec>, new: &Spec) -> Plan {
    let Some(old) = old else {
        return Plan {
            kept: new.replica_regions.clone(),
            policy_changed: true,
            ..Plan::default()
        };
    };
    let (kept, added) = new
        .replica_regions
        .iter()
        .cloned()
        .partition(|r| old.replica_regions.contains(r));
    Plan {
        added,
        kept,
        removed: old
            .replica_regions
            .iter()
            .filter(|r| !new.replica_regions.contains(r))
            .cloned()
            .collect(),
        untag: old
            .tags
            .iter()
            .filter(|t| !new.tags.iter().any(|n| n.key == t.key))
            .map(|t| t.key.clone())
            .collect(),
        policy_changed: old.key_policy != new.key_policy,
        old_alias: old.alias.clone().filter(|a| new.alias.as_ref() != Some(a)),
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
        assert_eq!(plan.untag, vec!["a"]);
        assert!(!plan.policy_changed);
        assert_eq!(plan.old_alias.as_deref(), Some("alias/old"));
    }

    #[test]
    fn an_unchanged_alias_is_not_deleted() {
        let old = spec(json!({"Alias": "alias/same"}));
        assert_eq!(plan_update(Some(&old), &old).old_alias, None);
    }

    #[test]
    fn without_old_properties_every_region_is_converged_and_none_removed() {
        let new = spec(json!({"ReplicaRegions": ["eu-west-1", "eu-central-1"]}));
        let plan = plan_update(None, &new);
        assert_eq!(plan.kept, new.replica_regions);
        assert!(plan.removed.is_empty() && plan.added.is_empty());
    }
}
