import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { CrossRegionParameter, CrossRegionParameterType, ServiceToken } from 'mrk-provider-cdk';
import { ACCOUNT, throwsWith, twoRegions } from './helpers';

const WORKLOAD_ACCOUNT = '222222222222';
const TARGET_ROLE = `arn:aws:iam::${WORKLOAD_ACCOUNT}:role/mrk-provider-target`;

describe('CrossRegionParameter', () => {
  it('renders Custom::CrossRegionParameter with every property named as in docs/reference.md', () => {
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

  it('renders role and externalId as RoleArn and ExternalId, from an ARN or an iam.IRole', () => {
    // GIVEN a role ARN, and the same role imported as an iam.IRole
    const { primary } = twoRegions({ roles: true });
    const imported = iam.Role.fromRoleArn(primary, 'Target', TARGET_ROLE);
    // WHEN each is the role of a resource, one of them with an external id
    new CrossRegionParameter(primary, 'ByArn', {
      regions: ['eu-west-1'],
      parameters: { '/cross-region/a': 'x' },
      role: TARGET_ROLE,
      externalId: 'workload-a:7f3c',
    });
    new CrossRegionParameter(primary, 'ByRole', {
      regions: ['eu-west-1'],
      parameters: { '/cross-region/b': 'x' },
      role: imported,
    });
    // THEN the resources carry the ARN, and the external id only where it was set
    const resources = Template.fromStack(primary).findResources('Custom::CrossRegionParameter');
    const byPath = (id: string) => {
      const found = Object.entries(resources).find(([logicalId]) => logicalId.startsWith(id));
      assert.ok(found, `no resource ${id}`);
      return found[1].Properties;
    };
    assert.equal(byPath('ByArn').RoleArn, TARGET_ROLE);
    assert.equal(byPath('ByArn').ExternalId, 'workload-a:7f3c');
    assert.equal(byPath('ByRole').RoleArn, TARGET_ROLE);
    assert.ok(!('ExternalId' in byPath('ByRole')));
  });

  it('takes a role whose ARN is known only at deploy time', () => {
    const { primary } = twoRegions();
    const arn = new CfnParameter(primary, 'TargetRoleArn').valueAsString;
    new CrossRegionParameter(primary, 'Pushed', {
      regions: ['eu-west-1'],
      parameters: { '/cross-region/a': 'x' },
      role: arn,
      externalId: new CfnParameter(primary, 'ExternalId').valueAsString,
    });
    Template.fromStack(primary).hasResourceProperties('Custom::CrossRegionParameter', {
      RoleArn: { Ref: 'TargetRoleArn' },
      ExternalId: { Ref: 'ExternalId' },
    });
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

  describe('parameterIn(scope, id, name)', () => {
    it("is an ssm.IStringParameter of the consumer's region, so grantRead grants the copy written there", () => {
      // GIVEN a parameter written into eu-west-1, and a function of a stack there
      const { primary, consumer } = twoRegions();
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/app/queue-url': 'https://sqs.example' },
      });
      const reader = new iam.Role(consumer, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      // WHEN the consumer imports it and grants reading it
      const parameter = pushed.parameterIn(consumer, 'QueueUrl', '/cross-region/app/queue-url');
      parameter.grantRead(reader);
      // THEN the policy is on the parameter's ARN in eu-west-1 and the consumer's account
      assert.equal(parameter.parameterName, '/cross-region/app/queue-url');
      const template = Template.fromStack(consumer);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['ssm:GetParameter']),
              Resource: {
                'Fn::Join': [
                  '',
                  ['arn:', { Ref: 'AWS::Partition' }, `:ssm:eu-west-1:${ACCOUNT}:parameter/cross-region/app/queue-url`],
                ],
              },
            }),
          ]),
        },
      });
      // AND the consumer deploys after the writer's stack
      assert.ok(consumer.dependencies.includes(primary));
    });

    it('takes a SecureString too (grantRead, no value), and refuses what valueIn refuses', () => {
      const { app, primary, consumer } = twoRegions();
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/app/token': 'secret' },
        type: CrossRegionParameterType.SECURE_STRING,
      });
      pushed.parameterIn(consumer, 'Token', '/cross-region/app/token');
      throwsWith(
        () => pushed.parameterIn(consumer, 'Other', '/cross-region/app/other'),
        /parameterIn: '\/cross-region\/app\/other' is not one of the parameters written/,
      );
      const sydney = new Stack(app, 'Sydney', { env: { account: ACCOUNT, region: 'ap-southeast-2' } });
      throwsWith(
        () => pushed.parameterIn(sydney, 'Token', '/cross-region/app/token'),
        /parameterIn: Sydney is in ap-southeast-2, but the parameters are written only to eu-west-1/,
      );
      const elsewhere = new Stack(app, 'Elsewhere', { env: { account: '999999999999', region: 'eu-west-1' } });
      throwsWith(
        () => pushed.parameterIn(elsewhere, 'Token', '/cross-region/app/token'),
        /parameterIn: Elsewhere is in account 999999999999, but the parameters are written to account/,
      );
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

    it("lets a stack in the role's account and one of the regions read what is written through the role", () => {
      // GIVEN parameters written into the workload account's eu-west-1 through its role
      const { app, primary } = twoRegions({ roles: true });
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
        role: TARGET_ROLE,
      });
      // WHEN a stack of the workload account in eu-west-1 reads one
      const workload = new Stack(app, 'Workload', { env: { account: WORKLOAD_ACCOUNT, region: 'eu-west-1' } });
      const value = pushed.valueIn(workload, '/cross-region/a');
      // THEN it reads it natively, and deploys after the writer
      assert.deepEqual(Object.keys(workload.resolve(value)), ['Ref']);
      assert.ok(workload.dependencies.includes(primary));
    });

    it("refuses a stack outside the role's account, naming both accounts and the role", () => {
      const { primary, consumer } = twoRegions({ roles: true });
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
        role: iam.Role.fromRoleArn(primary, 'Target', TARGET_ROLE),
      });
      throwsWith(
        () => pushed.valueIn(consumer, '/cross-region/a'),
        new RegExp(
          `valueIn: Consumer is in account ${ACCOUNT}, but the parameters are written to account ` +
            `${WORKLOAD_ACCOUNT} \\(the account of role ${TARGET_ROLE}\\); a stack reads SSM parameters natively only`,
        ),
      );
    });

    it("refuses a stack of another account than this one's when no role is set", () => {
      const { app, primary } = twoRegions();
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
      });
      const workload = new Stack(app, 'Workload', { env: { account: WORKLOAD_ACCOUNT, region: 'eu-west-1' } });
      throwsWith(
        () => pushed.valueIn(workload, '/cross-region/a'),
        new RegExp(
          `valueIn: Workload is in account ${WORKLOAD_ACCOUNT}, but the parameters are written to account ` +
            `${ACCOUNT} \\(Primary's; set role to a role of account ${WORKLOAD_ACCOUNT} to write there\\)`,
        ),
      );
    });

    it("knows the account of an iam.IRole whose ARN is a token from the role's environment", () => {
      // GIVEN the workload account's role by name, its ARN a token (the partition is known at deploy time)
      const { app, primary, consumer } = twoRegions();
      const workload = new Stack(app, 'Workload', { env: { account: WORKLOAD_ACCOUNT, region: 'eu-west-1' } });
      const role = iam.Role.fromRoleName(workload, 'Target', 'mrk-provider-target');
      const pushed = new CrossRegionParameter(primary, 'Pushed', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
        role,
      });
      // THEN the role's ARN is resolved at deploy time, the workload stack may read, and a stack of the
      // writer's account may not
      Template.fromStack(primary).hasResourceProperties('Custom::CrossRegionParameter', {
        RoleArn: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${WORKLOAD_ACCOUNT}:role/mrk-provider-target`]],
        },
      });
      pushed.valueIn(workload, '/cross-region/a');
      throwsWith(
        () => pushed.valueIn(consumer, '/cross-region/a'),
        new RegExp(
          `Consumer is in account ${ACCOUNT}, but the parameters are written to account ${WORKLOAD_ACCOUNT} ` +
            "\\(the role's account\\)",
        ),
      );
    });

    it('takes an account unknown at synth time to be the right one', () => {
      // GIVEN an environment-agnostic reader, and a role whose ARN is a deployment parameter
      const { app, primary, consumer } = twoRegions({ roles: true });
      const agnostic = new Stack(app, 'Agnostic', { env: { region: 'eu-west-1' } });
      const byRole = new CrossRegionParameter(primary, 'ByRole', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
        role: TARGET_ROLE,
      });
      const byToken = new CrossRegionParameter(primary, 'ByToken', {
        regions: ['eu-west-1'],
        parameters: { '/cross-region/b': 'x' },
        role: new CfnParameter(primary, 'TargetRoleArn').valueAsString,
      });
      // THEN neither can be checked, and both are allowed
      byRole.valueIn(agnostic, '/cross-region/a');
      byToken.valueIn(consumer, '/cross-region/b');
      assert.ok(agnostic.dependencies.includes(primary) && consumer.dependencies.includes(primary));
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
      const { primary } = twoRegions({ roles: true });
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

    it('refuses a role that is not an IAM role ARN', () => {
      for (const role of [
        'mrk-provider-target',
        `arn:aws:iam::${WORKLOAD_ACCOUNT}:user/deployer`,
        'arn:aws:iam::*:role/mrk-provider-target',
        `arn:aws:sts::${WORKLOAD_ACCOUNT}:assumed-role/mrk-provider-target/s`,
        `arn:aws:iam::${WORKLOAD_ACCOUNT}:role/`,
      ]) {
        throwsWith(make({ role }), /role '.*' is not an IAM role ARN \(arn:<partition>:iam::<account>:role\/<name>\)/);
      }
      make({ role: `arn:aws:iam::${WORKLOAD_ACCOUNT}:role/platform/mrk-provider-target` })();
    });

    it('refuses an external id that STS would refuse, and one without a role', () => {
      throwsWith(make({ role: TARGET_ROLE, externalId: 'a' }), /externalId is 1 character long; STS accepts 2 to 1224/);
      throwsWith(make({ role: TARGET_ROLE, externalId: 'x'.repeat(1225) }), /externalId is 1225 characters long/);
      throwsWith(make({ role: TARGET_ROLE, externalId: 'has space' }), /externalId contains ' '; STS accepts only/);
      throwsWith(make({ role: TARGET_ROLE, externalId: 'é-id' }), /externalId contains 'é'/);
      throwsWith(
        make({ externalId: 'workload-a' }),
        /externalId is passed to AssumeRole with role, and no role is set; set role too, or remove externalId/,
      );
      make({ role: TARGET_ROLE, externalId: 'ab' })();
      make({ role: TARGET_ROLE, externalId: `Workload_A+=,.@:/-${'x'.repeat(1206)}` })();
    });

    it('refuses a role of another partition than the regions', () => {
      throwsWith(
        make({ role: `arn:aws-cn:iam::${WORKLOAD_ACCOUNT}:role/mrk-provider-target` }),
        /role is in partition aws-cn and regions in aws; STS reaches only roles of the provider's own partition/,
      );
    });

    it('refuses tags that SSM would refuse', () => {
      throwsWith(make({ tags: { 'team#1': 'x' } }), /tags: key 'team#1' is not a valid SSM tag key/);
      throwsWith(make({ tags: { team: 'a,b' } }), /tags: the value of 'team' is not a valid SSM tag value/);
      make({ tags: { 'cost-center': 'a b_c.d:e/f=g+h-i@j', équipe: 'plateforme' } })();
    });
  });
});
