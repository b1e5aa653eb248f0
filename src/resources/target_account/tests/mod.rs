//! The rules of `RoleArn` and `ExternalId` that need no AWS call.

use super::*;

const RESOURCE: &str = "Custom::CrossRegionParameter";
const ROLE: &str = "arn:aws:iam::210987654321:role/mrk-provider-target";

fn role(arn: &str, external_id: Option<&str>) -> Result<Option<TargetRole>, Error> {
    TargetRole::from_properties(RESOURCE, Some(arn.to_string()), external_id.map(str::to_string))
}

fn scope(patterns: &[&str]) -> Scope {
    Scope {
        assumable_role_arns: patterns.iter().map(|p| p.to_string()).collect(),
        ..Scope::default()
    }
}

fn reason(result: Result<impl std::fmt::Debug, Error>) -> String {
    result.expect_err("expected an error").to_string()
}

#[test]
fn a_role_arn_gives_its_partition_and_account() {
    let parsed = role(
        "arn:aws-cn:iam::210987654321:role/path/to/mrk-provider-target",
        Some("ab"),
    )
    .unwrap()
    .unwrap();
    assert_eq!(parsed.partition, "aws-cn");
    assert_eq!(parsed.account, "210987654321");
    assert_eq!(parsed.external_id.as_deref(), Some("ab"));
    assert_eq!(TargetRole::from_properties(RESOURCE, None, None).unwrap(), None);
}

#[test]
fn anything_but_an_iam_role_arn_is_refused() {
    for bad in [
        "mrk-provider-target",
        "arn:aws:iam::210987654321:user/someone",
        "arn:aws:sts::210987654321:assumed-role/r/s",
        "arn:aws:iam:us-east-1:210987654321:role/r",
        "arn:aws:iam::21098765432:role/r",
        "arn:aws:iam::21098765432x:role/r",
        "arn:nope:iam::210987654321:role/r",
        "arn:aws:iam::210987654321:role/",
        "arn:aws:iam::210987654321:role/path/",
        "arn:aws:iam::210987654321:role/a b",
        "arn:aws:iam::210987654321:role/*",
    ] {
        let why = reason(role(bad, None));
        assert!(why.starts_with("invalid property 'RoleArn'"), "{bad}: {why}");
        assert!(why.contains("is not an IAM role ARN"), "{bad}: {why}");
    }
    // The longest resource part is `role` (4), a 512-character path and a 64-character name: 580.
    let path = format!("/{}/", "p".repeat(510));
    let longest = format!("arn:aws:iam::210987654321:role{path}{}", "n".repeat(64));
    assert!(role(&longest, None).is_ok(), "{longest}");
    let long = format!("arn:aws:iam::210987654321:role{path}{}", "n".repeat(65));
    assert!(reason(role(&long, None)).contains("is not an IAM role ARN"));
    // A path one character longer than IAM's, with a name of the longest allowed: 581, refused.
    let long_path = format!("/{}/", "p".repeat(511));
    let long = format!("arn:aws:iam::210987654321:role{long_path}{}", "n".repeat(64));
    assert!(reason(role(&long, None)).contains("is not an IAM role ARN"), "{long}");
}

#[test]
fn an_external_id_follows_sts_rules_and_needs_a_role() {
    for good in ["ab", "tenant-1:prod/x=y,z@w.v_+", &"x".repeat(1224)] {
        assert!(role(ROLE, Some(good)).is_ok(), "{good}");
    }
    for bad in ["a", "has space", "semi;colon", &"x".repeat(1225)] {
        let why = reason(role(ROLE, Some(bad)));
        assert!(why.starts_with("invalid property 'ExternalId'"), "{bad}: {why}");
    }
    let why = reason(TargetRole::from_properties(RESOURCE, None, Some("abc".into())));
    assert!(why.contains("without RoleArn"), "{why}");
}

#[test]
fn a_role_must_match_one_of_the_assumable_role_arns() {
    let target = role(ROLE, None).unwrap().unwrap();
    let check = |patterns: &[&str]| target.check_allowed(&scope(patterns), RESOURCE, ["eu-west-1"]);
    assert!(check(&[ROLE]).is_ok());
    assert!(check(&["arn:aws:iam::*:role/mrk-provider-*"]).is_ok());
    assert!(check(&["arn:aws:iam::2109876543??:role/mrk-provider-target"]).is_ok());
    assert!(check(&["arn:aws:iam::111122223333:role/x", ROLE]).is_ok());

    let why = reason(check(&[]));
    assert!(
        why.contains("may assume no role (its AssumableRoleArns is empty)"),
        "{why}"
    );
    let why = reason(check(&["arn:aws:iam::111122223333:role/mrk-provider-target"]));
    assert!(
        why.contains(
            "is not one of this provider's AssumableRoleArns (arn:aws:iam::111122223333:role/mrk-provider-target)"
        ),
        "{why}"
    );
    // '?' is one character, matching is case-sensitive, and a pattern covers the whole ARN
    assert!(check(&["arn:aws:iam::2109876543?:role/mrk-provider-target"]).is_err());
    assert!(check(&["arn:aws:iam::210987654321:role/MRK-PROVIDER-TARGET"]).is_err());
    assert!(check(&["arn:aws:iam::210987654321:role/mrk-provider"]).is_err());
}

