"""target-account.yaml: the role that a RoleArn names in another account (docs/reference.md sections 4-6). It trusts
only the provider's role, asks for the external id when one is set, and grants exactly what template.yaml
grants the provider on SSM parameters, in the role's own account."""

from __future__ import annotations

import re

import pytest

import cfn
from cfn import ROOT, actions, load, resolve, resources, templates

TEMPLATE = load("target-account.yaml")
PROVIDER = load("template.yaml")
PARAMETERS = TEMPLATE["Parameters"]
[ROLE_ID] = [name for name, r in TEMPLATE["Resources"].items() if r["Type"] == "AWS::IAM::Role"]

PROVIDER_ROLE = "arn:aws:iam::111111111111:role/mrk-provider-MrkProviderRole-AbC123"
TARGET_ACCOUNT = "222222222222"
# What a target account typically sets (ParameterPrefix and DecryptPrefix narrower than the defaults).
SCOPED = {
    "ProviderRoleArn": PROVIDER_ROLE,
    "AllowedRegions": "eu-west-1,ap-southeast-2",
    "ParameterPrefix": "/cross-region/app/",
    "DecryptPrefix": "/cross-region/app/secrets/",
}
# The SSM operations of src/aws/ssm.rs (GetParametersByPath: a reader's Path), and KMS through SSM for
# SecureStrings with a customer managed key.
CALLED = {
    "ssm:PutParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:DeleteParameters", "ssm:AddTagsToResource",
    "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource",
    "kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt",
}


def role(parameters: dict) -> dict:
    """The role's properties as CloudFormation creates them in the target account with `parameters`."""
    return resolve(TEMPLATE, parameters, account=TARGET_ACCOUNT)[ROLE_ID]["Properties"]


def trust(parameters: dict) -> dict:
    [statement] = role(parameters)["AssumeRolePolicyDocument"]["Statement"]
    return statement


