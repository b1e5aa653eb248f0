//! Decoding `ResourceProperties` into a resource type's typed properties struct.
//!
//! CloudFormation sends every scalar as a string (`"true"`, `"7"`) while the CDK Provider framework and
//! hand-written tests send native JSON; the [`flex`] functions accept both. A property the struct does
//! not define is an error naming it, so that a typo never silently falls back to a default.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::Error;

/// Properties that CloudFormation or the CDK add to every custom resource; they are not ours to read.
const IGNORED: [&str; 2] = ["ServiceToken", "ServiceTimeout"];

/// Decodes `properties` into `T`, reporting unknown properties first (a typo explains more than the
/// type error it may cause), then the first invalid value with its path (`Tags[0].Key`).
pub fn decode<T: DeserializeOwned>(resource_type: &'static str, properties: &Map<String, Value>) -> Result<T, Error> {
    let mut properties = properties.clone();
    for name in IGNORED {
        properties.remove(name);
    }
    let mut unknown = Vec::new();
    let mut record = |path: serde_ignored::Path| unknown.push(path.to_string());
    let deserializer = serde_ignored::Deserializer::new(Value::Object(properties), &mut record);
    let decoded: Result<T, _> = serde_path_to_error::deserialize(deserializer);
    if let Some(property) = unknown.into_iter().next() {
        // serde_ignored marks the inside of an `Option` with a `?` segment; the template has none.
        return Err(Error::UnknownProperty {
            property: property.replace(".?.", "."),
            resource_type,
        });
    }
    decoded.map_err(|err| Error::InvalidProperty {
        property: err.path().to_string(),
        resource_type,
        reason: err.into_inner().to_string(),
    })
}

/// A `{Key, Value}` tag, as CloudFormation writes tags.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// Tag key.
    pub key: String,
    /// Tag value; numbers and booleans are taken as their text.
    #[serde(deserialize_with = "flex::scalar")]
    pub value: String,
}

/// Deserializers that accept a value as native JSON or as the string CloudFormation makes of it.
/// Each returns `None` for an absent or `null` property (use with `#[serde(default)]`).
pub mod flex {
    use std::collections::BTreeMap;

    use serde::Deserialize;
    use serde::de::{Deserializer, Error as _};
    use serde_json::Value;

    /// Shows a rejected value briefly and safely (never more than 40 characters of it).
    fn shown(value: &Value) -> String {
        let text = value.to_string();
        match text.char_indices().nth(40) {
            Some((cut, _)) => format!("{}...", &text[..cut]),
            None => text,
        }
    }

    /// `true`/`false` or `"true"`/`"false"` (any case).
    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            other => Err(D::Error::custom(format!(
                "expected true or false, got {}",
                shown(&other)
            ))),
        }
    }

    /// A non-negative whole number, native or as a string (`7`, `"7"`).
    pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
        let value = Value::deserialize(d)?;
        let parsed = match &value {
            Value::Null => return Ok(None),
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            Value::String(s) => s.trim().parse::<u32>().ok(),
            _ => None,
        };
        parsed
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a whole number, got {}", shown(&value))))
    }

    /// A string; a number or boolean is taken as its text.
    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(D::Error::custom(format!("expected a string, got {}", shown(&other)))),
        }
    }

    /// Like [`string`], for a value that must be present.
    pub fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        string(d)?.ok_or_else(|| D::Error::custom("expected a string, got null"))
    }

    /// A list of strings: a JSON array, or one string of comma-separated items (as a CloudFormation
    /// `CommaDelimitedList` parameter may arrive). Items are trimmed; empty items are an error.
    pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        let items: Vec<Value> = match Value::deserialize(d)? {
            Value::Null => return Ok(None),
            Value::Array(items) => items,
            Value::String(s) if s.trim().is_empty() => Vec::new(),
            Value::String(s) => s.split(',').map(|item| Value::String(item.to_string())).collect(),
            other => {
                return Err(D::Error::custom(format!(
                    "expected a list of strings, got {}",
                    shown(&other)
                )));
            }
        };
        items
            .into_iter()
            .map(|item| match item {
                Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
                other => Err(D::Error::custom(format!(
                    "expected a list of non-empty strings, found the item {}",
                    shown(&other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// A map of names to strings (numbers and booleans taken as their text). The values may be
    /// secrets, so an error names the key of a bad value but never shows the value.
    pub fn string_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, String>>, D::Error> {
        let entries = match Value::deserialize(d)? {
            Value::Null => return Ok(None),
            Value::Object(entries) => entries,
            _ => return Err(D::Error::custom("expected a map of names to string values")),
        };
        entries
            .into_iter()
            .map(|(key, value)| match value {
                Value::String(s) => Ok((key, s)),
                Value::Number(n) => Ok((key, n.to_string())),
                Value::Bool(b) => Ok((key, b.to_string())),
                _ => Err(D::Error::custom(format!(
                    "the value of '{key}' must be a string, not a list, a map or null"
                ))),
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Some)
    }

    /// A JSON document given as an object or as a string holding a JSON object; returned as text.
    pub fn json_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            object @ Value::Object(_) => Ok(Some(object.to_string())),
            Value::String(text) => match serde_json::from_str::<Value>(&text) {
                Ok(Value::Object(_)) => Ok(Some(text)),
                Ok(other) => Err(D::Error::custom(format!(
                    "expected a JSON object, got the JSON value {}",
                    shown(&other)
                ))),
                Err(err) => Err(D::Error::custom(format!("the string is not valid JSON ({err})"))),
            },
            other => Err(D::Error::custom(format!(
                "expected a JSON object, got {}",
                shown(&other)
            ))),
        }
    }
}

#[cfg(test)]
mod tests;
