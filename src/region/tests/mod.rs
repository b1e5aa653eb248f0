use super::*;

#[test]
fn commercial_regions_are_in_the_aws_partition() {
    assert_eq!(partition_of("eu-west-1"), Some("aws"));
    assert_eq!(partition_of("ap-southeast-2"), Some("aws"));
    assert_eq!(partition_of("us-east-1"), Some("aws"));
}

#[test]
fn other_partitions_are_recognised() {
    assert_eq!(partition_of("cn-north-1"), Some("aws-cn"));
    assert_eq!(partition_of("us-gov-west-1"), Some("aws-us-gov"));
    assert_eq!(partition_of("us-iso-east-1"), Some("aws-iso"));
    assert_eq!(partition_of("us-isob-east-1"), Some("aws-iso-b"));
    assert_eq!(partition_of("eu-isoe-west-1"), Some("aws-iso-e"));
    assert_eq!(partition_of("us-isof-south-1"), Some("aws-iso-f"));
}

#[test]
fn a_region_list_must_be_non_empty_unique_and_in_one_partition() {
    let list = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(check_list(&list(&["eu-west-1", "ap-southeast-2"])), Ok("aws"));
    assert_eq!(check_list(&list(&["cn-north-1"])), Ok("aws-cn"));
    assert!(check_list(&[]).unwrap_err().contains("the list is empty"));
    assert!(
        check_list(&list(&["eu-west-1", "Ireland"]))
            .unwrap_err()
            .contains("'Ireland' is not a region name")
    );
    assert!(
        check_list(&list(&["eu-west-1", "eu-west-1"]))
            .unwrap_err()
            .contains("listed twice")
    );
    assert!(
        check_list(&list(&["eu-west-1", "cn-north-1"]))
            .unwrap_err()
            .contains("partition aws-cn")
    );
}

#[test]
fn an_arn_splits_only_with_a_region_of_its_partition_and_a_12_digit_account() {
    let parts = parse_arn("arn:aws-cn:kms:cn-north-1:123456789012:key/mrk-1").unwrap();
    assert_eq!(
        (
            parts.partition,
            parts.service,
            parts.region,
            parts.account,
            parts.resource
        ),
        ("aws-cn", "kms", "cn-north-1", "123456789012", "key/mrk-1")
    );
    assert_eq!(
        parse_arn("arn:aws:lambda:us-east-1:123456789012:function:f:live").map(|p| p.resource),
        Some("function:f:live")
    );
    for bad in [
        "arn:aws:kms:cn-north-1:123456789012:key/x",
        "arn:aws:kms:us-east-1:12345678901:key/x",
        "arn:aws:kms:us-east-1:1234567890ab:key/x",
        "arn:aws:kms:us-east-1:123456789012",
        "aws:kms:us-east-1:123456789012:key/x",
        "",
    ] {
        assert_eq!(parse_arn(bad), None, "{bad}");
    }
}

#[test]
fn text_that_is_not_a_region_is_rejected() {
    for bad in [
        "",
        "eu-west",
        "EU-WEST-1",
        "eu west 1",
        "eu-west-123",
        "west-1-eu",
        "eu--1",
        "us-east-1 ",
    ] {
        assert_eq!(partition_of(bad), None, "{bad:?} should not be a region");
    }
}

/// The region sections of the table that the CDK constructs' tests read too.
#[derive(serde::Deserialize)]
struct Table {
    regions: Vec<RegionCase>,
    #[serde(rename = "regionLists")]
    region_lists: Vec<ListCase>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RegionCase {
    region: String,
    partition: Option<String>,
    why: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ListCase {
    regions: Vec<String>,
    partition: Option<String>,
    error: Option<String>,
    why: String,
}

fn table() -> Table {
    serde_json::from_str(include_str!("../../../tests/fixtures/validation-cases.json"))
        .expect("tests/fixtures/validation-cases.json is a valid table")
}

/// Asserts that `disagreement` finds nothing wrong with any of `cases`, the `kind` section of the
/// table, which must hold more than `at_least` cases.
fn assert_all_agree<T>(
    kind: &str,
    checked: &str,
    cases: &[T],
    at_least: usize,
    disagreement: impl Fn(&T) -> Option<String>,
) {
    assert!(cases.len() > at_least, "the table has its {kind}");
    let wrong: Vec<String> = cases.iter().filter_map(disagreement).collect();
    assert!(
        wrong.is_empty(),
        "{} of {} {kind} cases in tests/fixtures/validation-cases.json disagree with {checked}:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_region_of_the_shared_validation_table_agrees() {
    assert_all_agree("regions", "partition_of()", &table().regions, 30, |case| {
        let got = partition_of(&case.region);
        (got != case.partition.as_deref()).then(|| {
            format!(
                "{:?} ({}): partition_of gives {got:?}, the table {:?}",
                case.region, case.why, case.partition
            )
        })
    });
}

#[test]
fn every_region_list_of_the_shared_validation_table_agrees() {
    assert_all_agree("regionLists", "check_list()", &table().region_lists, 15, |case| {
        let shown = format!("{:?} ({})", case.regions, case.why);
        match (check_list(&case.regions), &case.partition, &case.error) {
            (Ok(got), Some(want), None) if got == want.as_str() => None,
            (Ok(got), Some(want), None) => Some(format!("{shown}: partition {got}, the table {want}")),
            (Ok(got), None, _) => Some(format!("{shown}: accepted ({got}), but the table refuses it")),
            (Err(reason), Some(_), _) => Some(format!("{shown}: refused ({reason}), but the table accepts it")),
            (Err(reason), None, Some(error)) if reason.contains(error.as_str()) => None,
            (Err(reason), None, Some(error)) => {
                Some(format!("{shown}: refused with {reason:?}, which lacks {error:?}"))
            }
            (_, None, None) => Some(format!("{shown}: a refused case needs the error its message contains")),
            (_, Some(_), Some(_)) => Some(format!("{shown}: an accepted case has no error")),
        }
    });
}
