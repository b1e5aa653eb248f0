#!/usr/bin/env python3
"""The example app of examples/cdk, in Python: a replicated multi-Region key in us-east-1, its replica's ARN
pushed into eu-west-1, and a stack there that encrypts a queue with the replica.

Explicit regions and no context lookups: `cdk synth` needs no AWS credentials. The account is the one
the CDK CLI finds in your credentials (CDK_DEFAULT_ACCOUNT).
"""

import os

import aws_cdk as cdk

from example.app_stack import AppStack
from example.key_stack import KeyStack

account = os.environ.get("CDK_DEFAULT_ACCOUNT")

# The CDK's own template validation (run at synthesis) fails the synth on an error instead of warning.
app = cdk.App(context={"@aws-cdk/core:validateAgainstDefaultRules": True})
keys = KeyStack(app, "MrkExampleKeys", env=cdk.Environment(account=account, region="us-east-1"))
AppStack(
    app,
    "MrkExampleApp",
    env=cdk.Environment(account=account, region="eu-west-1"),
    key_arn_parameter=keys.key_arn_in_eu_west_1,
)
app.synth()