#[test]
fn a_role_of_another_partition_than_the_regions_is_refused() {
    let target = role("arn:aws-cn:iam::210987654321:role/t", None).unwrap().unwrap();
    let allowed = scope(&["arn:*:iam::*:role/t"]);
    assert!(target.check_allowed(&allowed, RESOURCE, ["cn-north-1"]).is_ok());
    let why = reason(target.check_allowed(&allowed, RESOURCE, ["cn-north-1", "eu-west-1"]));
    assert!(
        why.contains("a role of partition aws-cn, but eu-west-1 is in aws"),
        "{why}"
    );
}

#[test]
fn the_session_name_names_the_stack_within_stss_rules() {
    let stack = |name: &str| format!("arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/5b6f2a10");
    assert_eq!(session_name(&stack("app-keys")), "mrk-provider-app-keys");
    let long = session_name(&stack(&format!("a{}", "b".repeat(127))));
    assert_eq!(long.len(), MAX_SESSION_NAME);
    assert!(long.starts_with("mrk-provider-abbb"));
    // characters STS refuses are left out, whatever the event says
    assert_eq!(session_name(&stack("we ird;na*me")), "mrk-provider-weirdname");
}

#[test]
fn sts_access_denied_is_said_as_the_trust_policy_to_fix() {
    let scope = Scope {
        provider_role_arn: Some("arn:aws:iam::123456789012:role/provider".into()),
        ..Scope::default()
    };
    let target = role(ROLE, Some("tenant-1")).unwrap().unwrap();
    let denied = || Error::Aws {
        operation: "AssumeRole",
        region: "us-east-1".into(),
        code: "AccessDenied".into(),
        message: "not authorized to perform: sts:AssumeRole".into(),
        fault: crate::error::Fault::AccessDenied,
    };
    let said = not_assumable(&scope, &target, denied()).to_string();
    assert_eq!(
        said,
        "the role arn:aws:iam::210987654321:role/mrk-provider-target could not be assumed (AccessDenied: \
         not authorized to perform: sts:AssumeRole); check that it exists and that its trust policy allows \
         sts:AssumeRole by arn:aws:iam::123456789012:role/provider, with the ExternalId this resource gives \
         (target-account.yaml creates such a role)"
    );
    let without_id = role(ROLE, None).unwrap().unwrap();
    let said = not_assumable(&Scope::default(), &without_id, denied()).to_string();
    assert!(
        said.contains("by the provider's role (the RoleArn output of its stack) (target"),
        "{said}"
    );
    // any other error stays as it was
    let throttled = Error::Aws {
        operation: "AssumeRole",
        region: "us-east-1".into(),
        code: "Throttling".into(),
        message: "slow down".into(),
        fault: crate::error::Fault::Throttled,
    };
    assert!(matches!(not_assumable(&scope, &target, throttled), Error::Aws { .. }));
}

#[test]
fn a_role_outside_the_assumable_role_accounts_is_refused_and_one_inside_accepted() {
    // GIVEN a deployment that lists a wildcard role pattern, bounded to two accounts
    let bounded = Scope {
        assumable_role_accounts: Some(["111122223333".to_string(), "210987654321".to_string()].into()),
        ..scope(&["arn:aws:iam::*:role/mrk-provider-target"])
    };
    // THEN a role of a listed account passes, and the same role name elsewhere is refused
    let inside = role(ROLE, None).unwrap().unwrap();
    assert!(inside.check_allowed(&bounded, RESOURCE, ["eu-west-1"]).is_ok());
    let outside = role("arn:aws:iam::444455556666:role/mrk-provider-target", None)
        .unwrap()
        .unwrap();
    assert_eq!(
        reason(outside.check_allowed(&bounded, RESOURCE, ["eu-west-1"])),
        "invalid property 'RoleArn' for Custom::CrossRegionParameter: \
         'arn:aws:iam::444455556666:role/mrk-provider-target' is a role of account 444455556666, which is not \
         one of this provider's AssumableRoleAccounts (111122223333, 210987654321); name a role in one of \
         them, or deploy the provider with that account added"
    );
}
