//! SSM parameter names, checked before any call (docs/reference.md, section 4): SSM's own rules, and the function's
//! path prefix (`PARAMETER_PREFIX`), which both parameter resource types obey.

/// The longest name SSM accepts (its 2048-character limit includes 1037 reserved for itself).
pub const MAX_NAME_LENGTH: usize = 1011;
/// The deepest hierarchy SSM accepts.
pub const MAX_LEVELS: usize = 15;
/// The most parameter names one resource may write or read: far more than fit in one answer's
/// attributes, so real use never reaches it; it bounds the work a single request can ask for.
pub const MAX_NAMES_PER_RESOURCE: usize = 500;

/// Checks that a resource names at most [`MAX_NAMES_PER_RESOURCE`] parameters; the problem, as a phrase
/// that says how they were given (`"names are listed"`), when it names more.
pub fn check_count(count: usize, given: &str) -> Result<(), String> {
    if count > MAX_NAMES_PER_RESOURCE {
        return Err(format!(
            "{count} {given}; at most {MAX_NAMES_PER_RESOURCE} are accepted"
        ));
    }
    Ok(())
}

/// Checks one parameter name; the error says what is wrong with it, in words a user can act on.
///
/// `prefix` is a path: `/app` and `/app/` both allow `/app/anything` and nothing else (not `/app`
/// itself, not `/application`); `/` allows every name.
pub fn check(name: &str, prefix: &str) -> Result<(), String> {
    let shown = brief(name);
    if !name.starts_with('/') {
        return Err(format!("'{shown}' must start with '/'"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/')))
    {
        return Err(format!(
            "'{shown}' contains {bad:?}; SSM allows only letters a-z and A-Z, digits, '_', '.', '-' and '/'"
        ));
    }
    let length = name.len();
    if length > MAX_NAME_LENGTH {
        return Err(format!(
            "'{shown}' is {length} characters long; SSM allows at most {MAX_NAME_LENGTH}"
        ));
    }
    let levels: Vec<&str> = name[1..].split('/').collect();
    if levels.iter().any(|level| level.is_empty()) {
        return Err(format!("'{shown}' has an empty level (a '//' or a '/' at the end)"));
    }
    if levels.len() > MAX_LEVELS {
        return Err(format!(
            "'{shown}' has {} levels; SSM allows at most {MAX_LEVELS}",
            levels.len()
        ));
    }
    let first = levels[0].to_ascii_lowercase();
    if first.starts_with("aws") || first.starts_with("ssm") {
        return Err(format!(
            "'{shown}' starts with '{}'; SSM reserves names that begin with aws or ssm (in any case)",
            &levels[0][..3]
        ));
    }
    let base = prefix.trim_end_matches('/');
    let under = base.is_empty() || name.strip_prefix(base).is_some_and(|rest| rest.starts_with('/'));
    if !under {
        return Err(format!(
            "'{shown}' is outside this provider's PARAMETER_PREFIX '{prefix}'; use a name that starts with '{base}/'"
        ));
    }
    Ok(())
}

/// A long name cut for an error message.
fn brief(name: &str) -> String {
    match name.char_indices().nth(80) {
        Some((cut, _)) => format!("{}...", &name[..cut]),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_ssm_accepts_pass() {
        for good in [
            "/app/key-arn",
            "/a",
            "/App_1/v1.2/x-y",
            "/awesome/x",
            "/sm/x",
            "/app/ssm",
        ] {
            assert_eq!(check(good, "/"), Ok(()), "{good}");
        }
        let deepest = format!("/{}", vec!["l"; MAX_LEVELS].join("/"));
        assert_eq!(check(&deepest, "/"), Ok(()));
        let longest = format!("/{}", "n".repeat(MAX_NAME_LENGTH - 1));
        assert_eq!(check(&longest, "/"), Ok(()));
    }

    #[test]
    fn each_broken_rule_is_named() {
        let reason = |name: &str| check(name, "/").unwrap_err();
        assert!(reason("app/key").contains("must start with '/'"));
        assert!(reason("/app/key arn").contains("contains ' '"));
        assert!(reason("/app/ké").contains("contains 'é'"));
        assert!(reason("/app/k$y").contains("contains '$'"));
        assert!(reason("/app//key").contains("empty level"));
        assert!(reason("/app/").contains("empty level"));
        assert!(reason("/").contains("empty level"));
        let too_deep = format!("/{}", vec!["l"; MAX_LEVELS + 1].join("/"));
        assert!(reason(&too_deep).contains("has 16 levels; SSM allows at most 15"));
        let too_long = format!("/{}", "n".repeat(MAX_NAME_LENGTH));
        let err = reason(&too_long);
        assert!(
            err.contains("is 1012 characters long; SSM allows at most 1011"),
            "{err}"
        );
        assert!(err.len() < 200, "a long name is cut in the message");
    }

    #[test]
    fn a_resource_may_name_up_to_the_bound_and_not_one_more() {
        assert_eq!(check_count(0, "names are listed"), Ok(()));
        assert_eq!(check_count(MAX_NAMES_PER_RESOURCE, "names are listed"), Ok(()));
        assert_eq!(
            check_count(MAX_NAMES_PER_RESOURCE + 1, "names are listed"),
            Err("501 names are listed; at most 500 are accepted".to_string())
        );
    }

    #[test]
    fn the_aws_and_ssm_prefixes_are_reserved_in_any_case() {
        for reserved in ["/aws/x", "/AWS/x", "/awsKey", "/ssm/x", "/SsM-params/x"] {
            let err = check(reserved, "/").unwrap_err();
            assert!(
                err.contains("SSM reserves names that begin with aws or ssm"),
                "{reserved}: {err}"
            );
        }
    }

    #[test]
    fn the_prefix_is_a_path_with_or_without_its_trailing_slash() {
        for prefix in ["/app", "/app/"] {
            assert_eq!(check("/app/key-arn", prefix), Ok(()));
            assert_eq!(check("/app/deep/er", prefix), Ok(()));
            for outside in ["/app", "/application/x", "/other/app/x"] {
                let err = check(outside, prefix).unwrap_err();
                assert!(
                    err.contains("outside this provider's PARAMETER_PREFIX"),
                    "{outside}: {err}"
                );
                assert!(err.contains("starts with '/app/'"), "{err}");
            }
        }
        assert_eq!(check("/anything", "/"), Ok(()));
    }

    /// One case of `parameterNames` in the table that the CDK constructs' tests read too.
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NameCase {
        name: String,
        prefix: String,
        valid: bool,
        error: Option<String>,
        length: Option<usize>,
        why: String,
    }

    #[derive(serde::Deserialize)]
    struct Table {
        #[serde(rename = "parameterNames")]
        parameter_names: Vec<NameCase>,
    }

    /// What is wrong with one case, or `None` when `check` agrees with the table.
    fn disagreement(case: &NameCase) -> Option<String> {
        let NameCase { name, prefix, why, .. } = case;
        let shown = format!("{:?} under {prefix:?} ({why})", brief(name));
        if let Some(length) = case.length.filter(|&length| length != name.chars().count()) {
            return Some(format!(
                "{shown}: the table says {length} characters, the name has {}",
                name.chars().count()
            ));
        }
        match (check(name, prefix), case.valid, &case.error) {
            (Ok(()), true, None) => None,
            (Ok(()), false, _) => Some(format!("{shown}: accepted, but the table refuses it")),
            (Err(reason), true, _) => Some(format!("{shown}: refused ({reason}), but the table accepts it")),
            (Err(reason), false, Some(error)) if reason.contains(error.as_str()) => None,
            (Err(reason), false, Some(error)) => {
                Some(format!("{shown}: refused with {reason:?}, which lacks {error:?}"))
            }
            (_, false, None) => Some(format!("{shown}: a refused case needs the error its message contains")),
            (_, true, Some(_)) => Some(format!("{shown}: an accepted case has no error")),
        }
    }

    #[test]
    fn every_case_of_the_shared_validation_table_agrees() {
        let table: Table = serde_json::from_str(include_str!("../../tests/fixtures/validation-cases.json"))
            .expect("tests/fixtures/validation-cases.json is a valid table");
        assert!(table.parameter_names.len() > 50, "the table has its parameter names");
        let wrong: Vec<String> = table.parameter_names.iter().filter_map(disagreement).collect();
        assert!(
            wrong.is_empty(),
            "{} of {} parameterNames cases in tests/fixtures/validation-cases.json disagree with check():\n{}",
            wrong.len(),
            table.parameter_names.len(),
            wrong.join("\n")
        );
    }
}
