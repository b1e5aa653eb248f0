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
        (Err(reason), false, Some(error)) => Some(format!("{shown}: refused with {reason:?}, which lacks {error:?}")),
        (_, false, None) => Some(format!("{shown}: a refused case needs the error its message contains")),
        (_, true, Some(_)) => Some(format!("{shown}: an accepted case has no error")),
    }
}

#[test]
fn every_case_of_the_shared_validation_table_agrees() {
    let table: Table = serde_json::from_str(include_str!("../../../../tests/fixtures/validation-cases.json"))
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
