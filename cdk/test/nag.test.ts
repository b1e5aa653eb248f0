import * as assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { App, Aspects, CfnOutput, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks, NagPackSuppression, NagReportFormat } from 'cdk-nag';
import {
  CrossRegionParameter,
  CrossRegionParameterReader,
  MrkProviderFunction,
  ReplicaKey,
  ServiceToken,
} from 'mrk-provider-cdk';
import { ACCOUNT, testApp } from './helpers';

const TARGET_ROLE = 'arn:aws:iam::222222222222:role/mrk-provider-target';

/** An app with every construct of the package, in the ways a user combines them, checked by cdk-nag's AwsSolutions pack. */
function everyConstruct(): { app: App; stacks: Stack[]; consumerFunction: lambda.Function } {
  const app = testApp();
  const env = (region: string) => ({ account: ACCOUNT, region });
  const primary = new Stack(app, 'Primary', { env: env('us-east-1') });
  const consumer = new Stack(app, 'Consumer', { env: env('eu-west-1') });
  const shared = new Stack(app, 'SharedProvider', { env: env('eu-west-1') });
  const ownRole = new Stack(app, 'OwnRole', { env: env('us-east-1') });

  // The stack's own function, with a permissions boundary, that may assume a target account's role.
  new MrkProviderFunction(primary, 'MrkProvider', {
    assumableRoleArns: [TARGET_ROLE],
    decryptPrefix: '/cross-region/app/secrets/',
    permissionsBoundary: iam.ManagedPolicy.fromManagedPolicyName(primary, 'Boundary', 'platform-boundary'),
  });
  const key = new kms.Key(primary, 'AppKey', { multiRegion: true, enableKeyRotation: true });
  const replicas = new ReplicaKey(primary, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
  const pushed = new CrossRegionParameter(primary, 'KeyArn', {
    regions: ['eu-west-1'],
    parameters: { '/cross-region/app/key-arn': replicas.replicaArn('eu-west-1') },
  });
  new CrossRegionParameter(primary, 'ToTarget', {
    regions: ['eu-west-1'],
    parameters: { '/cross-region/app/bucket': 'app-bucket' },
    role: TARGET_ROLE,
  });
  new CrossRegionParameterReader(primary, 'Names', { region: 'eu-west-1', names: ['/cross-region/app/a'] });
  new CrossRegionParameterReader(primary, 'ByPath', {
    region: 'eu-west-1',
    path: '/cross-region/app/secrets',
    recursive: true,
    withDecryption: true,
    role: iam.Role.fromRoleArn(primary, 'Target', TARGET_ROLE),
  });

  // A consumer in the replica's region that reads the pushed value, with a function of its own.
  const consumerFunction = new lambda.Function(consumer, 'App', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
  pushed.parameterIn(consumer, 'KeyArnParameter', '/cross-region/app/key-arn').grantRead(consumerFunction);
  new CfnOutput(consumer, 'KeyArn', { value: pushed.valueIn(consumer, '/cross-region/app/key-arn') });

  // Resources of a provider deployed with template.yaml (the ServiceToken from its SSM parameter).
  new CrossRegionParameterReader(shared, 'Shared', {
    region: 'us-east-1',
    names: ['/cross-region/app/a'],
    serviceToken: ServiceToken.fromParameter(),
  });

  // The function with a role of the user's, which the construct adds its statements to.
  const role = new iam.Role(ownRole, 'PlatformRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  new MrkProviderFunction(ownRole, 'MrkProvider', { role });
  new CrossRegionParameterReader(ownRole, 'Reader', { region: 'us-east-1', names: ['/cross-region/app/a'] });

  return { app, stacks: [primary, consumer, shared, ownRole], consumerFunction };
}

/** The consumer's own function is the user's: its findings are not the package's. */
function suppressUserFindings(consumerFunction: lambda.Function): void {
  const reason = 'the test consumer app itself, not a construct of the package';
  const suppressions: NagPackSuppression[] = [
    { id: 'AwsSolutions-IAM4', reason },
    { id: 'AwsSolutions-L1', reason },
  ];
  for (const child of consumerFunction.node.findAll()) {
    const l1 = child.node.defaultChild ?? child;
    if ('addMetadata' in l1) {
      (l1 as any).addMetadata('cdk_nag', { rules_to_suppress: suppressions });
    }
  }
}

function findings(stack: Stack, level: 'error' | 'warning') {
  const annotations = Annotations.fromStack(stack);
  const pattern = Match.stringLikeRegexp('AwsSolutions-.*');
  const found = level === 'error' ? annotations.findError('*', pattern) : annotations.findWarning('*', pattern);
  // The rule and finding, and where: what a failure needs to show.
  return found.map((f) => `${f.id}: ${String(f.entry.data).split(':')[0]}${String(f.entry.data).match(/\[.*?\]/)?.[0] ?? ''}`);
}

describe("cdk-nag's AwsSolutions pack", () => {
  it('finds no unsuppressed error or warning in an app with every construct, and each suppression says why', () => {
    // GIVEN every construct, and cdk-nag's AwsSolutions checks with suppressions reported
    const { app, stacks, consumerFunction } = everyConstruct();
    suppressUserFindings(consumerFunction);
    Aspects.of(app).add(new AwsSolutionsChecks({ reports: true, reportFormats: [NagReportFormat.JSON], verbose: true }));
    // WHEN it is synthesized
    const assembly = app.synth();
    // THEN no stack has an error or warning of the pack
    for (const stack of stacks) {
      assert.deepEqual(findings(stack, 'error'), [], `errors in ${stack.stackName}`);
      assert.deepEqual(findings(stack, 'warning'), [], `warnings in ${stack.stackName}`);
    }
    // AND the report lists the suppressed findings with their reasons
    // AND the user's own cdk-nag report shows the package's findings as suppressed, each with its reason
    const report = (stack: string): Array<{ ruleId: string; resourceId: string; compliance: string; exceptionReason: string }> =>
      JSON.parse(readFileSync(path.join(assembly.directory, `AwsSolutions-${stack}-NagReport.json`), 'utf8')).lines;
    for (const [stack, policy] of [
      ['Primary', 'Primary/MrkProvider/Role/Resource'],
      ['OwnRole', 'OwnRole/PlatformRole/DefaultPolicy/Resource'],
    ]) {
      const suppressed = report(stack).filter((l) => l.resourceId === policy && l.compliance === 'Suppressed');
      assert.deepEqual(
        [...new Set(suppressed.map((l) => l.exceptionReason.match(/^\[(.*?)\]/)?.[1]))].sort(),
        [
          'Resource::*',
          'Resource::arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/*/*',
          'Resource::arn:<AWS::Partition>:kms:*:<AWS::AccountId>:alias/*',
          'Resource::arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/*',
          'Resource::arn:<AWS::Partition>:kms:*:<AWS::AccountId>:key/mrk-*',
          'Resource::arn:<AWS::Partition>:ssm:*:<AWS::AccountId>:parameter/cross-region/*',
        ],
        stack,
      );
      for (const line of suppressed) {
        assert.ok(line.exceptionReason.length > 80, `${line.exceptionReason} is no reason`);
      }
    }
  });

  it('is no dependency of the package: the suppressions are cdk_nag metadata, written without it', () => {
    const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
    assert.equal(manifest.dependencies?.['cdk-nag'], undefined);
    assert.equal(manifest.peerDependencies?.['cdk-nag'], undefined);
    assert.match(manifest.devDependencies['cdk-nag'], /^[0-9]+\.[0-9]+\.[0-9]+$/, 'pinned exactly');
    const lib = readdirSync(path.join(__dirname, '..', '..', 'lib')).filter((f) => f.endsWith('.js'));
    for (const file of lib) {
      assert.doesNotMatch(readFileSync(path.join(__dirname, '..', '..', 'lib', file), 'utf8'), /require\("cdk-nag"\)/, file);
    }
  });
});
