import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CrossRegionParameter } from 'mrk-provider-cdk';
import { KEY_ARN_PARAMETER } from './key-stack';

/** What the app stack needs from the key stack. */
export interface AppStackProps extends StackProps {
  /** The parameter that the key stack writes into this stack's region. */
  readonly keyArnParameter: CrossRegionParameter;
}

/**
 * Stack 2 of 2, in eu-west-1 (examples/two-stack-consumer.yaml): reads the replica's ARN that stack 1
 * wrote here, natively (no custom resource, no CDK cross-region reference), and encrypts a queue with the
 * replica.
 */
export class AppStack extends Stack {
  constructor(scope: Construct, id: string, props: AppStackProps) {
    super(scope, id, props);

    // An AWS::SSM::Parameter::Value<String> parameter that CloudFormation resolves in eu-west-1 when this
    // stack is deployed; valueIn also makes this stack depend on the key stack.
    const replicaKeyArn = props.keyArnParameter.valueIn(this, KEY_ARN_PARAMETER);
    const replica = kms.Key.fromKeyArn(this, 'AppKeyReplica', replicaKeyArn);

    const queue = new sqs.Queue(this, 'AppQueue', {
      encryptionMasterKey: replica,
      dataKeyReuse: Duration.minutes(5),
      removalPolicy: RemovalPolicy.DESTROY,
    });

    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'ReplicaKeyArn', { value: replicaKeyArn });
  }
}
