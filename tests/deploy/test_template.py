"""template.yaml: the function as SAM builds and deploys it, and its IAM policy (least privilege)."""

from __future__ import annotations

import json
import re
import tomllib

import pytest

import cfn
from cfn import ROOT, actions, load, resources, sub_text, templates

TEMPLATE = load("template.yaml")
RESOURCES = TEMPLATE["Resources"]
FUNCTION_ID = "MrkProviderFunction"
FUNCTION = RESOURCES[FUNCTION_ID]
PROPS = FUNCTION["Properties"]
CFN_DEFAULT_SERVICE_TIMEOUT = 3600
LAMBDA_MAX_TIMEOUT = 900


def statements() -> list[tuple[str, dict]]:
    """(policy name, statement) for every IAM policy statement of template.yaml that allows."""
    return [(p, s) for p, s in cfn.statements(TEMPLATE) if s["Effect"] == "Allow"]


def denial(sid: str) -> dict:
    """The Deny statement `sid` of template.yaml (as it is when its condition holds)."""
    [statement] = [s for _, s in cfn.statements(TEMPLATE) if s.get("Sid") == sid]
    assert statement["Effect"] == "Deny"
    return statement


# The backstops: each a Deny that holds whatever else allows (section 7 of docs/reference.md, SECURITY.md).
DENIALS = {"NoLockoutBypass", "NoDecryptionOutsideDecryptPrefix", "NeverTheServiceTokenParameter",
           "OnlyRolesOfListedAccounts", "OnlyRolesOfTheOrganization"}


def test_the_function_is_an_arm64_custom_runtime_built_by_the_makefile():
    assert TEMPLATE["Transform"] == "AWS::Serverless-2016-10-31"
    assert FUNCTION["Type"] == "AWS::Serverless::Function"
    assert PROPS["Runtime"] == "provided.al2023"
    assert PROPS["Architectures"] == ["arm64"]
    assert PROPS["Handler"] == "bootstrap"
    assert FUNCTION["Metadata"]["BuildMethod"] == "makefile"


def test_sam_finds_a_build_target_for_the_function_in_the_makefile():
    # GIVEN the Makefile that BuildMethod: makefile uses (ContextPath, else CodeUri)
    context = FUNCTION["Metadata"].get("ContextPath", PROPS["CodeUri"])
    makefile = (ROOT / context / "Makefile").read_text()
    # THEN it has the target SAM calls, and CodeUri (what SAM copies) exists
    assert re.search(rf"^build-{FUNCTION_ID}:", makefile, re.M)
    assert (ROOT / PROPS["CodeUri"]).is_dir()


def test_the_timeout_lets_the_provider_answer_long_before_cloudformation_gives_up():
    assert 60 <= PROPS["Timeout"] <= LAMBDA_MAX_TIMEOUT
    assert PROPS["Timeout"] < CFN_DEFAULT_SERVICE_TIMEOUT


def test_memory_is_the_measured_size():
    # 128 MB: the measured peak resident size (11.4 MB) is under a tenth of it (README, Deployment).
    assert PROPS["MemorySize"] == 128


def test_lambda_never_retries_an_invocation_on_its_own():
    assert PROPS["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


def test_logs_go_to_a_log_group_with_retention():
    group_ref = PROPS["LoggingConfig"]["LogGroup"]
    group = RESOURCES[group_ref["Ref"]]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}


