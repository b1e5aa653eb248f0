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
mod tests;
