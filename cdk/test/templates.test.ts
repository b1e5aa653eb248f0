import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import {
  CrossRegionParameter,
  CrossRegionParameterReader,
  CrossRegionParameterType,
  MrkProviderFunction,
  ReplicaKey,
} from 'mrk-provider-cdk';
import { ACCOUNT } from './helpers';

describe('templates', () => {
  it("pass the CDK's CloudFormation validation, strictly, with every construct and every prop", () => {
    // GIVEN an app that fails synthesis on any finding of the CDK's template validation, warnings included
    const app = new App({
      context: {
        '@aws-cdk/core:validateAgainstDefaultRules': true,
        '@aws-cdk/core:strictCfnValidateErrors': true,
      },
    });
    const primary = new Stack(app, 'Primary', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const consumer = new Stack(app, 'Consumer', { env: { account: ACCOUNT, region: 'eu-west-1' } });
    const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
    const replicas = new ReplicaKey(primary, 'Replicas', {
      primaryKey: key,
      replicaRegions: ['eu-west-1', 'ap-southeast-2'],
      alias: 'alias/app-data',
      description: 'app data',
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            actions: ['kms:*'],
            resources: ['*'],
            principals: [new iam.AccountRootPrincipal()],
          }),
        ],
      }),
      tags: { team: 'platform' },
      enabled: true,
      pendingWindow: Duration.days(7),
      bypassPolicyLockoutSafetyCheck: false,
      adoptExisting: false,
    });
    replicas.grantEncryptDecrypt(new iam.Role(primary, 'Role', { assumedBy: new iam.AccountRootPrincipal() }));
    new CrossRegionParameter(primary, 'Secrets', {
      regions: ['eu-west-1'],
      parameters: { '/cross-region/app/token': 'x' },
      type: CrossRegionParameterType.SECURE_STRING,
      keyId: key,
      tier: ssm.ParameterTier.INTELLIGENT_TIERING,
      description: 'secrets',
      tags: { team: 'platform' },
      adoptExisting: true,
    });
    new MrkProviderFunction(consumer, 'MrkProvider', { decryptPrefix: '/cross-region/app/' });
    new sqs.Queue(consumer, 'Queue', { encryptionMasterKey: replicas.replicaKey(consumer, 'eu-west-1') });
    const reader = new CrossRegionParameterReader(consumer, 'Reader', {
      region: 'us-east-1',
      names: ['/cross-region/app/a', '/cross-region/app/b'],
      withDecryption: true,
    });
    new CfnOutput(consumer, 'A', { value: reader.value('/cross-region/app/a') });
    // WHEN it is synthesized THEN nothing is found
    const assembly = app.synth();
    assert.deepEqual(assembly.stacks.map((s) => s.stackName).sort(), ['Consumer', 'Primary']);
  });
});
