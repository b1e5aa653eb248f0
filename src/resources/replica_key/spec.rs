//! `Custom::ReplicaKey` properties (docs/reference.md, section 3): decoding and validation, before any AWS call.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::region_settings::{self, RegionSettings, ReplicaSettings};
use super::validate::{invalid, validate_alias, validate_description, validate_policy};
use crate::Error;
use crate::region::{check_list, parse_arn};
use crate::resources::ownership::validate_tags;
use crate::resources::properties::{self, Tag, flex};

pub use super::validate::RESOURCE_TYPE;

/// The properties as written in a template, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// ARN of a multi-Region primary key.
    #[serde(default, deserialize_with = "flex::string")]
    primary_key_arn: Option<String>,
    /// Regions to replicate into.
    #[serde(default, deserialize_with = "flex::string_list")]
    replica_regions: Option<Vec<String>>,
    /// Replica description; default: the primary's.
    #[serde(default, deserialize_with = "flex::string")]
    description: Option<String>,
    /// Key policy (object or JSON string); default: the primary's current policy.
    #[serde(default, deserialize_with = "flex::json_object")]
    key_policy: Option<String>,
    /// User tags.
    #[serde(default)]
    tags: Option<Vec<Tag>>,
    /// `alias/...`, created in every replica region.
    #[serde(default, deserialize_with = "flex::string")]
    alias: Option<String>,
    /// Whether the replicas are enabled; default true.
    #[serde(default, deserialize_with = "flex::bool")]
    enabled: Option<bool>,
    /// Waiting period when a replica is deleted, 7-30; default 30.
    #[serde(default, deserialize_with = "flex::u32")]
    pending_window_in_days: Option<u32>,
    /// Passed to ReplicateKey and PutKeyPolicy; default false.
    #[serde(default, deserialize_with = "flex::bool")]
    bypass_policy_lockout_safety_check: Option<bool>,
    /// Take over replicas owned by nobody or by someone else; default false.
    #[serde(default, deserialize_with = "flex::bool")]
    adopt_existing: Option<bool>,
    /// Replica region → settings that replace the resource-level ones there.
    #[serde(default)]
    region_settings: Option<BTreeMap<String, RegionSettings>>,
    /// Any string; a changed value only makes CloudFormation send an Update.
    #[serde(default, deserialize_with = "flex::string")]
    refresh: Option<String>,
}

/// The parts of a multi-Region key ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyArn {
    /// The whole ARN.
    pub arn: String,
    /// `aws`, `aws-cn`, ...
    pub partition: String,
    /// The primary's region.
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
    /// `mrk-` followed by 32 hex digits; the same in every region.
    pub key_id: String,
}

impl KeyArn {
    /// Parses `arn:<partition>:kms:<region>:<account>:key/mrk-<32 hex>`.
    pub fn parse(arn: &str) -> Option<KeyArn> {
        let parts = parse_arn(arn).filter(|parts| parts.service == "kms")?;
        let key_id = parts.resource.strip_prefix("key/")?;
        let hex = key_id.strip_prefix("mrk-")?;
        let well_formed = hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| KeyArn {
            arn: arn.to_string(),
            partition: parts.partition.to_string(),
            region: parts.region.to_string(),
            account: parts.account.to_string(),
            key_id: key_id.to_string(),
        })
    }

    /// The ARN of this key's replica in `region`.
    pub fn in_region(&self, region: &str) -> String {
        format!(
            "arn:{}:kms:{region}:{}:key/{}",
            self.partition, self.account, self.key_id
        )
    }
}

/// Validated `Custom::ReplicaKey` properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The primary key.
    pub primary: KeyArn,
    /// Replica regions, in the template's order.
    pub replica_regions: Vec<String>,
    /// Description; `None` means the primary's.
    pub description: Option<String>,
    /// Key policy; `None` means the primary's current policy.
    pub key_policy: Option<String>,
    /// User tags.
    pub tags: Vec<Tag>,
    /// Alias created in every replica region.
    pub alias: Option<String>,
    /// Desired key state.
    pub enabled: bool,
    /// Waiting period when a replica is deleted.
    pub pending_window_in_days: u32,
    /// Passed to ReplicateKey and PutKeyPolicy.
    pub bypass_policy_lockout_safety_check: bool,
    /// Take over replicas that this resource does not own.
    pub adopt_existing: bool,
    /// Per-region settings, by replica region.
    pub region_settings: BTreeMap<String, RegionSettings>,
    /// `Refresh`: otherwise ignored, since every Update brings every replica to the desired state.
    pub refresh: Option<String>,
}

