//! `Custom::CrossRegionParameter` properties (SPEC section 4): decoding, validation, and the pure diff
//! between the old and new properties of an Update.

use std::collections::BTreeMap;
use std::fmt;

use aws_sdk_ssm::types::{ParameterTier, ParameterType};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::aws::ssm::ParameterSettings;
use crate::protocol::properties::{self, Tag, flex};
use crate::protocol::response::MAX_RESPONSE_BYTES;
use crate::region::check_list;
use crate::resources::{parameter_names, validate_tags};

use super::RESOURCE_TYPE;

/// The properties as written in a template, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// Regions to write every parameter into.
    #[serde(default, deserialize_with = "flex::string_list")]
    regions: Option<Vec<String>>,
    /// Parameter name → value.
    #[serde(default, deserialize_with = "flex::string_map")]
    parameters: Option<BTreeMap<String, String>>,
    /// `String` (default) or `SecureString`.
    #[serde(default, rename = "Type", deserialize_with = "flex::string")]
    parameter_type: Option<String>,
    /// KMS key of a `SecureString`; default: the account's `alias/aws/ssm` in each region.
    #[serde(default, deserialize_with = "flex::string")]
    key_id: Option<String>,
    /// `Standard` (default), `Advanced` or `Intelligent-Tiering`.
    #[serde(default, deserialize_with = "flex::string")]
    tier: Option<String>,
    /// Description of every parameter.
    #[serde(default, deserialize_with = "flex::string")]
    description: Option<String>,
    /// User tags of every parameter.
    #[serde(default)]
    tags: Option<Vec<Tag>>,
    /// Take over parameters owned by nobody or by someone else; default false.
    #[serde(default, deserialize_with = "flex::bool")]
    adopt_existing: Option<bool>,
}

/// Validated `Custom::CrossRegionParameter` properties. Its `Debug` shows names, never values.
#[derive(Clone, PartialEq, Eq)]
pub struct Spec {
    /// Target regions, in the template's order.
    pub regions: Vec<String>,
    /// Name → value, ordered by name.
    pub parameters: BTreeMap<String, String>,
    /// Type, key, tier and description of every parameter.
    pub settings: ParameterSettings,
    /// User tags.
    pub tags: Vec<Tag>,
    /// Take over parameters that this resource does not own.
    pub adopt_existing: bool,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field("regions", &self.regions)
            .field("names", &self.parameters.keys().collect::<Vec<_>>())
            .field("settings", &self.settings)
            .field("tags", &self.tags)
            .field("adopt_existing", &self.adopt_existing)
            .finish()
    }
}

fn invalid(property: &str, reason: impl Into<String>) -> Error {
    Error::invalid(RESOURCE_TYPE, property, reason)
}

impl Spec {
    /// Decodes and validates properties, names against `prefix` (the function's `PARAMETER_PREFIX`);
    /// no AWS call is made before this succeeds.
    pub fn from_properties(properties: &Map<String, Value>, prefix: &str) -> Result<Spec, Error> {
        let props: Properties = properties::decode(RESOURCE_TYPE, properties)?;
        let settings = settings(&props)?;
        let regions = props.regions.ok_or_else(|| Error::missing(RESOURCE_TYPE, "Regions"))?;
        validate_regions(&regions)?;
        let parameters = props
            .parameters
            .ok_or_else(|| Error::missing(RESOURCE_TYPE, "Parameters"))?;
        validate_parameters(&parameters, &settings.tier, prefix)?;

        let tags = props.tags.unwrap_or_default();
        validate_tags(&tags, RESOURCE_TYPE)?;
        validate_ssm_tag_characters(&tags)?;
        Ok(Spec {
            regions,
            parameters,
            settings,
            tags,
            adopt_existing: props.adopt_existing.unwrap_or(false),
        })
    }

    /// The `Names` attribute: every name, comma-separated, ordered by name.
    pub fn names_attribute(&self) -> String {
        self.parameters.keys().map(String::as_str).collect::<Vec<_>>().join(",")
    }
}

