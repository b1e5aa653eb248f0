//! `Custom::CrossRegionParameterReader` properties (docs/reference.md, section 5): decoding and validation.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::region::partition_of;
use crate::resources::parameter_names;
use crate::resources::properties::{self, flex};
use crate::resources::target_account::TargetRole;

/// The resource type whose properties this module reads.
pub const RESOURCE_TYPE: &str = "Custom::CrossRegionParameterReader";

/// The properties as written in a template, before validation.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Properties {
    /// The region to read from.
    #[serde(default, deserialize_with = "flex::string")]
    region: Option<String>,
    /// The parameter names to read.
    #[serde(default, deserialize_with = "flex::string_list")]
    names: Option<Vec<String>>,
    /// Instead of `Names`: the path whose parameters are read.
    #[serde(default, deserialize_with = "flex::string")]
    path: Option<String>,
    /// With `Path`: read every level below it, not only the first; default false.
    #[serde(default, deserialize_with = "flex::bool")]
    recursive: Option<bool>,
    /// Decrypt SecureString values; default false.
    #[serde(default, deserialize_with = "flex::bool")]
    with_decryption: Option<bool>,
    /// The role whose account is read from; default: the function's own account.
    #[serde(default, deserialize_with = "flex::string")]
    role_arn: Option<String>,
    /// Passed to AssumeRole with `RoleArn`.
    #[serde(default, deserialize_with = "flex::string")]
    external_id: Option<String>,
    /// Any string; a changed value makes CloudFormation send an Update, which re-reads every name.
    #[serde(default, deserialize_with = "flex::string")]
    refresh: Option<String>,
}

/// Validated `Custom::CrossRegionParameterReader` properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// The region to read from.
    pub region: String,
    /// What is read: the names listed, or every parameter under a path.
    pub read: Read,
    /// Decrypt SecureString values.
    pub with_decryption: bool,
    /// The role whose account is read from; `None`: the function's own account.
    pub role: Option<TargetRole>,
    /// `Refresh`: otherwise ignored, since every Create and Update reads every name anyway.
    pub refresh: Option<String>,
}

/// What a reader reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// `Names`, in the template's order.
    Names(Vec<String>),
    /// `Path`, without a trailing '/' (`/` itself for the root), and `Recursive`.
    Path {
        /// The path.
        path: String,
        /// Every level below it, not only the first.
        recursive: bool,
    },
}

/// The most parameters a reader reads under a `Path`: as many as `Names` may list. Past it the
/// request is FAILED with the count read, never answered with a part of them.
pub const MAX_PARAMETERS_UNDER_PATH: usize = parameter_names::MAX_NAMES_PER_RESOURCE;

/// `true` when every parameter under `path` (no trailing '/') is under `prefix` (a path with or
/// without its trailing '/', as `DECRYPT_PREFIX` is): the path is the prefix itself or below it.
pub fn path_within(path: &str, prefix: &str) -> bool {
    let base = prefix.trim_end_matches('/');
    base.is_empty() || path == base || path.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'))
}

/// `Path` checked and without its one trailing '/': a path obeys the rules of a name ([`parameter_names::check`]):
/// SSM's syntax, and below `prefix` (not the prefix itself, as for a name: IAM grants the provider
/// `parameter<prefix>*`, which is the ARN of every path below the prefix). The root `/` is a path only
/// for a provider of every name.
fn checked_path(path: &str, prefix: &str) -> Result<String, Error> {
    if path == "/" {
        return match prefix.trim_end_matches('/') {
            "" => Ok("/".into()),
            base => Err(invalid(
                "Path",
                format!(
                    "'/' is outside this provider's PARAMETER_PREFIX '{prefix}'; use a path that starts with '{base}/'"
                ),
            )),
        };
    }
    // One trailing '/' is the same path; more is an empty level, as in a name.
    let path = path.strip_suffix('/').unwrap_or(path);
    parameter_names::check(path, prefix).map_err(|reason| invalid("Path", reason))?;
    Ok(path.to_string())
}

fn invalid(property: &str, reason: impl Into<String>) -> Error {
    Error::invalid(RESOURCE_TYPE, property, reason)
}

impl Spec {
    /// Decodes and validates properties, names against `prefix` (the function's `PARAMETER_PREFIX`);
    /// no AWS call is made before this succeeds.
    pub fn from_properties(properties: &Map<String, Value>, prefix: &str) -> Result<Spec, Error> {
        let props: Properties = properties::decode(RESOURCE_TYPE, properties)?;
        let region = props.region.ok_or_else(|| Error::missing(RESOURCE_TYPE, "Region"))?;
        if partition_of(&region).is_none() {
            return Err(invalid("Region", format!("'{region}' is not a region name")));
        }
        let read = match (props.names, props.path) {
            (Some(_), Some(_)) => {
                return Err(invalid("Path", "give either Names or Path, not both"));
            }
            (None, None) => {
                return Err(invalid(
                    "Names",
                    "give Names (the parameters to read) or Path (a path whose parameters are all read)",
                ));
            }
            (Some(names), None) => {
                if props.recursive.is_some() {
                    return Err(invalid("Recursive", "applies only with Path; remove it or read a Path"));
                }
                Read::Names(checked_names(names, prefix)?)
            }
            (None, Some(path)) => Read::Path {
                path: checked_path(&path, prefix)?,
                recursive: props.recursive.unwrap_or(false),
            },
        };
        Ok(Spec {
            region,
            read,
            with_decryption: props.with_decryption.unwrap_or(false),
            role: TargetRole::from_properties(RESOURCE_TYPE, props.role_arn, props.external_id)?,
            refresh: props.refresh,
        })
    }
}

/// `Names` checked: a list of at most the bound, each a name within `prefix`, none twice.
fn checked_names(names: Vec<String>, prefix: &str) -> Result<Vec<String>, Error> {
    if names.is_empty() {
        return Err(invalid("Names", "the list is empty; name at least one parameter"));
    }
    parameter_names::check_count(names.len(), "names are listed").map_err(|reason| invalid("Names", reason))?;
    let mut seen = BTreeSet::new();
    for name in &names {
        parameter_names::check(name, prefix).map_err(|reason| invalid("Names", reason))?;
        if !seen.insert(name) {
            return Err(invalid("Names", format!("'{name}' is listed twice")));
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests;
