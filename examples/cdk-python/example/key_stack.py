"""Stack 1 of 2, in us-east-1 (examples/two-stack-primary.yaml): a multi-Region primary key, its replica in
eu-west-1, and the replica's ARN written into eu-west-1 for stack 2."""

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct
from mrk_provider_cdk import CrossRegionParameter, ReplicaKey

# The SSM parameter, in eu-west-1, that carries the replica's ARN to the app stack.
KEY_ARN_PARAMETER = "/cross-region/app/key-arn"


class KeyStack(cdk.Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # The default key policy delegates to IAM, so the provider's role (and the replica, which gets this
        # policy) work through IAM policies alone.
        app_key = kms.Key(
            self,
            "AppKey",
            description="application data key",
            multi_region=True,
            enable_key_rotation=True,
            alias="alias/app-data",
            # Destroy schedules the key's deletion (after 7 days) with the stack; keep data keys with RETAIN.
            removal_policy=cdk.RemovalPolicy.DESTROY,
            pending_window=cdk.Duration.days(7),
        )

        # ReplicaKey tags app_key mrk-provider:replicable=true, the consent the provider requires of a primary.
        replicas = ReplicaKey(
            self,
            "AppKeyReplicas",
            primary_key=app_key,
            replica_regions=["eu-west-1"],
            alias="alias/app-data",
            pending_window=cdk.Duration.days(7),
        )

        # Push: stack 2 reads this parameter natively in eu-west-1.
        self.key_arn_in_eu_west_1 = CrossRegionParameter(
            self,
            "KeyArnInEuWest1",
            regions=["eu-west-1"],
            parameters={KEY_ARN_PARAMETER: replicas.replica_arn("eu-west-1")},
            description="ARN of the app data key's replica in this region",
        )

        cdk.CfnOutput(self, "PrimaryKeyArn", value=app_key.key_arn)
        cdk.CfnOutput(self, "ReplicaKeyArn", value=replicas.replica_arn("eu-west-1"))