fn settings(props: &Properties) -> Result<ParameterSettings, Error> {
    let parameter_type = match props.parameter_type.as_deref() {
        None | Some("String") => ParameterType::String,
        Some("SecureString") => ParameterType::SecureString,
        Some(other) => {
            return Err(invalid(
                "Type",
                format!("'{other}' is not supported; use String or SecureString"),
            ));
        }
    };
    if let Some(key_id) = &props.key_id {
        if parameter_type != ParameterType::SecureString {
            return Err(invalid(
                "KeyId",
                "a KMS key encrypts only a SecureString; set Type to SecureString or remove KeyId",
            ));
        }
        if key_id.trim().is_empty() || key_id.len() > 256 {
            return Err(invalid(
                "KeyId",
                "give a key id, key ARN or alias of 1 to 256 characters",
            ));
        }
    }
    let tier = match props.tier.as_deref() {
        None | Some("Standard") => ParameterTier::Standard,
        Some("Advanced") => ParameterTier::Advanced,
        Some("Intelligent-Tiering") => ParameterTier::IntelligentTiering,
        Some(other) => {
            return Err(invalid(
                "Tier",
                format!("'{other}' is not a tier; use Standard, Advanced or Intelligent-Tiering"),
            ));
        }
    };
    if let Some(description) = &props.description
        && description.chars().count() > 1024
    {
        return Err(invalid("Description", "longer than the 1024 characters SSM accepts"));
    }
    Ok(ParameterSettings {
        parameter_type,
        key_id: props.key_id.clone(),
        tier,
        description: props.description.clone(),
    })
}

fn validate_regions(regions: &[String]) -> Result<(), Error> {
    check_list(regions)
        .map(|_| ())
        .map_err(|reason| invalid("Regions", reason))
}

/// The largest value of a tier, in bytes: 4 KB Standard, 8 KB Advanced (which Intelligent-Tiering
/// switches to for a large value).
fn max_value_bytes(tier: &ParameterTier) -> usize {
    match tier {
        ParameterTier::Standard => 4096,
        _ => 8192,
    }
}

/// Names against SSM's rules and the prefix; values against the tier. A message names the parameter
/// and the size of its value, never the value itself.
fn validate_parameters(parameters: &BTreeMap<String, String>, tier: &ParameterTier, prefix: &str) -> Result<(), Error> {
    if parameters.is_empty() {
        return Err(invalid(
            "Parameters",
            "the map is empty; give at least one name and value",
        ));
    }
    let limit = max_value_bytes(tier);
    for (name, value) in parameters {
        parameter_names::check(name, prefix).map_err(|reason| invalid("Parameters", reason))?;
        if value.is_empty() {
            return Err(invalid(
                "Parameters",
                format!("the value of '{name}' is empty; SSM stores no empty values"),
            ));
        }
        if value.len() > limit {
            let hint = match tier {
                ParameterTier::Standard => "; set Tier to Advanced or Intelligent-Tiering for up to 8192",
                _ => "",
            };
            return Err(invalid(
                "Parameters",
                format!(
                    "the value of '{name}' is {} bytes; the {} tier holds at most {limit}{hint}",
                    value.len(),
                    tier.as_str()
                ),
            ));
        }
    }
    let names_bytes = parameters.keys().map(|name| name.len() + 1).sum::<usize>();
    if names_bytes > MAX_RESPONSE_BYTES {
        return Err(invalid(
            "Parameters",
            format!(
                "the names alone make a Names attribute of about {names_bytes} bytes, more than the \
                 {MAX_RESPONSE_BYTES}-byte answer CloudFormation accepts; split them over several resources"
            ),
        ));
    }
    Ok(())
}

/// SSM accepts in tag keys and values only letters, digits, spaces and `_ . : / = + - @`.
fn validate_ssm_tag_characters(tags: &[Tag]) -> Result<(), Error> {
    let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
    for tag in tags {
        if let Some(bad) = tag.key.chars().chain(tag.value.chars()).find(|c| !allowed(*c)) {
            return Err(invalid(
                "Tags",
                format!(
                    "tag '{}' contains {bad:?}; SSM allows only letters, digits, spaces and _ . : / = + - @",
                    tag.key
                ),
            ));
        }
    }
    Ok(())
}

/// How one parameter of a region is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Not expected to exist: PutParameter with its tags; if it exists after all, it is taken over
    /// when this resource owns it (a re-delivered Create) or `AdoptExisting` is set.
    Create,
    /// Ours already, with a new value or new settings: PutParameter with Overwrite, then its tags.
    Overwrite,
    /// Ours already, same value and settings: only its tags change.
    Retag,
}

