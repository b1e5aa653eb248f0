"""Stack 2 of 2, in eu-west-1 (examples/two-stack-consumer.yaml): reads the replica's ARN that stack 1 wrote
here, natively (no custom resource, no CDK cross-region reference), and encrypts a queue with the replica."""

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from mrk_provider_cdk import CrossRegionParameter

from example.key_stack import KEY_ARN_PARAMETER


class AppStack(cdk.Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, key_arn_parameter: CrossRegionParameter, **kwargs
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # An AWS::SSM::Parameter::Value<String> parameter that CloudFormation resolves in eu-west-1 when this
        # stack is deployed; value_in also makes this stack depend on the key stack.
        replica_key_arn = key_arn_parameter.value_in(self, KEY_ARN_PARAMETER)
        replica = kms.Key.from_key_arn(self, "AppKeyReplica", replica_key_arn)

        queue = sqs.Queue(
            self,
            "AppQueue",
            encryption_master_key=replica,
            data_key_reuse=cdk.Duration.minutes(5),
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )

        cdk.CfnOutput(self, "QueueUrl", value=queue.queue_url)
        cdk.CfnOutput(self, "ReplicaKeyArn", value=replica_key_arn)