impl Spec {
    /// Decodes and validates properties; no AWS call is made before this succeeds.
    pub fn from_properties(properties: &Map<String, Value>) -> Result<Spec, Error> {
        let props: Properties = properties::decode(RESOURCE_TYPE, properties)?;

        let arn = props
            .primary_key_arn
            .ok_or_else(|| Error::missing(RESOURCE_TYPE, "PrimaryKeyArn"))?;
        let primary = KeyArn::parse(&arn).ok_or_else(|| {
            invalid(
                "PrimaryKeyArn",
                format!(
                    "'{arn}' is not the ARN of a multi-Region key; expected \
                     arn:<partition>:kms:<region>:<account>:key/mrk-<32 hex digits>"
                ),
            )
        })?;

        let replica_regions = props
            .replica_regions
            .ok_or_else(|| Error::missing(RESOURCE_TYPE, "ReplicaRegions"))?;
        validate_regions(&primary, &replica_regions)?;

        if let Some(description) = &props.description {
            validate_description("Description", description)?;
        }
        if let Some(policy) = &props.key_policy {
            validate_policy("KeyPolicy", policy)?;
        }
        let tags = props.tags.unwrap_or_default();
        validate_tags(&tags, RESOURCE_TYPE)?;
        if let Some(alias) = &props.alias {
            validate_alias("Alias", alias)?;
        }
        let region_settings = props.region_settings.unwrap_or_default();
        region_settings::validate(&region_settings, &replica_regions)?;
        let pending_window_in_days = props.pending_window_in_days.unwrap_or(30);
        if !(7..=30).contains(&pending_window_in_days) {
            return Err(invalid(
                "PendingWindowInDays",
                format!("{pending_window_in_days} is outside 7 to 30 days"),
            ));
        }
        Ok(Spec {
            primary,
            replica_regions,
            description: props.description,
            key_policy: props.key_policy,
            tags,
            alias: props.alias,
            enabled: props.enabled.unwrap_or(true),
            pending_window_in_days,
            bypass_policy_lockout_safety_check: props.bypass_policy_lockout_safety_check.unwrap_or(false),
            adopt_existing: props.adopt_existing.unwrap_or(false),
            region_settings,
            refresh: props.refresh,
        })
    }

    /// The replica ARN in each replica region, in `ReplicaRegions` order.
    pub fn replica_arns(&self) -> Vec<(String, String)> {
        self.replica_regions
            .iter()
            .map(|r| (r.clone(), self.primary.in_region(r)))
            .collect()
    }
}

impl Spec {
    /// The settings of the replica in `region`.
    pub fn settings(&self, region: &str) -> ReplicaSettings<'_> {
        let own = self.region_settings.get(region);
        ReplicaSettings {
            description: own
                .and_then(|s| s.description.as_deref())
                .or(self.description.as_deref()),
            key_policy: own.and_then(|s| s.key_policy.as_deref()).or(self.key_policy.as_deref()),
            tags: own.and_then(|s| s.tags.as_deref()).unwrap_or(&self.tags),
            alias: own.and_then(|s| s.alias.as_deref()).or(self.alias.as_deref()),
            enabled: own.and_then(|s| s.enabled).unwrap_or(self.enabled),
        }
    }

    /// Whether some replica takes the primary's policy (no `KeyPolicy` for its region).
    pub fn follows_primary_policy(&self) -> bool {
        self.replica_regions
            .iter()
            .any(|r| self.settings(r).key_policy.is_none())
    }
}

fn validate_regions(primary: &KeyArn, regions: &[String]) -> Result<(), Error> {
    let partition = check_list(regions).map_err(|reason| invalid("ReplicaRegions", reason))?;
    if partition != primary.partition {
        return Err(invalid(
            "ReplicaRegions",
            format!(
                "the regions are in partition {partition}, but the primary key is in {}; replicas stay in the \
                 primary's partition",
                primary.partition
            ),
        ));
    }
    if regions.contains(&primary.region) {
        return Err(invalid(
            "ReplicaRegions",
            format!(
                "'{}' is the primary key's own region; list only other regions",
                primary.region
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
}