/// What a Create or an Update does, computed from the old and new properties alone.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// The regions with something to do: those of `Regions` in order, then the removed ones.
    pub regions: Vec<RegionPlan>,
    /// User tag keys to remove from parameters that stay.
    pub untag: Vec<String>,
}

/// What happens in one region.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct RegionPlan {
    /// The region.
    pub region: String,
    /// Names to write, and how.
    pub writes: Vec<(String, Write)>,
    /// Names to delete, if this resource owns them: removed names, or every old name of a removed
    /// region.
    pub deletes: Vec<String>,
}

/// Diffs the old and new properties. `old` is `None` on Create, and on an Update whose old properties
/// do not validate: then every name is written in every region and nothing is removed, so that a
/// rollback can never get stuck on properties it cannot read.
///
/// A changed value is always written (the CDK's cross-region export writer leaves it unwritten), and a
/// changed type, key, tier or description rewrites every parameter.
pub fn plan_update(old: Option<&Spec>, new: &Spec) -> Plan {
    let rewrite_all = old.is_some_and(|old| old.settings != new.settings);
    let retag = old.is_some_and(|old| !same_tags(&old.tags, &new.tags));
    let old_regions = old.map_or(&[][..], |old| &old.regions[..]);
    let removed_regions = old_regions.iter().filter(|r| !new.regions.contains(r));
    let mut regions = Vec::new();
    for region in new.regions.iter().chain(removed_regions) {
        let stays = new.regions.contains(region);
        // The old parameters of this region, if it had any.
        let before = old
            .filter(|old| old.regions.contains(region))
            .map(|old| &old.parameters);
        let writes: Vec<(String, Write)> = if stays {
            new.parameters
                .iter()
                .filter_map(|(name, value)| {
                    let how = match before.and_then(|before| before.get(name)) {
                        None => Write::Create,
                        Some(old_value) if old_value != value || rewrite_all => Write::Overwrite,
                        Some(_) if retag => Write::Retag,
                        Some(_) => return None,
                    };
                    Some((name.clone(), how))
                })
                .collect()
        } else {
            Vec::new()
        };
        let deletes: Vec<String> = before
            .into_iter()
            .flat_map(|before| before.keys())
            .filter(|name| !stays || !new.parameters.contains_key(*name))
            .cloned()
            .collect();
        if !writes.is_empty() || !deletes.is_empty() {
            regions.push(RegionPlan {
                region: region.clone(),
                writes,
                deletes,
            });
        }
    }
    let untag = old.map_or_else(Vec::new, |old| {
        old.tags
            .iter()
            .filter(|t| !new.tags.iter().any(|n| n.key == t.key))
            .map(|t| t.key.clone())
            .collect()
    });
    Plan { regions, untag }
}

/// The same tags, in any order.
fn same_tags(a: &[Tag], b: &[Tag]) -> bool {
    a.len() == b.len() && a.iter().all(|tag| b.contains(tag))
}

