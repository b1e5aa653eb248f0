import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CrossRegionParameter, ReplicaKey } from 'mrk-provider-cdk';

/** The SSM parameter, in eu-west-1, that carries the replica's ARN to the app stack. */
export const KEY_ARN_PARAMETER = '/cross-region/app/key-arn';

/**
 * Stack 1 of 2, in us-east-1 (examples/two-stack-primary.yaml): a multi-Region primary key, its replica
 * in eu-west-1, and the replica's ARN written into eu-west-1 for stack 2.
 */
export class KeyStack extends Stack {
  /** Writes the replica's ARN into eu-west-1; stack 2 reads it from there. */
  public readonly keyArnInEuWest1: CrossRegionParameter;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);

    // The default key policy delegates to IAM, so the provider's role (and the replica, which gets this
    // policy) work through IAM policies alone.
    const appKey = new kms.Key(this, 'AppKey', {
      description: 'application data key',
      multiRegion: true,
      enableKeyRotation: true,
      alias: 'alias/app-data',
      // Destroy schedules the key's deletion (after 7 days) with the stack; keep data keys with RETAIN.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    // ReplicaKey tags appKey mrk-provider:replicable=true, the consent the provider requires of a primary.
    const replicas = new ReplicaKey(this, 'AppKeyReplicas', {
      primaryKey: appKey,
      replicaRegions: ['eu-west-1'],
      alias: 'alias/app-data',
      pendingWindow: Duration.days(7),
    });

    // Push: stack 2 reads this parameter natively in eu-west-1.
    this.keyArnInEuWest1 = new CrossRegionParameter(this, 'KeyArnInEuWest1', {
      regions: ['eu-west-1'],
      parameters: { [KEY_ARN_PARAMETER]: replicas.replicaArn('eu-west-1') },
      description: "ARN of the app data key's replica in this region",
    });

    new CfnOutput(this, 'PrimaryKeyArn', { value: appKey.keyArn });
    new CfnOutput(this, 'ReplicaKeyArn', { value: replicas.replicaArn('eu-west-1') });
  }
}