def test_the_template_parameters_reach_the_function_environment():
    parameters = TEMPLATE["Parameters"]
    for name in ("ParameterPrefix", "DecryptPrefix", "AllowedRegions", "LogLevel", "ResponseMode",
                 "AssumableRoleArns"):
        assert name in parameters, name
    assert PROPS["Environment"]["Variables"] == {
        "PARAMETER_PREFIX": {"Ref": "ParameterPrefix"},
        "DECRYPT_PREFIX": {"Ref": "DecryptPrefix"},
        "ALLOWED_REGIONS": {"Fn::Join": [",", {"Ref": "AllowedRegions"}]},
        "LOG_LEVEL": {"Ref": "LogLevel"},
        "RESPONSE_MODE": {"Ref": "ResponseMode"},
        "ASSUMABLE_ROLE_ARNS": {"Ref": "AssumableRoleArns"},
        "ASSUMABLE_ROLE_ACCOUNTS": {"Ref": "AssumableRoleAccounts"},
        "PROVIDER_ROLE_ARN": {"Fn::GetAtt": ["MrkProviderRole", "Arn"]},
        "SERVICE_TOKEN_PARAMETER": {"Ref": "ServiceTokenParameterName"},
        "ALLOWED_PARAMETER_TIERS": {"Fn::Join": [",", {"Ref": "AllowedParameterTiers"}]},
        "ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK": {"Ref": "AllowBypassPolicyLockoutSafetyCheck"},
        "METRICS_NAMESPACE": {"Ref": "MetricsNamespace"},
    }


def test_metrics_go_to_the_namespace_parameter_and_an_empty_one_turns_them_off():
    # GIVEN the MetricsNamespace parameter
    parameter = TEMPLATE["Parameters"]["MetricsNamespace"]
    pattern = re.compile(parameter["AllowedPattern"])
    # THEN it defaults to a namespace, and CloudFormation accepts the empty string, which turns metrics off
    assert parameter["Default"] == "MrkProvider"
    assert pattern.fullmatch(parameter["Default"])
    assert pattern.fullmatch("")
    for namespace in ("Platform/MrkProvider", "team-a.mrk_provider#1"):
        assert pattern.fullmatch(namespace), namespace
    for namespace in ("AWS/Lambda", " MrkProvider", "Mrk Provider", ":MrkProvider", "x" * 256):
        assert not pattern.fullmatch(namespace), namespace
    # AND it reaches the function as METRICS_NAMESPACE as it is: with "" the variable is set and empty, and
    # the function writes no metric line (an unset or empty METRICS_NAMESPACE means no metrics)
    for given in ("MrkProvider", "Platform/Mrk", ""):
        env = cfn.resolve(TEMPLATE, {"AllowedRegions": "us-east-1", "MetricsNamespace": given})[FUNCTION_ID][
            "Properties"]["Environment"]["Variables"]
        assert env["METRICS_NAMESPACE"] == given


def test_lambda_filters_the_json_logs_at_the_log_level_the_function_is_given_but_never_drops_the_metric_line():
    # GIVEN each LogLevel the parameter allows
    for level in TEMPLATE["Parameters"]["LogLevel"]["AllowedValues"]:
        resolved = cfn.resolve(TEMPLATE, {"AllowedRegions": "us-east-1", "LogLevel": level})[FUNCTION_ID]
        # THEN the function's LOG_LEVEL is that level, and Lambda's ApplicationLogLevel (upper case) the same
        # level but never stricter than INFO: Lambda reads the metric line, which has no "level", as INFO, and
        # would drop it at WARN or ERROR (the function itself drops its own lines below LOG_LEVEL)
        config = resolved["Properties"]["LoggingConfig"]
        assert config["LogFormat"] == "JSON"
        expected = "INFO" if level in ("warn", "error") else level.upper()
        assert config["ApplicationLogLevel"] == expected, level
        assert resolved["Properties"]["Environment"]["Variables"]["LOG_LEVEL"] == level


def test_no_template_sets_the_test_only_response_url_variable():
    for template in templates():
        assert "MRK_PROVIDER_TEST_ONLY" not in template.read_text(), template


def test_every_environment_variable_is_read_by_the_code():
    source = "\n".join(path.read_text() for path in (ROOT / "src").rglob("*.rs"))
    for variable in PROPS["Environment"]["Variables"]:
        assert f'"{variable}"' in source, f"{variable} is set by template.yaml but never read in src/"