#[cfg(test)]
mod tests {
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
        assert_eq!(spec.settings.parameter_type, ParameterType::String);
        assert_eq!(spec.settings.tier, ParameterTier::Standard);
        assert_eq!(
            (spec.settings.key_id.clone(), spec.settings.description.clone()),
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
        assert_eq!(spec.settings.parameter_type, ParameterType::SecureString);
        assert_eq!(spec.settings.key_id.as_deref(), Some("alias/app"));
        assert_eq!(spec.settings.tier, ParameterTier::IntelligentTiering);
        assert_eq!(spec.settings.description.as_deref(), Some("from us-east-1"));
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

    fn two_regions(parameters: Value, extra: Value) -> Spec {
        let mut props = json!({"Regions": ["eu-west-1", "ap-southeast-2"], "Parameters": parameters});
        for (k, v) in extra.as_object().unwrap() {
            props[k] = v.clone();
        }
        Spec::from_properties(props.as_object().unwrap(), "/").unwrap()
    }

    fn names(writes: &[(String, Write)]) -> Vec<(&str, Write)> {
        writes.iter().map(|(n, w)| (n.as_str(), *w)).collect()
    }

    #[test]
    fn a_create_writes_every_name_in_every_region() {
        let new = two_regions(json!({"/a": "1", "/b": "2"}), json!({}));
        let plan = plan_update(None, &new);
        let regions: Vec<&str> = plan.regions.iter().map(|r| r.region.as_str()).collect();
        assert_eq!(regions, vec!["eu-west-1", "ap-southeast-2"]);
        for region in &plan.regions {
            assert_eq!(
                names(&region.writes),
                vec![("/a", Write::Create), ("/b", Write::Create)]
            );
            assert!(region.deletes.is_empty());
        }
        assert!(plan.untag.is_empty());
    }

    #[test]
    fn a_changed_value_is_always_written_and_unchanged_ones_are_left_alone() {
        let old = two_regions(json!({"/a": "1", "/b": "2"}), json!({}));
        let new = two_regions(json!({"/a": "1", "/b": "3"}), json!({}));
        let plan = plan_update(Some(&old), &new);
        assert_eq!(plan.regions.len(), 2);
        for region in &plan.regions {
            assert_eq!(names(&region.writes), vec![("/b", Write::Overwrite)]);
            assert!(region.deletes.is_empty());
        }
    }

    #[test]
    fn added_and_removed_names_and_regions_are_written_and_deleted() {
        let old = two_regions(json!({"/a": "1", "/gone": "2"}), json!({}));
        let mut new = two_regions(json!({"/a": "1", "/new": "3"}), json!({}));
        new.regions = vec!["eu-west-1".into(), "eu-central-1".into()];
        let plan = plan_update(Some(&old), &new);
        let expected = vec![
            RegionPlan {
                region: "eu-west-1".into(),
                writes: vec![("/new".into(), Write::Create)],
                deletes: vec!["/gone".into()],
            },
            RegionPlan {
                region: "eu-central-1".into(),
                writes: vec![("/a".into(), Write::Create), ("/new".into(), Write::Create)],
                deletes: vec![],
            },
            RegionPlan {
                region: "ap-southeast-2".into(),
                writes: vec![],
                deletes: vec!["/a".into(), "/gone".into()],
            },
        ];
        assert_eq!(plan.regions, expected);
    }

    #[test]
    fn changed_settings_rewrite_every_name() {
        let old = two_regions(json!({"/a": "1", "/b": "2"}), json!({}));
        for change in [
            json!({"Description": "new"}),
            json!({"Tier": "Advanced"}),
            json!({"Type": "SecureString"}),
            json!({"Type": "SecureString", "KeyId": "alias/app"}),
        ] {
            let new = two_regions(json!({"/a": "1", "/b": "2"}), change.clone());
            let plan = plan_update(Some(&old), &new);
            assert_eq!(plan.regions.len(), 2);
            for region in &plan.regions {
                assert_eq!(
                    names(&region.writes),
                    vec![("/a", Write::Overwrite), ("/b", Write::Overwrite)],
                    "{change}"
                );
            }
        }
    }

    #[test]
    fn changed_tags_retag_and_untag_the_kept_parameters() {
        let old = two_regions(
            json!({"/a": "1"}),
            json!({"Tags": [{"Key": "x", "Value": "1"}, {"Key": "y", "Value": "1"}]}),
        );
        let new = two_regions(json!({"/a": "1"}), json!({"Tags": [{"Key": "y", "Value": "2"}]}));
        let plan = plan_update(Some(&old), &new);
        assert_eq!(names(&plan.regions[0].writes), vec![("/a", Write::Retag)]);
        assert_eq!(plan.untag, vec!["x"]);
        let reordered = two_regions(
            json!({"/a": "1"}),
            json!({"Tags": [{"Key": "y", "Value": "1"}, {"Key": "x", "Value": "1"}]}),
        );
        assert_eq!(plan_update(Some(&old), &reordered), Plan::default());
    }

    #[test]
    fn unknown_old_properties_write_everything_and_remove_nothing() {
        let new = two_regions(json!({"/a": "1"}), json!({}));
        let plan = plan_update(None, &new);
        assert_eq!(plan.regions.len(), 2);
        assert!(plan.regions.iter().all(|r| r.deletes.is_empty() && r.writes.len() == 1));
    }
}
