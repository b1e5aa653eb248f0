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
  Refresh,
  ReplicaKey,
} from 'mrk-provider-cdk';
import { ACCOUNT } from './helpers';

/** A role of another account, as target-account.yaml creates it. */
const TARGET_ROLE = 'arn:aws:iam::222222222222:role/mrk-provider-target';

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
      regionSettings: {
        'eu-west-1': {
          description: 'app data, eu-west-1',
          policy: new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                actions: ['kms:*'],
                resources: ['*'],
                principals: [new iam.AccountRootPrincipal()],
                conditions: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
              }),
            ],
          }),
          tags: { residency: 'eu' },
          alias: 'alias/app-data-eu',
          enabled: true,
        },
        'ap-southeast-2': { policy: JSON.stringify({ Version: '2012-10-17', Statement: [] }) },
      },
      refresh: Refresh.onValueChange('1'),
    });
    new ReplicaKey(primary, 'FollowingReplicas', {
      primaryKey: new kms.Key(primary, 'OtherKey', { multiRegion: true }),
      replicaRegions: ['eu-west-1'],
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
      refresh: Refresh.EVERY_DEPLOYMENT,
    });
    new MrkProviderFunction(consumer, 'MrkProvider', {
      decryptPrefix: '/cross-region/app/',
      assumableRoleArns: [TARGET_ROLE],
      metricsNamespace: 'Platform/MrkProvider',
      permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyName(consumer, 'Boundary', 'platform-boundary'),
    });
    new sqs.Queue(consumer, 'Queue', { encryptionMasterKey: replicas.replicaKeyIn(consumer, 'eu-west-1') });
    const reader = new CrossRegionParameterReader(consumer, 'Reader', {
      region: 'us-east-1',
      names: ['/cross-region/app/a', '/cross-region/app/b'],
      withDecryption: true,
    });
    new CfnOutput(consumer, 'A', { value: reader.value('/cross-region/app/a') });
    const byPath = new CrossRegionParameterReader(consumer, 'PathReader', {
      region: 'us-east-1',
      path: '/cross-region/app',
      recursive: true,
      withDecryption: true,
    });
    new CfnOutput(consumer, 'Deep', { value: byPath.value('/cross-region/app/db/endpoint') });
    const shared = new CrossRegionParameterReader(consumer, 'SharedReader', {
      region: 'us-east-1',
      names: ['/cross-region/shared/a'],
      role: iam.Role.fromRoleArn(consumer, 'TargetRole', TARGET_ROLE),
      externalId: 'consumer',
      refresh: Refresh.ON_CHANGE,
    });
    new CfnOutput(consumer, 'Shared', { value: shared.value() });
    new CrossRegionParameter(consumer, 'Pushed', {
      regions: ['eu-central-1'],
      parameters: { '/cross-region/shared/b': 'x' },
      role: TARGET_ROLE,
      externalId: 'consumer',
    });
    // WHEN it is synthesized THEN nothing is found
    const assembly = app.synth();
    assert.deepEqual(assembly.stacks.map((s) => s.stackName).sort(), ['Consumer', 'Primary']);
    // AND the templates hold the props checked (custom resource properties are free-form to the validation)
    const properties = (stack: string, type: string) =>
      Object.values(assembly.getStackByName(stack).template.Resources as { [id: string]: any })
        .filter((r) => r.Type === type)
        .map((r) => r.Properties);
    const replicaKeys = properties('Primary', 'Custom::ReplicaKey');
    assert.deepEqual(
      replicaKeys.map((p) => Object.keys(p.RegionSettings ?? {}).sort()),
      [['ap-southeast-2', 'eu-west-1'], []],
    );
    assert.deepEqual(replicaKeys[0].Refresh, '1');
    assert.match(replicaKeys[1].Refresh, /^[0-9a-f]{64}$/);
    const assumed = [
      ...properties('Consumer', 'Custom::CrossRegionParameterReader'),
      ...properties('Consumer', 'Custom::CrossRegionParameter'),
    ].filter((p) => p.RoleArn !== undefined);
    assert.deepEqual(
      assumed.map((p) => [p.RoleArn, p.ExternalId]),
      [
        [TARGET_ROLE, 'consumer'],
        [TARGET_ROLE, 'consumer'],
      ],
    );
  });
});