def test_the_parameter_prefix_is_a_path_that_iam_can_scope():
    prefix = TEMPLATE["Parameters"]["ParameterPrefix"]
    pattern = re.compile(prefix["AllowedPattern"])
    assert pattern.match(prefix["Default"])
    for good in ("/", "/cross-region/", "/a/b.c/d_e-f/"):
        assert pattern.match(good), good
    # a prefix without the trailing '/' would let IAM allow /cross-regional/... too
    for bad in ("", "cross-region/", "/cross-region", "/a//", "/a b/"):
        assert not pattern.match(bad), bad


def test_the_service_token_is_exported_and_written_to_ssm():
    output = TEMPLATE["Outputs"]["ServiceToken"]
    assert output["Value"] == {"Fn::GetAtt": [FUNCTION_ID, "Arn"]}
    assert output["Export"]["Name"] == {"Fn::Sub": "${AWS::StackName}-ServiceToken"}
    parameters = [r for r in RESOURCES.values() if r["Type"] == "AWS::SSM::Parameter"]
    assert [p["Properties"]["Value"] for p in parameters] == [{"Fn::GetAtt": [FUNCTION_ID, "Arn"]}]


def test_the_function_uses_the_role_of_the_template_and_no_sam_generated_policy():
    assert PROPS["Role"] == {"Fn::GetAtt": ["MrkProviderRole", "Arn"]}
    assert "Policies" not in PROPS


def test_no_statement_allows_a_wildcard_action():
    denies = {s.get("Sid") for _, s in cfn.statements(TEMPLATE) if s["Effect"] != "Allow"}
    assert denies == DENIALS
    for policy, statement in statements():
        assert statement["Effect"] == "Allow"
        assert "NotAction" not in statement and "NotResource" not in statement
        for action in actions(statement):
            assert "*" not in action, f"{policy}/{statement.get('Sid')}: action {action}"


def test_every_ssm_statement_is_scoped_to_parameters_under_the_prefix():
    ssm = [(p, s) for p, s in statements() if any(a.startswith("ssm:") for a in actions(s))]
    assert ssm, "no SSM statement"
    for policy, statement in ssm:
        for resource in resources(statement):
            text = sub_text(resource)
            assert text.endswith(":parameter${ParameterPrefix}*"), f"{policy}: unscoped SSM resource {text}"
            assert text.startswith("arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:"), text


def test_every_kms_and_ssm_statement_is_limited_to_the_allowed_regions():
    for policy, statement in statements():
        if any(a.split(":")[0] in ("kms", "ssm") for a in actions(statement)):
            regions = statement["Condition"]["StringEquals"]["aws:RequestedRegion"]
            assert regions == {"Ref": "AllowedRegions"}, f"{policy}/{statement.get('Sid')}"


def test_kms_resources_are_keys_and_aliases_of_this_account_only():
    for policy, statement in statements():
        if not any(a.startswith("kms:") for a in actions(statement)):
            continue
        for resource in resources(statement):
            text = sub_text(resource)
            if text == "*":
                # CreateKey has no key resource; ReplicateKey needs it in the replica region.
                assert actions(statement) == ["kms:CreateKey"], f"{policy}/{statement.get('Sid')}"
                continue
            assert re.fullmatch(r"arn:\$\{AWS::Partition\}:kms:\*:\$\{AWS::AccountId\}:(key|alias)/.*", text), text


def test_replication_is_limited_to_primaries_and_the_allowed_replica_regions():
    [statement] = [s for _, s in statements() if "kms:ReplicateKey" in actions(s)]
    assert actions(statement) == ["kms:ReplicateKey"]
    condition = statement["Condition"]
    assert condition["StringEquals"]["kms:ReplicaRegion"] == {"Ref": "AllowedRegions"}
    assert condition["StringEquals"]["kms:MultiRegionKeyType"] == "PRIMARY"
    assert sub_text(statement["Resource"]).endswith(":key/mrk-*")


def test_replication_needs_the_key_owners_consent_tag():
    [statement] = [s for _, s in statements() if "kms:ReplicateKey" in actions(s)]
    assert statement["Condition"]["StringEquals"]["aws:ResourceTag/mrk-provider:replicable"] == "true"


