//! What `Custom::ReplicaKey` accepts (docs/reference.md, section 3): its properties as a template
//! writes them ([`Properties`], [`RegionSettings`]), the limits each one must meet, and [`Spec`], what
//! they mean once validated. Everything is decoded and checked here, before any AWS call; the deployment's
//! own bounds (`AllowedRegions`, `AllowBypassPolicyLockoutSafetyCheck`) last, in [`Spec::checked`]. The
//! rules shared with the other resource types live beside them: tags in `resources::ownership`, region
//! lists in `crate::region`. The limits are repeated by the CDK constructs (cdk/src/region-settings.ts),
//! and both sides are tested against tests/fixtures/validation-cases.json.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::region::{check_list, parse_arn};
use crate::resources::context::Scope;
use crate::resources::ownership::validate_tags;
use crate::resources::properties::{self, Tag, flex};

/// The resource type.
pub const RESOURCE_TYPE: &str = "Custom::ReplicaKey";

/// The longest description KMS accepts, in characters.
pub const MAX_DESCRIPTION_CHARACTERS: usize = 8192;
/// The largest key policy KMS accepts, in bytes.
pub const MAX_POLICY_BYTES: usize = 32768;
/// The longest alias KMS accepts, `alias/` included, in characters.
pub const MAX_ALIAS_CHARACTERS: usize = 256;
/// The waiting periods KMS accepts when a replica is deleted, in days.
pub const PENDING_WINDOW_DAYS: RangeInclusive<u32> = 7..=30;
/// The waiting period when `PendingWindowInDays` is not given: the longest.
pub const DEFAULT_PENDING_WINDOW_DAYS: u32 = 30;

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
    /// Waiting period when a replica is deleted, [`PENDING_WINDOW_DAYS`]; default
    /// [`DEFAULT_PENDING_WINDOW_DAYS`].
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
        validate_region_settings(&region_settings, &replica_regions)?;
        let pending_window_in_days = props.pending_window_in_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        if !PENDING_WINDOW_DAYS.contains(&pending_window_in_days) {
            return Err(invalid(
                "PendingWindowInDays",
                format!(
                    "{pending_window_in_days} is outside {} to {} days",
                    PENDING_WINDOW_DAYS.start(),
                    PENDING_WINDOW_DAYS.end()
                ),
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

    /// The properties of a Create or Update, validated, with every region they name in the deployment's
    /// `scope`: all before any call.
    pub fn checked(properties: &Map<String, Value>, scope: &Scope) -> Result<Spec, Error> {
        let spec = Spec::from_properties(properties)?;
        if spec.bypass_policy_lockout_safety_check && !scope.allow_bypass_lockout_check {
            return Err(Error::LockoutBypassNotAllowed {
                resource_type: RESOURCE_TYPE,
            });
        }
        scope.check_regions(RESOURCE_TYPE, "PrimaryKeyArn", [spec.primary.region.as_str()])?;
        scope.check_regions(
            RESOURCE_TYPE,
            "ReplicaRegions",
            spec.replica_regions.iter().map(String::as_str),
        )?;
        Ok(spec)
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

/// The settings of one region, as written in `RegionSettings`; each given field replaces the
/// resource-level property of the same name for that region's replica.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionSettings {
    /// The replica's description.
    #[serde(default, deserialize_with = "flex::string")]
    pub description: Option<String>,
    /// The replica's key policy (object or JSON string).
    #[serde(default, deserialize_with = "flex::json_object")]
    pub key_policy: Option<String>,
    /// The replica's user tags (all of them: they replace the resource-level `Tags`).
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    /// The alias of the replica in this region.
    #[serde(default, deserialize_with = "flex::string")]
    pub alias: Option<String>,
    /// Whether the replica is enabled.
    #[serde(default, deserialize_with = "flex::bool")]
    pub enabled: Option<bool>,
}

/// What one replica gets: the resource-level settings with its region's [`RegionSettings`] over them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaSettings<'a> {
    /// Description; `None` means the primary's.
    pub description: Option<&'a str>,
    /// Key policy; `None` means the primary's current policy.
    pub key_policy: Option<&'a str>,
    /// User tags.
    pub tags: &'a [Tag],
    /// Alias in the region.
    pub alias: Option<&'a str>,
    /// Desired key state.
    pub enabled: bool,
}

/// Checks every region's settings as the resource-level properties are checked, and that each region
/// is one of `ReplicaRegions`.
fn validate_region_settings(
    settings: &BTreeMap<String, RegionSettings>,
    replica_regions: &[String],
) -> Result<(), Error> {
    for (region, own) in settings {
        let property = |field: &str| format!("RegionSettings.{region}.{field}");
        if !replica_regions.contains(region) {
            return Err(Error::invalid(
                RESOURCE_TYPE,
                "RegionSettings",
                format!("'{region}' is not one of ReplicaRegions; add it there, or remove its settings"),
            ));
        }
        if let Some(description) = &own.description {
            validate_description(&property("Description"), description)?;
        }
        if let Some(policy) = &own.key_policy {
            validate_policy(&property("KeyPolicy"), policy)?;
        }
        if let Some(alias) = &own.alias {
            validate_alias(&property("Alias"), alias)?;
        }
        if let Some(tags) = &own.tags {
            validate_tags(tags, RESOURCE_TYPE).map_err(|err| match err {
                Error::InvalidProperty { reason, .. } => Error::invalid(RESOURCE_TYPE, property("Tags"), reason),
                other => other,
            })?;
        }
    }
    Ok(())
}

/// An invalid-property error of this resource type.
fn invalid(property: &str, reason: impl Into<String>) -> Error {
    Error::invalid(RESOURCE_TYPE, property, reason)
}

/// A description KMS accepts; `property` names it in the error.
fn validate_description(property: &str, description: &str) -> Result<(), Error> {
    if description.chars().count() > MAX_DESCRIPTION_CHARACTERS {
        return Err(invalid(
            property,
            format!("longer than the {MAX_DESCRIPTION_CHARACTERS} characters KMS accepts"),
        ));
    }
    Ok(())
}

/// A key policy of a size KMS accepts; `property` names it in the error.
fn validate_policy(property: &str, policy: &str) -> Result<(), Error> {
    if policy.len() > MAX_POLICY_BYTES {
        return Err(invalid(
            property,
            format!("larger than the {MAX_POLICY_BYTES} bytes KMS accepts"),
        ));
    }
    Ok(())
}

/// An alias name KMS accepts for a customer key; `property` names it in the error.
fn validate_alias(property: &str, alias: &str) -> Result<(), Error> {
    let name = alias.strip_prefix("alias/").unwrap_or("");
    let well_formed = !name.is_empty()
        && alias.len() <= MAX_ALIAS_CHARACTERS
        && alias.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
        && !alias.starts_with("alias/aws/");
    if well_formed {
        Ok(())
    } else {
        Err(invalid(
            property,
            format!(
                "'{alias}' is not a valid alias; use alias/ followed by letters, digits, '/', '_' or '-' \
                 (at most {MAX_ALIAS_CHARACTERS} characters, not alias/aws/)"
            ),
        ))
    }
}

#[cfg(test)]
mod tests;
