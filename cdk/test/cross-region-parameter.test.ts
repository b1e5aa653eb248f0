import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { CrossRegionParameter, CrossRegionParameterType, ServiceToken } from 'mrk-provider-cdk';
import { throwsWith, twoRegions } from './helpers';

describe('CrossRegionParameter', () => {
  it('renders Custom::CrossRegionParameter with every property named as in the SPEC', () => {
    // GIVEN a multi-Region key for the SecureStrings
    const { primary } = twoRegions();
    const key = new kms.Key(primary, 'ParameterKey', { multiRegion: true });
    // WHEN every prop is set
    new CrossRegionParameter(primary, 'Pushed', {
      regions: ['eu-west-1', 'ap-southeast-2'],
      parameters: {
        '/cross-region/app/key-arn': 'arn:aws:kms:us-east-1:123456789012:key/mrk-1',
        '/cross-region/app/region': 'us-east-1',
      },
      type: CrossRegionParameterType.SECURE_STRING,
      keyId: key,
      tier: ssm.ParameterTier.ADVANCED,
      description: 'written by the key stack',
      tags: { team: 'platform' },
      adoptExisting: true,
    });
    // THEN the resource carries them with the contract's names
    Template.fromStack(primary).hasResourceProperties('Custom::CrossRegionParameter', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MrkProviderFunction'), 'Arn'] },
      ServiceTimeout: '360',
      Regions: ['eu-west-1', 'ap-southeast-2'],
      Parameters: {
        '/cross-region/app/key-arn': 'arn:aws:kms:us-east-1:123456789012:key/mrk-1',
        '/cross-region/app/region': 'us-east-1',
      },
      Type: 'SecureString',
      KeyId: { Ref: Match.stringLikeRegexp('^ParameterKey') },
      Tier: 'Advanced',
      Description: 'written by the key stack',
      Tags: [{ Key: 'team', Value: 'platform' }],
      AdoptExisting: 'true',
    });
  });

  it('leaves unset properties out and takes a key id as text', () => {
    const { primary } = twoRegions();
    new CrossRegionParameter(primary, 'Pushed', {
      regions: ['eu-west-1'],
      parameters: { '/cross-region/app/secret': 's3cr3t' },
      type: CrossRegionParameterType.SECURE_STRING,
      keyId: 'alias/app-data',
    });
    const [properties] = Object.values(Template.fromStack(primary).findResources('Custom::CrossRegionParameter')).map(
      (r) => r.Properties,
    );
    assert.deepEqual(Object.keys(properties).sort(), [
      'KeyId',
      'Parameters',
      'Regions',
      'ServiceTimeout',
      'ServiceToken',
      'Type',
    ]);
    assert.equal(properties.KeyId, 'alias/app-data');
  });

  it('exposes the Names attribute', () => {
    const { primary } = twoRegions();
    const pushed = new CrossRegionParameter(primary, 'Pushed', {
      regions: ['eu-west-1'],
      parameters: { '/cross-region/a': 'x' },
    });
    const logicalId = primary.getLogicalId(pushed.resource.node.defaultChild as kms.CfnKey);
    assert.deepEqual(primary.resolve(pushed.names), { 'Fn::GetAtt': [logicalId, 'Names'] });
  });

  it('passes values that are tokens through unchecked', () => {
    const { primary } = twoRegions();
    const key = new kms.Key(primary, 'AppKey', { multiRegion: true });
    new CrossRegionParameter(primary, 'Pushed', {
      regions: ['eu-west-1'],
      parameters: { '/cross-region/app/key-arn': key.keyArn },
    });
    Template.fromStack(primary).hasResourceProperties('Custom::CrossRegionParameter', {
      Parameters: { '/cross-region/app/key-arn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^AppKey'), 'Arn'] } },
    });
  });

  describe('valueIn(scope, name)', () => {
    it('reads the parameter natively in the consumer stack, which deploys after this one', () => {
      // GIVEN a parameter written into eu-west-1
      const { primary, consumer } = twoRegions();
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/app/key-arn': 'arn' },
      });
      // WHEN a stack in eu-west-1 uses its value
      const value = pushed.valueIn(consumer, '/cross-region/app/key-arn');
      new ssm.CfnParameter(consumer, 'Copy', { type: 'String', value });
      // THEN CloudFormation resolves it from SSM there, and the stacks deploy in order
      const template = Template.fromStack(consumer);
      const parameters = template.findParameters('*', {
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: '/cross-region/app/key-arn',
      });
      assert.equal(Object.keys(parameters).length, 1);
      template.hasResourceProperties('AWS::SSM::Parameter', { Value: { Ref: Object.keys(parameters)[0] } });
      assert.ok(consumer.dependencies.includes(primary));
    });

    it('refuses a name that is not written', () => {
      const { primary, consumer } = twoRegions();
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
      });
      throwsWith(
        () => pushed.valueIn(consumer, '/cross-region/b'),
        /valueIn: '\/cross-region\/b' is not one of the parameters written \(\/cross-region\/a\)/,
      );
    });

    it('refuses a stack in a region that is not written to', () => {
      const { app, primary } = twoRegions();
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
      });
      const sydney = new Stack(app, 'Sydney', { env: { region: 'ap-southeast-2' } });
      throwsWith(
        () => pushed.valueIn(sydney, '/cross-region/a'),
        /valueIn: Sydney is in ap-southeast-2, but the parameters are written only to eu-west-1/,
      );
    });

    it('refuses the stack that writes the parameter', () => {
      const { app } = twoRegions();
      const anywhere = new Stack(app, 'Anywhere');
      const pushed = new CrossRegionParameter(anywhere, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
      });
      throwsWith(
        () => pushed.valueIn(anywhere, '/cross-region/a'),
        /valueIn: Anywhere writes '\/cross-region\/a' itself and so cannot read it natively/,
      );
    });

    it('refuses a SecureString', () => {
      const { primary, consumer } = twoRegions();
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
        type: CrossRegionParameterType.SECURE_STRING,
      });
      throwsWith(
        () => pushed.valueIn(consumer, '/cross-region/a'),
        /is a SecureString; reference it with \{\{resolve:ssm-secure:\/cross-region\/a\}\}/,
      );
    });
  });

  describe('validation', () => {
    const make = (overrides: object) => {
      const { primary } = twoRegions();
      return () =>
        new CrossRegionParameter(primary, 'Pushed', {
          regions: ['eu-west-1'],
          parameters: { '/cross-region/app/key-arn': 'arn' },
          ...overrides,
        });
    };

    it('refuses an empty region list, a bad region and a region listed twice', () => {
      throwsWith(make({ regions: [] }), /^\[Primary\/Pushed\] regions is empty; name at least one region$/);
      throwsWith(make({ regions: ['eu-west-1', 'EU-WEST-2'] }), /regions: 'EU-WEST-2' is not a region name/);
      throwsWith(make({ regions: ['eu-west-1', 'eu-west-1'] }), /regions: 'eu-west-1' is listed twice/);
    });

    it('refuses an empty parameter map', () => {
      throwsWith(make({ parameters: {} }), /parameters is empty; name at least one parameter/);
    });

    it('refuses each name that SSM would refuse, saying why', () => {
      const cases: Array<[string, RegExp]> = [
        ['app/key-arn', /'app\/key-arn' must start with '\/'/],
        ['/app/key arn', /'\/app\/key arn' contains ' '; SSM allows only letters/],
        ['/app/k$y', /contains '\$'/],
        ['/app//key', /'\/app\/\/key' has an empty level/],
        ['/app/', /has an empty level/],
        [`/${Array(16).fill('l').join('/')}`, /has 16 levels; SSM allows at most 15/],
        [`/${'n'.repeat(1011)}`, /is 1012 characters long; SSM allows at most 1011/],
        ['/aws/key', /starts with 'aws'; SSM reserves names that begin with aws or ssm/],
        ['/SSM-params/key', /starts with 'SSM'; SSM reserves names/],
      ];
      for (const [name, pattern] of cases) {
        throwsWith(make({ parameters: { [name]: 'x' } }), pattern);
      }
    });

    it("accepts names at SSM's limits", () => {
      // (a provider deployed with ParameterPrefix '/' would take them)
      const serviceToken = ServiceToken.fromParameter();
      make({ parameters: { [`/${Array(15).fill('l').join('/')}`]: 'x' }, serviceToken })();
      make({ parameters: { [`/${'n'.repeat(1010)}`]: 'x' }, serviceToken })();
      make({ parameters: { '/awesome/x': 'x', '/App_1/v1.2/x-y': 'y' }, serviceToken })();
    });

    it('refuses an empty value', () => {
      throwsWith(make({ parameters: { '/cross-region/a': '' } }), /the value of '\/cross-region\/a' is empty/);
    });

    it('refuses a value too large for its tier', () => {
      const big = 'é'.repeat(2049); // 4098 bytes
      throwsWith(
        make({ parameters: { '/cross-region/a': big } }),
        /the value of '\/cross-region\/a' is 4098 bytes; the Standard tier allows at most 4096/,
      );
      make({ parameters: { '/cross-region/a': big }, tier: ssm.ParameterTier.ADVANCED })();
      throwsWith(
        make({ parameters: { '/cross-region/a': 'x'.repeat(8193) }, tier: ssm.ParameterTier.INTELLIGENT_TIERING }),
        /is 8193 bytes; the Intelligent-Tiering tier allows at most 8192/,
      );
    });

    it('refuses a key id without SecureString', () => {
      throwsWith(make({ keyId: 'alias/app' }), /keyId is only for type: CrossRegionParameterType.SECURE_STRING/);
    });

    it('refuses a description longer than 1024 characters', () => {
      throwsWith(
        make({ description: 'd'.repeat(1025) }),
        /description is 1025 characters long; SSM allows at most 1024/,
      );
      make({ description: 'd'.repeat(1024) })();
    });

    it('refuses tags that SSM would refuse', () => {
      throwsWith(make({ tags: { 'team#1': 'x' } }), /tags: key 'team#1' is not a valid SSM tag key/);
      throwsWith(make({ tags: { team: 'a,b' } }), /tags: the value of 'team' is not a valid SSM tag value/);
      make({ tags: { 'cost-center': 'a b_c.d:e/f=g+h-i@j', équipe: 'plateforme' } })();
    });
  });
});