def test_an_alias_can_name_only_replicas():
    granting = [s for _, s in statements() if "kms:CreateAlias" in actions(s)]
    assert {a for s in granting for a in actions(s)} == {"kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"}
    on_keys = [s for s in granting if any(":key/" in sub_text(r) for r in resources(s))]
    assert on_keys, "no statement grants the key side of an alias operation"
    for statement in on_keys:
        assert [sub_text(r) for r in resources(statement)] == [
            "arn:${AWS::Partition}:kms:*:${AWS::AccountId}:key/mrk-*"]
        assert statement["Condition"]["StringEquals"]["kms:MultiRegionKeyType"] == "REPLICA"
    for statement in granting:
        if statement not in on_keys:
            assert all(":alias/" in sub_text(r) for r in resources(statement))


def test_cloudformation_is_only_read_and_only_for_stacks_of_this_account():
    granting = [s for _, s in statements() if any(a.startswith("cloudformation:") for a in actions(s))]
    assert [actions(s) for s in granting] == [["cloudformation:DescribeStacks", "cloudformation:DescribeStackResource"]]
    assert sub_text(granting[0]["Resource"]) == "arn:${AWS::Partition}:cloudformation:*:${AWS::AccountId}:stack/*/*"


def test_only_the_listed_roles_can_be_assumed_and_none_by_default():
    parameter = TEMPLATE["Parameters"]["AssumableRoleArns"]
    assert parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    for good in ("", "arn:aws:iam::123456789012:role/mrk-provider-target",
                 "arn:aws:iam::*:role/mrk-provider-*,arn:aws-cn:iam::210987654321:role/path/r"):
        assert pattern.match(good), good
    for bad in ("*", "arn:aws:iam::123456789012:user/u", "arn:aws:iam::123456789012:role/r,",
                "arn:aws:sts::123456789012:assumed-role/r/s", "arn:aws:iam::123456789012:role/a b"):
        assert not pattern.match(bad), bad
    assert TEMPLATE["Conditions"]["AssumesRoles"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AssumableRoleArns"}, ""]}]}
    policies = RESOURCES["MrkProviderRole"]["Properties"]["Policies"]
    [conditional] = [p for p in policies if "Fn::If" in p]
    assert conditional["Fn::If"][0] == "AssumesRoles"
    [statement] = [s for _, s in statements() if "sts:AssumeRole" in actions(s)]
    assert actions(statement) == ["sts:AssumeRole"]
    assert statement["Resource"] == {"Fn::Split": [",", {"Ref": "AssumableRoleArns"}]}


def test_reserved_concurrency_is_a_parameter_that_reserves_nothing_by_default():
    parameter = TEMPLATE["Parameters"]["ReservedConcurrency"]
    assert parameter["Default"] == 0
    function = TEMPLATE["Resources"]["MrkProviderFunction"]["Properties"]
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReservesConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]}


def test_create_key_can_only_make_replicas():
    [statement] = [s for _, s in statements() if "kms:CreateKey" in actions(s)]
    assert statement["Condition"]["StringEqualsIfExists"] == {"kms:MultiRegionKeyType": "REPLICA"}
    assert statement["Condition"]["BoolIfExists"] == {"kms:MultiRegion": "true"}


@pytest.mark.parametrize("action", [
    "kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:EnableKey", "kms:DisableKey",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
])
def test_key_changes_are_allowed_on_multi_region_replicas_only(action):
    granting = [s for _, s in statements() if action in actions(s)]
    assert granting, f"{action} is not granted"
    for statement in granting:
        assert statement["Condition"]["StringEquals"]["kms:MultiRegionKeyType"] == "REPLICA"
        for resource in resources(statement):
            assert sub_text(resource).endswith(":key/mrk-*")


