"""The provider's template for CloudFormation StackSets (service-managed, to organizational units): template.yaml
with the SAM transform already applied, because stack sets with service-managed permissions do not accept
templates that use transforms (macros), AWS::Serverless included.

Lambda reads a function's code only from a bucket in the function's own region, and one stack set deploys one
template to every region: so the code is found by a name made of the region, `<CodeBucketPrefix>-<region>`
(one bucket per region, each holding a copy of the release's mrk-provider-arm64.zip under `CodeKey`), the same
template everywhere. The README's StackSets section gives the flow.

Usage: python tools/stackset.py template.yaml > mrk-provider-stackset.yaml
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

FUNCTION_ID = "MrkProviderFunction"
CODE_PARAMETERS = {
    "CodeBucketPrefix": {
        "Type": "String",
        "Description": (
            "Buckets holding the release's mrk-provider-arm64.zip, one per region: the stack in region R reads "
            "<CodeBucketPrefix>-R (Lambda reads code only from a bucket of the function's region)."
        ),
        "AllowedPattern": "^[a-z0-9][a-z0-9.-]{1,40}$",
    },
    "CodeKey": {
        "Type": "String",
        "Description": "The zip's key in each of those buckets, e.g. mrk-provider/0.1.0/mrk-provider-arm64.zip.",
        "MinLength": 1,
    },
}


class NoManagedPolicies:
    """template.yaml names no AWS managed policy by name, so SAM needs no lookup of their ARNs."""

    def load(self) -> dict[str, str]:
        return {}


def stackset_template(sam_text: str) -> dict:
    """template.yaml (its text) with the code in `<CodeBucketPrefix>-<region>`, as plain CloudFormation."""
    template = yaml_parse(sam_text)
    function = template["Resources"][FUNCTION_ID]
    function.pop("Metadata", None)
    function["Properties"]["CodeUri"] = {
        "Bucket": {"Fn::Sub": "${CodeBucketPrefix}-${AWS::Region}"},
        "Key": {"Ref": "CodeKey"},
    }
    template["Parameters"] = {**template["Parameters"], **CODE_PARAMETERS}
    interface = template.get("Metadata", {}).get("AWS::CloudFormation::Interface")
    if interface is not None:
        label = {"default": "The function's code (one bucket per region)"}
        group = {"Label": label, "Parameters": list(CODE_PARAMETERS)}
        interface["ParameterGroups"].insert(0, group)
    # The Serverless Application Repository's metadata concerns template.yaml, not this template.
    template.get("Metadata", {}).pop("AWS::ServerlessRepo::Application", None)
    # SAM asks for a region only to name partitions in ARNs; template.yaml builds them with ${AWS::Partition}.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    translated = transform(template, {}, NoManagedPolicies())
    translated.pop("Transform", None)
    return translated


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python tools/stackset.py template.yaml > mrk-provider-stackset.yaml")
    json.dump(stackset_template(Path(sys.argv[1]).read_text()), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
