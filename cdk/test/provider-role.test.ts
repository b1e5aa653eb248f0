import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CrossRegionParameterReader, MrkProviderFunction } from 'mrk-provider-cdk';
import { ACCOUNT, testApp, throwsWith } from './helpers';

const TARGET_ROLE = 'arn:aws:iam::222222222222:role/mrk-provider-target';

function stack(): Stack {
  return new Stack(testApp(), 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
}

/** Every statement of the stack's IAM policies (AWS::IAM::Policy), by Sid. */
function policyStatements(template: Template): { [sid: string]: any } {
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (policy: any) => policy.Properties.PolicyDocument.Statement,
  );
  return Object.fromEntries(statements.map((s: any) => [s.Sid, s]));
}

describe('MrkProviderFunction with a role of your own', () => {
  it("adds template.yaml's statements to a role it may change, and creates none of its own", () => {
    // GIVEN the user's role, and a reader that names a target account's role (the roles to assume are derived)
    const s = stack();
    const role = new iam.Role(s, 'PlatformRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const provider = new MrkProviderFunction(s, 'MrkProvider', { role });
    new CrossRegionParameterReader(s, 'Reader', {
      region: 'eu-west-1',
      names: ['/cross-region/app/a'],
      role: TARGET_ROLE,
    });
    const template = Template.fromStack(s);
    // THEN the function runs as that role, which is the only role of the stack
    assert.equal(provider.role, role);
    assert.equal(Object.keys(template.findResources('AWS::IAM::Role')).length, 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PlatformRole'), 'Arn'] },
    });
    // AND the role's policy has the least-privilege statements, the derived AssumeRole and the Denies included
    const statements = policyStatements(template);
    for (const sid of [
      'WriteOwnLogs',
      'ReadCallingStacks',
      'ReplicatePrimaryKeys',
      'ParametersUnderPrefix',
      'NoDecryptionOutsideDecryptPrefix',
      'NeverTheServiceTokenParameter',
      'NoLockoutBypass',
    ]) {
      assert.ok(sid in statements, `${sid} missing`);
    }
    assert.deepEqual(statements.AssumeListedTargetAccountRoles.Resource, TARGET_ROLE);
    assert.equal(statements.NoDecryptionOutsideDecryptPrefix.Effect, 'Deny');
    assert.ok(statements.ParametersUnderPrefix.Action.includes('ssm:GetParametersByPath'));
    // AND the function is created after the policy, so that no resource invokes it without its permissions
    const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy'));
    template.hasResource('AWS::Lambda::Function', { DependsOn: Match.arrayWith([policyId]) });
    // AND no warning
    Annotations.fromStack(s).hasNoWarning('*', Match.anyValue());
  });

  it('adds nothing to an immutable role, and warns with the statements it must grant', () => {
    // GIVEN an imported role that the construct may not change
    const s = stack();
    const role = iam.Role.fromRoleArn(s, 'Given', `arn:aws:iam::${ACCOUNT}:role/platform/mrk`, { mutable: false });
    new MrkProviderFunction(s, 'MrkProvider', { role, allowedRegions: ['us-east-1'] });
    const template = Template.fromStack(s);
    // THEN no policy and no role are created
    assert.deepEqual(template.findResources('AWS::IAM::Policy'), {});
    assert.deepEqual(template.findResources('AWS::IAM::Role'), {});
    template.hasResourceProperties('AWS::Lambda::Function', {
      Role: `arn:aws:iam::${ACCOUNT}:role/platform/mrk`,
    });
    // AND a warning names the statements the role must grant
    const [warning] = Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('cannot be changed'));
    assert.ok(warning, 'a warning');
    const message = String(warning.entry.data);
    for (const sid of ['WriteOwnLogs', 'ReplicatePrimaryKeys', 'ParametersUnderPrefix', 'NoDecryptionOutsideDecryptPrefix']) {
      assert.match(message, new RegExp(`"Sid":"${sid}"`));
    }
    assert.match(message, /ssm:GetParametersByPath/);
  });

  it('applies a permissionsBoundary to the role it creates', () => {
    const s = stack();
    const boundary = iam.ManagedPolicy.fromManagedPolicyName(s, 'Boundary', 'platform-boundary');
    new MrkProviderFunction(s, 'MrkProvider', { allowedRegions: ['us-east-1'], permissionsBoundary: boundary });
    Template.fromStack(s).hasResourceProperties('AWS::IAM::Role', {
      PermissionsBoundary: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':policy/platform-boundary$')])] },
    });
  });

  it('refuses a permissionsBoundary with a role of your own, saying where the boundary goes', () => {
    const s = stack();
    const role = new iam.Role(s, 'PlatformRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const boundary = iam.ManagedPolicy.fromManagedPolicyName(s, 'Boundary', 'platform-boundary');
    throwsWith(
      () => new MrkProviderFunction(s, 'MrkProvider', { allowedRegions: ['us-east-1'], role, permissionsBoundary: boundary }),
      /permissionsBoundary is for the role the construct creates.*iam\.PermissionsBoundary\.of\(role\)\.apply/,
    );
  });

  it('passes the metrics namespace and the log level to the function and to Lambda', () => {
    const s = stack();
    new MrkProviderFunction(s, 'MrkProvider', { allowedRegions: ['us-east-1'] });
    Template.fromStack(s).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'MrkProvider', LOG_LEVEL: 'info' }) },
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' },
    });
  });
});