def test_every_operation_the_provider_calls_is_granted():
    # The operations of src/aws/kms.rs, ssm.rs and cloudformation.rs, and what ReplicateKey needs besides.
    called = {
        "kms:DescribeKey", "kms:GetKeyPolicy", "kms:ReplicateKey", "kms:CreateKey", "kms:ListResourceTags",
        "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription", "kms:PutKeyPolicy",
        "kms:EnableKey", "kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
        "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
        "ssm:PutParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:DeleteParameters",
        "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource",
        # src/aws/cloudformation.rs: whom a request comes from, and whether an owner stack still exists
        "cloudformation:DescribeStacks", "cloudformation:DescribeStackResource",
        # src/aws/roles.rs: RoleArn
        "sts:AssumeRole",
    }
    granted = {a for _, s in statements() for a in actions(s)}
    assert called <= granted, f"not granted: {sorted(called - granted)}"
    extra = granted - called - {
        "logs:CreateLogStream", "logs:PutLogEvents",
        # SecureString parameters with a customer managed key, through SSM only
        "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey",
    }
    assert not extra, f"granted but never needed: {sorted(extra)}"


def test_secure_string_encryption_is_bound_to_parameters_under_the_prefix_through_ssm():
    [statement] = [s for _, s in statements() if "kms:Encrypt" in actions(s)]
    assert actions(statement) == ["kms:Encrypt", "kms:GenerateDataKey"]
    like = statement["Condition"]["StringLike"]
    assert like["kms:ViaService"] == "ssm.*.amazonaws.com"
    assert sub_text(like["kms:EncryptionContext:PARAMETER_ARN"]).endswith(":parameter${ParameterPrefix}*")


def test_decryption_is_bound_to_the_decrypt_prefix_and_to_nothing_when_it_is_empty():
    [statement] = [s for _, s in statements() if "kms:Decrypt" in actions(s)]
    assert actions(statement) == ["kms:Decrypt"]
    like = statement["Condition"]["StringLike"]
    assert like["kms:ViaService"] == "ssm.*.amazonaws.com"
    condition, when_set, when_empty = like["kms:EncryptionContext:PARAMETER_ARN"]["Fn::If"]
    assert condition == "DecryptsSecureStrings"
    assert sub_text(when_set).endswith(":parameter${DecryptPrefix}*")
    assert "*" not in when_empty and not when_empty.startswith("arn:")
    assert TEMPLATE["Conditions"]["DecryptsSecureStrings"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "DecryptPrefix"}, ""]}]}
    assert TEMPLATE["Parameters"]["DecryptPrefix"]["Default"] == ""


def test_logs_are_written_to_the_function_log_group_only():
    [statement] = [s for _, s in statements() if any(a.startswith("logs:") for a in actions(s))]
    assert statement["Resource"] == {"Fn::GetAtt": ["MrkProviderLogGroup", "Arn"]}


def test_the_serverless_repo_metadata_is_complete_and_matches_the_project():
    # What the Serverless Application Repository requires (Name, Description, Author) in the forms it accepts,
    # and what a public application needs (a license and a version), in step with Cargo.toml and the CDK package.
    application = TEMPLATE["Metadata"]["AWS::ServerlessRepo::Application"]
    assert re.fullmatch(r"[a-zA-Z0-9-]{1,140}", application["Name"])
    assert 1 <= len(application["Description"]) <= 256
    assert re.fullmatch(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?", application["Author"])
    assert len(application["Author"]) <= 127
    assert len(application["Labels"]) <= 10
    for label in application["Labels"]:
        assert re.fullmatch(r"[a-zA-Z0-9+\-_:/@]{1,127}", label), label
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]
    npm = json.loads((ROOT / "cdk" / "package.json").read_text())
    assert application["SpdxLicenseId"] == cargo["license"] == npm["license"]
    assert application["SemanticVersion"] == cargo["version"] == npm["version"]
    assert "Apache License" in (ROOT / application["LicenseUrl"]).read_text()
    assert (ROOT / application["ReadmeUrl"]).stat().st_size < 5 * 1024 * 1024
    # The repository, as the npm package names it (the registries link to it too).
    assert application["HomePageUrl"] == application["SourceCodeUrl"] == npm["homepage"]
    assert npm["repository"]["url"] == f"{npm['homepage']}.git"


