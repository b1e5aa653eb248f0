import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CfnOutput } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CrossRegionParameterReader, MrkProviderFunction } from 'mrk-provider-cdk';
import { throwsWith, twoRegions } from './helpers';

const SHARED_ROLE = 'arn:aws:iam::333333333333:role/mrk-provider-target';

describe('CrossRegionParameterReader', () => {
  it('renders Custom::CrossRegionParameterReader with every property named as in docs/reference.md', () => {
    const { consumer } = twoRegions();
    new MrkProviderFunction(consumer, 'MrkProvider', { decryptPrefix: '/cross-region/app/' });
    new CrossRegionParameterReader(consumer, 'AppKeys', {
      region: 'us-east-1',
      names: ['/cross-region/app/key-arn', '/cross-region/app/secret'],
      withDecryption: true,
    });
    Template.fromStack(consumer).hasResourceProperties('Custom::CrossRegionParameterReader', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MrkProviderFunction'), 'Arn'] },
      ServiceTimeout: '360',
      Region: 'us-east-1',
      Names: ['/cross-region/app/key-arn', '/cross-region/app/secret'],
      WithDecryption: 'true',
    });
  });

  it("reads through another account's role: RoleArn and ExternalId", () => {
    // GIVEN a reader of a third account's parameters, through that account's role
    const { consumer } = twoRegions({ roles: true });
    new CrossRegionParameterReader(consumer, 'Shared', {
      region: 'us-east-1',
      names: ['/cross-region/logs/archive-bucket-arn'],
      role: iam.Role.fromRoleArn(consumer, 'SharedRole', SHARED_ROLE),
      externalId: 'security-reader',
    });
    // THEN the role and the external id are properties of the resource
    Template.fromStack(consumer).hasResourceProperties('Custom::CrossRegionParameterReader', {
      Region: 'us-east-1',
      RoleArn: SHARED_ROLE,
      ExternalId: 'security-reader',
    });
  });

  it('leaves WithDecryption out unless it is set (Refresh is there by default: test/refresh.test.ts)', () => {
    const { consumer } = twoRegions();
    new CrossRegionParameterReader(consumer, 'AppKeys', { region: 'us-east-1', names: ['/cross-region/app/key-arn'] });
    const [properties] = Object.values(
      Template.fromStack(consumer).findResources('Custom::CrossRegionParameterReader'),
    ).map((r) => r.Properties);
    assert.deepEqual(Object.keys(properties).sort(), ['Names', 'Refresh', 'Region', 'ServiceTimeout', 'ServiceToken']);
  });

  it('value() is the Value attribute and value(name) the attribute named after the parameter', () => {
    // GIVEN a reader of one name
    const { consumer } = twoRegions();
    const reader = new CrossRegionParameterReader(consumer, 'AppKeys', {
      region: 'us-east-1',
      names: ['/cross-region/app/key-arn'],
    });
    // WHEN both are used
    new CfnOutput(consumer, 'Only', { value: reader.value() });
    new CfnOutput(consumer, 'Named', { value: reader.value('/cross-region/app/key-arn') });
    // THEN they are GetAtts of the contract's attributes
    const logicalId = consumer.getLogicalId(reader.resource.node.defaultChild as any);
    const template = Template.fromStack(consumer);
    template.hasOutput('Only', { Value: { 'Fn::GetAtt': [logicalId, 'Value'] } });
    template.hasOutput('Named', { Value: { 'Fn::GetAtt': [logicalId, '/cross-region/app/key-arn'] } });
  });

  describe('validation', () => {
    const make = (overrides: object) => {
      const { consumer } = twoRegions({ roles: true });
      return () =>
        new CrossRegionParameterReader(consumer, 'AppKeys', {
          region: 'us-east-1',
          names: ['/cross-region/a'],
          ...overrides,
        });
    };

    it('refuses value() without a name for a reader of several names', () => {
      const reader = make({ names: ['/cross-region/a', '/cross-region/b'] })();
      throwsWith(
        () => reader.value(),
        /value\(\) without a name needs a reader of exactly one name, and this one reads 2 \(\/cross-region\/a, \/cross-region\/b\); pass the name/,
      );
    });

    it('refuses value(name) of a name it does not read', () => {
      const reader = make({})();
      throwsWith(
        () => reader.value('/cross-region/b'),
        /value\('\/cross-region\/b'\): '\/cross-region\/b' is not one of the names read \(\/cross-region\/a\)/,
      );
    });

    it('refuses a region that is not a region name', () => {
      throwsWith(make({ region: 'virginia' }), /^\[Consumer\/AppKeys\] region: 'virginia' is not a region name/);
    });

    it('refuses a role that is not a role ARN, an external id STS would refuse, and one without a role', () => {
      throwsWith(make({ role: 'arn:aws:iam::333333333333:group/readers' }), /role '.*' is not an IAM role ARN/);
      throwsWith(make({ role: SHARED_ROLE, externalId: 'id;1' }), /externalId contains ';'/);
      throwsWith(make({ externalId: 'security-reader' }), /externalId is passed to AssumeRole with role, and no role/);
      throwsWith(
        make({ region: 'cn-north-1', role: SHARED_ROLE }),
        /role is in partition aws and region in aws-cn; STS reaches only roles of the provider's own partition/,
      );
      make({ role: SHARED_ROLE, externalId: 'security-reader' })();
    });

    it('refuses no names, a name listed twice, and names that SSM would refuse', () => {
      throwsWith(make({ names: [] }), /names is empty; name at least one parameter/);
      throwsWith(make({ names: ['/cross-region/a', '/cross-region/a'] }), /names: '\/cross-region\/a' is listed twice/);
      throwsWith(make({ names: ['/ssm/a'] }), /names: '\/ssm\/a' starts with 'ssm'/);
      throwsWith(make({ names: ['cross-region/a'] }), /must start with '\/'/);
    });
  });

  describe('path (and recursive): every parameter under a path', () => {
    it('renders Path and Recursive instead of Names, and value(name) is the attribute of a full name', () => {
      // GIVEN a reader of a path, recursive, with decryption under the provider's decryptPrefix
      const { consumer } = twoRegions();
      new MrkProviderFunction(consumer, 'MrkProvider', { decryptPrefix: '/cross-region/app/' });
      const reader = new CrossRegionParameterReader(consumer, 'App', {
        region: 'us-east-1',
        path: '/cross-region/app',
        recursive: true,
        withDecryption: true,
      });
      new CfnOutput(consumer, 'Deep', { value: reader.value('/cross-region/app/db/password') });
      // THEN the resource has Path and Recursive, no Names, and the value is a GetAtt of the full name
      const template = Template.fromStack(consumer);
      const [properties] = Object.values(template.findResources('Custom::CrossRegionParameterReader')).map(
        (r) => r.Properties,
      );
      assert.deepEqual(
        [properties.Path, properties.Recursive, properties.WithDecryption, properties.Names],
        ['/cross-region/app', 'true', 'true', undefined],
      );
      const logicalId = consumer.getLogicalId(reader.resource.node.defaultChild as any);
      template.hasOutput('Deep', { Value: { 'Fn::GetAtt': [logicalId, '/cross-region/app/db/password'] } });
      // AND the provider may read by path
      template.hasResourceProperties('AWS::IAM::Role', {
        Policies: Match.arrayWith([
          Match.objectLike({
            PolicyName: 'ssm-parameters',
            PolicyDocument: {
              Statement: Match.arrayWith([
                Match.objectLike({ Sid: 'ParametersUnderPrefix', Action: Match.arrayWith(['ssm:GetParametersByPath']) }),
              ]),
            },
          }),
        ]),
      });
    });

    it('leaves Recursive out unless it is set, and a direct child is all value(name) takes then', () => {
      const { consumer } = twoRegions();
      const reader = new CrossRegionParameterReader(consumer, 'App', { region: 'us-east-1', path: '/cross-region/app/' });
      const [properties] = Object.values(
        Template.fromStack(consumer).findResources('Custom::CrossRegionParameterReader'),
      ).map((r) => r.Properties);
      assert.deepEqual(Object.keys(properties).sort(), ['Path', 'Refresh', 'Region', 'ServiceTimeout', 'ServiceToken']);
      reader.value('/cross-region/app/queue-url');
      throwsWith(
        () => reader.value('/cross-region/app/db/password'),
        /value\('\/cross-region\/app\/db\/password'\): .* is not a direct child of the path read \(\/cross-region\/app\/, not recursive\)/,
      );
      throwsWith(() => reader.value('/cross-region/other/a'), /is not a direct child of the path read/);
      throwsWith(() => reader.value(), /value\(\) without a name needs a reader of exactly one name, and this one reads the path/);
    });

    it('refuses names and path together, neither, recursive without path, and a path SSM or the provider refuses', () => {
      const { consumer } = twoRegions();
      const make = (props: object) => () =>
        new CrossRegionParameterReader(consumer, `R${Math.random()}`.replace('.', ''), { region: 'us-east-1', ...props });
      throwsWith(make({ names: ['/cross-region/a'], path: '/cross-region' }), /give names or path, not both/);
      throwsWith(make({}), /give names \(the parameters to read\) or path \(to read every parameter under it\)/);
      throwsWith(make({ names: ['/cross-region/a'], recursive: true }), /recursive is only for a reader of a path/);
      throwsWith(make({ path: '/ssm/app' }), /path: '\/ssm\/app' starts with 'ssm'/);
      throwsWith(make({ path: 'cross-region/app' }), /path: 'cross-region\/app' must start with '\/'/);
      throwsWith(make({ path: '/other/app' }), /path '\/other\/app' is outside this provider's PARAMETER_PREFIX '\/cross-region\/'/);
      throwsWith(make({ path: '/cross-region/' }), /is outside this provider's PARAMETER_PREFIX .*or it is that prefix itself/);
      throwsWith(
        make({ path: '/cross-region/app', withDecryption: true }),
        /withDecryption: .* decrypts nothing \(its decryptPrefix is empty\)/,
      );
    });

    it('decrypts a path only under the decryptPrefix', () => {
      const { consumer } = twoRegions();
      new MrkProviderFunction(consumer, 'MrkProvider', { decryptPrefix: '/cross-region/app/secrets/' });
      new CrossRegionParameterReader(consumer, 'Secrets', {
        region: 'us-east-1',
        path: '/cross-region/app/secrets',
        withDecryption: true,
      });
      throwsWith(
        () =>
          new CrossRegionParameterReader(consumer, 'App', {
            region: 'us-east-1',
            path: '/cross-region/app',
            withDecryption: true,
          }),
        /withDecryption: the path '\/cross-region\/app' is not under the decryptPrefix '\/cross-region\/app\/secrets\/'/,
      );
    });
  });
});