def granted(parameters: dict) -> list[dict]:
    """The role's statements that allow, resolved with `parameters`."""
    return [statement for policy in role(parameters)["Policies"] for statement in policy["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Allow"]


def test_decryption_outside_this_accounts_decrypt_prefix_is_denied_for_every_key():
    denied = [statement for policy in role({**SCOPED, "DecryptPrefix": "/cross-region/app/secrets/"})["Policies"]
              for statement in policy["PolicyDocument"]["Statement"] if statement["Effect"] == "Deny"]
    [statement] = denied
    assert statement["Action"] == "kms:Decrypt" and statement["Resource"] == "*"
    [pattern] = cfn.as_list(statement["Condition"]["StringNotLike"]["kms:EncryptionContext:PARAMETER_ARN"])
    assert iam_matches(pattern, parameter_arn("/cross-region/app/secrets/db"))
    assert not iam_matches(pattern, parameter_arn("/cross-region/app/key-arn"))


def iam_matches(pattern: str, value: str) -> bool:
    """Whether IAM's `*` / `?` wildcard pattern (as in a Resource or a StringLike condition) matches `value`."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def parameter_arn(name: str, region: str = "eu-west-1", account: str = TARGET_ACCOUNT) -> str:
    return f"arn:aws:ssm:{region}:{account}:parameter{name}"


def test_the_template_is_plain_cloudformation_with_the_role_only():
    # A StackSet deploys it as it is (no transform), and it has nothing regional whose name could collide.
    assert "Transform" not in TEMPLATE
    assert [r["Type"] for r in TEMPLATE["Resources"].values()] == ["AWS::IAM::Role"]
    assert TEMPLATE["Outputs"]["RoleArn"]["Value"] == {"Fn::GetAtt": [ROLE_ID, "Arn"]}


def test_make_lint_covers_the_template():
    assert ROOT / "target-account.yaml" in templates()
    makefile = (ROOT / "Makefile").read_text()
    [listed] = re.findall(r"^TEMPLATES := (.*)$", makefile, re.M)
    assert "target-account.yaml" in listed.split()


def test_the_default_role_name_is_matched_by_the_assumable_role_arns_example():
    # GIVEN the role's default name, and the AssumableRoleArns value that template.yaml suggests
    name = PARAMETERS["RoleName"]["Default"]
    suggested = PROVIDER["Parameters"]["AssumableRoleArns"]["Description"]
    [example] = re.findall(r"arn:aws:iam::\*:role/[\w+=,.@-]+", suggested)
    # THEN that one entry matches the role in every account, and only a role of that name
    for account in ("222222222222", "333333333333"):
        assert iam_matches(example, f"arn:aws:iam::{account}:role/{name}")
    assert not iam_matches(example, f"arn:aws:iam::222222222222:role/{name}-admin")
    assert role({"ProviderRoleArn": PROVIDER_ROLE, "AllowedRegions": "eu-west-1"})["RoleName"] == name


def test_the_trust_policy_lets_in_the_provider_role_and_no_one_else():
    statement = trust({**SCOPED, "ExternalId": "workload-a"})
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": PROVIDER_ROLE}
    assert cfn.as_list(statement["Action"]) == ["sts:AssumeRole"]
    assert "NotPrincipal" not in statement and "NotAction" not in statement


def test_the_provider_role_arn_must_name_one_role():
    pattern = re.compile(PARAMETERS["ProviderRoleArn"]["AllowedPattern"])
    assert "Default" not in PARAMETERS["ProviderRoleArn"]
    for good in (PROVIDER_ROLE, "arn:aws-cn:iam::111111111111:role/path/to/mrk-provider"):
        assert pattern.fullmatch(good), good
    # a wildcard, an account root or another kind of principal would let in more than the provider
    for bad in ("*", "arn:aws:iam::111111111111:root", "arn:aws:iam::*:role/mrk-provider",
                "arn:aws:iam::111111111111:role/mrk-*", "arn:aws:iam::111111111111:user/deployer",
                "arn:aws:sts::111111111111:assumed-role/mrk-provider/session", "111111111111"):
        assert not pattern.fullmatch(bad), bad


def test_no_external_id_is_asked_for_by_default():
    assert PARAMETERS["ExternalId"]["Default"] == ""
    assert "Condition" not in trust(SCOPED)


def test_a_set_external_id_is_required_by_the_trust_policy():
    assert trust({**SCOPED, "ExternalId": "workload-a:7f3c"})["Condition"] == {
        "StringEquals": {"sts:ExternalId": "workload-a:7f3c"}}


def test_the_external_id_parameter_accepts_what_sts_accepts():
    # STS: 2 to 1224 characters of [\w+=,.@:/-] (ASCII \w, as in CloudFormation's Java patterns).
    pattern = re.compile(PARAMETERS["ExternalId"]["AllowedPattern"], re.ASCII)
    for good in ("", "ab", "x" * 1224, "Workload_A+=,.@:/-1"):
        assert pattern.fullmatch(good), good
    for bad in ("a", "x" * 1225, "with space", "semi;colon", "é-accent"):
        assert not pattern.fullmatch(bad), bad


def test_every_action_is_one_the_provider_needs_and_each_is_granted():
    for statement in granted(SCOPED):
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
    assert {a for s in granted(SCOPED) for a in actions(s)} == CALLED


def test_the_ssm_actions_are_those_template_yaml_grants_the_provider():
    def ssm_actions(template):
        return {a for _, s in cfn.statements(template) for a in actions(s)
                if a.startswith("ssm:") and s["Effect"] == "Allow"}

    assert ssm_actions(TEMPLATE) == ssm_actions(PROVIDER)
    assert ssm_actions(TEMPLATE) == {a for a in CALLED if a.startswith("ssm:")}


def test_the_policy_is_template_yaml_ssm_parameters_policy_statement_for_statement():
    # Both templates name their own account (${AWS::AccountId}); the same statements then scope the
    # provider's role to its account and this role to the target account.
    [provider_policy] = [p for p in PROVIDER["Resources"]["MrkProviderRole"]["Properties"]["Policies"]
                         if p.get("PolicyName") == "ssm-parameters"]
    [policy] = TEMPLATE["Resources"][ROLE_ID]["Properties"]["Policies"]
    # Less the provider's own ServiceToken parameter, which is in the provider's account only.
    provider_statements = [s for s in provider_policy["PolicyDocument"]["Statement"]
                           if s.get("Sid") != "NeverTheServiceTokenParameter"]
    assert policy["PolicyDocument"]["Statement"] == provider_statements
    assert TEMPLATE["Conditions"]["DecryptsSecureStrings"] == PROVIDER["Conditions"]["DecryptsSecureStrings"]


@pytest.mark.parametrize("name", ["AllowedRegions", "ParameterPrefix", "DecryptPrefix"])
def test_the_scope_parameters_mean_what_they_mean_in_template_yaml(name):
    mine, theirs = PARAMETERS[name], PROVIDER["Parameters"][name]
    for field in ("Type", "AllowedPattern", "Default"):
        assert mine.get(field) == theirs.get(field), f"{name}.{field}"


def test_every_statement_is_limited_to_the_allowed_regions():
    for statement in granted(SCOPED):
        assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["eu-west-1", "ap-southeast-2"]


def test_ssm_reaches_parameters_under_the_prefix_of_this_account_only():
    [statement] = [s for s in granted(SCOPED) if any(a.startswith("ssm:") for a in actions(s))]
    [pattern] = resources(statement)
    assert iam_matches(pattern, parameter_arn("/cross-region/app/key-arn"))
    assert iam_matches(pattern, parameter_arn("/cross-region/app/db/url", region="ap-southeast-2"))
    for outside in (parameter_arn("/cross-region/other/key-arn"), parameter_arn("/cross-region/application/x"),
                    parameter_arn("/cross-region/app/key-arn", account="111111111111"),
                    f"arn:aws:kms:eu-west-1:{TARGET_ACCOUNT}:key/mrk-1"):
        assert not iam_matches(pattern, outside), outside


def test_a_path_read_reaches_paths_below_the_prefix_only():
    # GetParametersByPath is authorized on the path's own ARN (parameter/<path>); the provider reads only
    # paths below ParameterPrefix, never the prefix itself, as IAM's `parameter<prefix>*` grants.
    [statement] = [s for s in granted(SCOPED) if "ssm:GetParametersByPath" in actions(s)]
    [pattern] = resources(statement)
    assert iam_matches(pattern, parameter_arn("/cross-region/app/config"))
    assert iam_matches(pattern, parameter_arn("/cross-region/app/config/db", region="ap-southeast-2"))
    for outside in (parameter_arn("/cross-region"), parameter_arn("/cross-region/application"),
                    parameter_arn("/cross-region/other"),
                    parameter_arn("/cross-region/app/config", account="111111111111")):
        assert not iam_matches(pattern, outside), outside


def test_kms_is_used_only_through_ssm_on_keys_of_this_account():
    kms = [s for s in granted(SCOPED) if any(a.startswith("kms:") for a in actions(s))]
    assert kms
    for statement in kms:
        assert resources(statement) == [f"arn:aws:kms:*:{TARGET_ACCOUNT}:key/*"]
        assert statement["Condition"]["StringLike"]["kms:ViaService"] == "ssm.*.amazonaws.com"


def test_secure_strings_are_encrypted_only_for_parameters_under_the_prefix():
    [statement] = [s for s in granted(SCOPED) if "kms:Encrypt" in actions(s)]
    context = statement["Condition"]["StringLike"]["kms:EncryptionContext:PARAMETER_ARN"]
    assert iam_matches(context, parameter_arn("/cross-region/app/token"))
    assert not iam_matches(context, parameter_arn("/cross-region/other/token"))
    assert not iam_matches(context, parameter_arn("/cross-region/app/token", account="111111111111"))


def test_secure_strings_are_decrypted_only_under_the_decrypt_prefix_and_none_when_it_is_empty():
    def decryptable(parameters, name):
        [statement] = [s for s in granted(parameters) if "kms:Decrypt" in actions(s)]
        context = statement["Condition"]["StringLike"]["kms:EncryptionContext:PARAMETER_ARN"]
        return iam_matches(context, parameter_arn(name))

    assert decryptable(SCOPED, "/cross-region/app/secrets/db-password")
    assert not decryptable(SCOPED, "/cross-region/app/key-arn")
    no_decryption = {**SCOPED, "DecryptPrefix": ""}
    for name in ("/cross-region/app/secrets/db-password", "/cross-region/app/key-arn", "/x"):
        assert not decryptable(no_decryption, name), name


def test_sessions_may_last_as_long_as_the_provider_asks_and_no_longer_than_iam_requires():
    # The provider asks for 900-second sessions; IAM accepts a MaxSessionDuration of 3600 to 43200.
    duration = TEMPLATE["Resources"][ROLE_ID]["Properties"]["MaxSessionDuration"]
    assert duration >= 900
    assert duration == 3600, "the shortest maximum IAM allows"