def test_decryption_outside_the_decrypt_prefix_is_denied_for_every_key_aws_managed_ones_included():
    statement = denial("NoDecryptionOutsideDecryptPrefix")
    assert actions(statement) == ["kms:Decrypt"] and statement["Resource"] == "*"
    condition, when_set, when_empty = statement["Condition"]["StringNotLike"][
        "kms:EncryptionContext:PARAMETER_ARN"]["Fn::If"]
    assert condition == "DecryptsSecureStrings"
    assert sub_text(when_set) == "arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter${DecryptPrefix}*"
    assert not when_empty.startswith("arn:") and "*" not in when_empty


def test_bypassing_the_lockout_check_is_denied_unless_the_deployer_allows_it():
    parameter = TEMPLATE["Parameters"]["AllowBypassPolicyLockoutSafetyCheck"]
    assert parameter["Default"] == "false"
    assert TEMPLATE["Conditions"]["RefusesLockoutBypass"] == {
        "Fn::Equals": [{"Ref": "AllowBypassPolicyLockoutSafetyCheck"}, "false"]}
    statement = denial("NoLockoutBypass")
    assert set(actions(statement)) == {"kms:ReplicateKey", "kms:PutKeyPolicy", "kms:CreateKey"}
    assert statement["Condition"] == {"Bool": {"kms:BypassPolicyLockoutSafetyCheck": "true"}}
    env = PROPS["Environment"]["Variables"]
    assert env["ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK"] == {"Ref": "AllowBypassPolicyLockoutSafetyCheck"}


def test_the_service_token_parameter_is_denied_to_every_write_in_every_region():
    statement = denial("NeverTheServiceTokenParameter")
    assert {"ssm:PutParameter", "ssm:DeleteParameters", "ssm:AddTagsToResource"} <= set(actions(statement))
    assert sub_text(statement["Resource"]) == (
        "arn:${AWS::Partition}:ssm:*:${AWS::AccountId}:parameter${ServiceTokenParameterName}")
    env = PROPS["Environment"]["Variables"]
    assert env["SERVICE_TOKEN_PARAMETER"] == {"Ref": "ServiceTokenParameterName"}


def test_only_the_standard_tier_is_allowed_by_default():
    parameter = TEMPLATE["Parameters"]["AllowedParameterTiers"]
    assert parameter["Default"] == "Standard"
    assert set(parameter["AllowedValues"]) == {"Standard", "Advanced", "Intelligent-Tiering"}
    env = PROPS["Environment"]["Variables"]
    assert env["ALLOWED_PARAMETER_TIERS"] == {"Fn::Join": [",", {"Ref": "AllowedParameterTiers"}]}


def test_assumable_roles_can_be_bounded_to_accounts_and_an_organization():
    accounts = denial("OnlyRolesOfListedAccounts")
    assert actions(accounts) == ["sts:AssumeRole"]
    assert accounts["Condition"] == {
        "StringNotEquals": {"aws:ResourceAccount": {"Fn::Split": [",", {"Ref": "AssumableRoleAccounts"}]}}}
    org = denial("OnlyRolesOfTheOrganization")
    assert org["Condition"] == {"StringNotEquals": {"aws:ResourceOrgID": {"Ref": "AssumableRoleOrgId"}}}
    pattern = re.compile(TEMPLATE["Parameters"]["AssumableRoleAccounts"]["AllowedPattern"])
    for good in ("", "111122223333", "111122223333,444455556666"):
        assert pattern.match(good), good
    for bad in ("1111", "111122223333,", "*"):
        assert not pattern.match(bad), bad
    env = PROPS["Environment"]["Variables"]
    assert env["ASSUMABLE_ROLE_ACCOUNTS"] == {"Ref": "AssumableRoleAccounts"}
