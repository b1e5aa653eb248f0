import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  CrossRegionParameter,
  CrossRegionParameterReader,
  FUNCTION_CODE_PATH,
  MrkProviderFunction,
  MrkProviderFunctionProps,
  ProviderLogLevel,
  ProviderResponseMode,
  ReplicaKey,
  ServiceToken,
} from 'mrk-provider-cdk';
import { Json, evaluate, loadTemplateYaml, normalizePolicies, resourcesOfType } from './cloudformation';
import { ACCOUNT, PRIMARY_KEY_ARN, testApp, throwsWith } from './helpers';

const TEMPLATE_YAML = loadTemplateYaml();

/** The settings of the function that template.yaml and the construct must agree on. */
const FUNCTION_SETTINGS = [
  'Runtime',
  'Architectures',
  'Handler',
  'MemorySize',
  'Timeout',
  'Description',
  'Role',
  'ReservedConcurrentExecutions',
  'LoggingConfig',
  'Environment',
];

/** The deployed provider, as comparable data: role, function, log group, retries. */
interface Provider {
  readonly role: Json;
  readonly function: Json;
  readonly logGroup: Json;
  readonly retries: Json;
}

function pick(properties: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((key) => key in properties).map((key) => [key, properties[key]]));
}

function comparable(role: Json, fn: Json, logGroup: Json, retries: Json): Provider {
  return {
    role: {
      ...role.Properties,
      AssumeRolePolicyDocument: normalizePolicies([
        { PolicyName: 'trust', PolicyDocument: role.Properties.AssumeRolePolicyDocument },
      ]),
      Policies: normalizePolicies(role.Properties.Policies ?? []),
    },
    function: {
      ...pick(fn, FUNCTION_SETTINGS),
      ...('ReservedConcurrentExecutions' in fn
        ? { ReservedConcurrentExecutions: Number(fn.ReservedConcurrentExecutions) }
        : {}),
    },
    logGroup: {
      RetentionInDays: Number(logGroup.Properties.RetentionInDays),
      DeletionPolicy: logGroup.DeletionPolicy,
      UpdateReplacePolicy: logGroup.UpdateReplacePolicy,
    },
    retries,
  };
}

/** What template.yaml deploys with these parameters. */
function fromTemplateYaml(parameters: { [name: string]: string }): Provider {
  const deployment = {
    parameters,
    resourceNames: { MrkProviderFunction: 'Function', MrkProviderRole: 'Role', MrkProviderLogGroup: 'LogGroup' },
  };
  const resource = (logicalId: string) => evaluate(TEMPLATE_YAML, deployment, TEMPLATE_YAML.Resources[logicalId]);
  const fn = resource('MrkProviderFunction').Properties;
  return comparable(resource('MrkProviderRole'), fn, resource('MrkProviderLogGroup'), {
    MaximumRetryAttempts: fn.EventInvokeConfig.MaximumRetryAttempts,
  });
}

/** What the stack's MrkProviderFunction deploys. */
function fromStack(stack: Stack): Provider {
  const template = Template.fromStack(stack).toJSON();
  const only = (type: string): string => {
    const ids = resourcesOfType(template, type);
    assert.equal(ids.length, 1, `${stack.node.path} has ${ids.length} ${type}`);
    return ids[0];
  };
  const names = {
    Function: only('AWS::Lambda::Function'),
    Role: only('AWS::IAM::Role'),
    LogGroup: only('AWS::Logs::LogGroup'),
  };
  const resourceNames = Object.fromEntries(Object.entries(names).map(([name, id]) => [id, name]));
  const resource = (logicalId: string) =>
    evaluate(template, { parameters: {}, resourceNames }, template.Resources[logicalId]);
  const retries = resource(only('AWS::Lambda::EventInvokeConfig')).Properties;
  // Nothing but the role's own (inline) policies: template.yaml has no other.
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    assert.deepEqual(resourcesOfType(template, type), [], `${stack.node.path} has an ${type}`);
  }
  // SAM's EventInvokeConfig is this resource, on the function's $LATEST.
  assert.deepEqual([retries.FunctionName, retries.Qualifier], ['Function.Ref', '$LATEST']);
  return comparable(resource(names.Role), resource(names.Function).Properties, resource(names.LogGroup), {
    MaximumRetryAttempts: retries.MaximumRetryAttempts,
  });
}

function stackIn(app: App = testApp()): Stack {
  return new Stack(app, 'Stack', { env: { account: ACCOUNT, region: 'us-east-1' } });
}

function withProvider(props: MrkProviderFunctionProps, app?: App): Stack {
  const stack = stackIn(app);
  new MrkProviderFunction(stack, 'MrkProvider', props);
  return stack;
}

const ROLES = 'arn:aws:iam::111122223333:role/mrk-provider-target,arn:aws:iam::*:role/team-?/mrk-*';

/** template.yaml's parameters and the same settings as props. */
const SETTINGS: Array<{ name: string; parameters: { [name: string]: string }; props: MrkProviderFunctionProps }> = [
  {
    name: 'the defaults (no DecryptPrefix, no AssumableRoleArns)',
    parameters: { AllowedRegions: 'us-east-1,eu-west-1' },
    props: { allowedRegions: ['us-east-1', 'eu-west-1'] },
  },
  {
    name: 'a DecryptPrefix, two AssumableRoleArns bounded to accounts and an organization, and every other parameter changed',
    parameters: {
      AllowedRegions: 'eu-central-1',
      ParameterPrefix: '/app/',
      DecryptPrefix: '/app/secrets/',
      AssumableRoleArns: ROLES,
      ResponseMode: 'cloudformation',
      ReservedConcurrency: '5',
      LogLevel: 'debug',
      LogRetentionInDays: '7',
      AssumableRoleAccounts: '111122223333,444455556666',
      AssumableRoleOrgId: 'o-a1b2c3d4e5',
      AllowedParameterTiers: 'Standard,Advanced',
      AllowBypassPolicyLockoutSafetyCheck: 'true',
      ServiceTokenParameterName: '/platform/mrk-provider-token',
      MetricsNamespace: 'Platform/MrkProvider',
    },
    props: {
      allowedRegions: ['eu-central-1'],
      parameterPrefix: '/app/',
      decryptPrefix: '/app/secrets/',
      assumableRoleArns: ROLES.split(','),
      responseMode: ProviderResponseMode.CLOUDFORMATION,
      reservedConcurrentExecutions: 5,
      logLevel: ProviderLogLevel.DEBUG,
      logRetention: logs.RetentionDays.ONE_WEEK,
      assumableRoleAccounts: ['111122223333', '444455556666'],
      assumableRoleOrgId: 'o-a1b2c3d4e5',
      allowedParameterTiers: ['Standard', 'Advanced'],
      allowBypassPolicyLockoutSafetyCheck: true,
      serviceTokenParameterName: '/platform/mrk-provider-token',
      metricsNamespace: 'Platform/MrkProvider',
    },
  },
  {
    name: 'no metrics (an empty MetricsNamespace) and the trace LogLevel',
    parameters: { AllowedRegions: 'us-east-1', MetricsNamespace: '', LogLevel: 'trace' },
    props: { allowedRegions: ['us-east-1'], metricsNamespace: '', logLevel: ProviderLogLevel.TRACE },
  },
  {
    name: 'the warn LogLevel (Lambda still at INFO, so that it keeps the metric line)',
    parameters: { AllowedRegions: 'us-east-1', LogLevel: 'warn' },
    props: { allowedRegions: ['us-east-1'], logLevel: ProviderLogLevel.WARN },
  },
  {
    name: 'a DecryptPrefix, no AssumableRoleArns, ParameterPrefix /',
    parameters: { AllowedRegions: 'us-east-1,ap-southeast-2', ParameterPrefix: '/', DecryptPrefix: '/secrets/' },
    props: { allowedRegions: ['us-east-1', 'ap-southeast-2'], parameterPrefix: '/', decryptPrefix: '/secrets/' },
  },
  {
    name: 'one AssumableRoleArn, no DecryptPrefix',
    parameters: { AllowedRegions: 'us-east-1', AssumableRoleArns: 'arn:aws:iam::*:role/mrk-provider-target' },
    props: { allowedRegions: ['us-east-1'], assumableRoleArns: ['arn:aws:iam::*:role/mrk-provider-target'] },
  },
];

describe('MrkProviderFunction', () => {
  describe('deploys what template.yaml deploys: IAM policies statement for statement, runtime, memory, timeout, log group, environment', () => {
    for (const { name, parameters, props } of SETTINGS) {
      it(`with ${name}`, () => {
        const expected = fromTemplateYaml(parameters);
        const actual = fromStack(withProvider(props));
        assert.deepEqual(actual, expected);
        // (and the comparison sees what matters: these differ between the settings)
        assert.equal(
          actual.role.Policies.some((p: Json) => p.PolicyName === 'sts-target-account-roles'),
          'AssumableRoleArns' in parameters,
        );
      });
    }

    it('with the regions that the resources of the stack name, when it is created by them', () => {
      // GIVEN a stack whose resources name five regions, and no allowedRegions
      const stack = stackIn();
      new ReplicaKey(stack, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1', 'ap-southeast-2'],
      });
      new CrossRegionParameter(stack, 'Pushed', {
        regions: ['eu-west-2', 'eu-west-1'],
        parameters: { '/cross-region/a': 'x' },
      });
      new CrossRegionParameterReader(stack, 'Pulled', { region: 'us-west-2', names: ['/cross-region/b'] });
      // THEN the function it got is template.yaml's with AllowedRegions those five
      assert.deepEqual(
        fromStack(stack),
        fromTemplateYaml({ AllowedRegions: 'ap-southeast-2,eu-west-1,eu-west-2,us-east-1,us-west-2' }),
      );
    });

    it('with the roles that the resources of the stack name as AssumableRoleArns, when none are given', () => {
      // GIVEN a stack whose resources name two roles (one twice, one as an iam.IRole), and no assumableRoleArns
      const stack = stackIn();
      const roleA = 'arn:aws:iam::222222222222:role/mrk-provider-target';
      const roleB = 'arn:aws:iam::111122223333:role/team-a/mrk-reader';
      for (const [id, role] of [
        ['A', roleA],
        ['B', iam.Role.fromRoleArn(stack, 'RoleB', roleB)],
      ] as const) {
        new CrossRegionParameter(stack, `Pushed${id}`, {
          regions: ['eu-west-1'],
          parameters: { [`/cross-region/${id}`]: 'x' },
          role,
        });
      }
      new CrossRegionParameterReader(stack, 'Pulled', { region: 'eu-west-1', names: ['/cross-region/c'], role: roleA });
      // THEN the function it got is template.yaml's with AssumableRoleArns those two, sorted
      assert.deepEqual(
        fromStack(stack),
        fromTemplateYaml({ AllowedRegions: 'eu-west-1', AssumableRoleArns: `${roleB},${roleA}` }),
      );
      // AND the same function and roles, but not the policy, without the resources
      assert.notDeepEqual(fromStack(stack), fromTemplateYaml({ AllowedRegions: 'eu-west-1' }));
    });

    it('with no sts:AssumeRole when the resources of the stack name no role', () => {
      const stack = stackIn();
      new CrossRegionParameter(stack, 'Pushed', { regions: ['eu-west-1'], parameters: { '/cross-region/a': 'x' } });
      const provider = fromStack(stack);
      assert.deepEqual(provider, fromTemplateYaml({ AllowedRegions: 'eu-west-1' }));
      assert.ok(!provider.role.Policies.some((p: Json) => p.PolicyName === 'sts-target-account-roles'));
      assert.equal(provider.function.Environment.Variables.ASSUMABLE_ROLE_ARNS, '');
    });

    it("with the stack's region, known at deployment, for a key of a stack without an environment", () => {
      const stack = new Stack(testApp(), 'Stack');
      const key = new kms.Key(stack, 'Key', { multiRegion: true });
      new ReplicaKey(stack, 'Replicas', { primaryKey: key, replicaRegions: ['eu-west-1'] });
      const environment = Template.fromStack(stack).toJSON().Resources;
      const [functionId] = Object.keys(environment).filter((id) => environment[id].Type === 'AWS::Lambda::Function');
      assert.deepEqual(environment[functionId].Properties.Environment.Variables.ALLOWED_REGIONS, {
        'Fn::Join': [',', ['eu-west-1', { Ref: 'AWS::Region' }]],
      });
      // (evaluate deploys it in us-east-1)
      assert.deepEqual(fromStack(stack), fromTemplateYaml({ AllowedRegions: 'eu-west-1,us-east-1' }));
    });

    it('when the app merges IAM statements (@aws-cdk/aws-iam:minimizePolicies)', () => {
      const app = testApp({
        context: { '@aws-cdk/aws-iam:minimizePolicies': true },
      });
      const { parameters, props } = SETTINGS[1];
      assert.deepEqual(fromStack(withProvider(props, app)), fromTemplateYaml(parameters));
    });
  });

  it("has template.yaml's parameter defaults and constraints", () => {
    const declared = TEMPLATE_YAML.Parameters;
    // Every parameter has a prop (ServiceTokenParameterName names the parameter that no resource may write;
    // the construct writes none of its own).
    assert.deepEqual(Object.keys(SETTINGS[1].parameters).sort(), Object.keys(declared).sort());
    assert.deepEqual(declared.AllowedParameterTiers.AllowedValues, ['Standard', 'Advanced', 'Intelligent-Tiering']);
    const retention = declared.LogRetentionInDays.AllowedValues as number[];
    for (const days of Object.values(logs.RetentionDays).filter((d): d is number => typeof d === 'number')) {
      const make = () => withProvider({ allowedRegions: ['us-east-1'], logRetention: days });
      if (retention.includes(days)) {
        make();
      } else {
        throwsWith(make, new RegExp(`logRetention must be one of ${retention.join(', ')} days .*got ${days}`));
      }
    }
    assert.deepEqual(declared.ResponseMode.AllowedValues, Object.values(ProviderResponseMode));
    assert.deepEqual(declared.LogLevel.AllowedValues, Object.values(ProviderLogLevel));
    assert.deepEqual([declared.ReservedConcurrency.MinValue, declared.ReservedConcurrency.MaxValue], [0, 1000]);
  });

  describe('refuses what template.yaml refuses, saying what it takes', () => {
    const cases: Array<[string, MrkProviderFunctionProps, RegExp, string]> = [
      [
        'AllowedRegions',
        { allowedRegions: ['us-east-1', 'Europe'] },
        /allowedRegions: 'Europe' is not a region name/,
        'Europe',
      ],
      ['AllowedRegions', { allowedRegions: [] }, /allowedRegions is empty/, ''],
      [
        'ParameterPrefix',
        { parameterPrefix: '/app' },
        /parameterPrefix '\/app' is not a path that starts and ends with '\/'/,
        '/app',
      ],
      [
        'DecryptPrefix',
        { decryptPrefix: 'secrets/' },
        /decryptPrefix 'secrets\/' is neither empty nor a path/,
        'secrets/',
      ],
      [
        'AssumableRoleArns',
        { assumableRoleArns: ['arn:aws:iam::111122223333:user/someone'] },
        /assumableRoleArns: 'arn:aws:iam::111122223333:user\/someone' is not an IAM role ARN/,
        'arn:aws:iam::111122223333:user/someone',
      ],
      [
        'ReservedConcurrency',
        { reservedConcurrentExecutions: 1001 },
        /reservedConcurrentExecutions must be a whole number from 0 to 1000, got 1001/,
        '1001',
      ],
      ['ReservedConcurrency', { reservedConcurrentExecutions: 1.5 }, /got 1\.5/, '1.5'],
      [
        'LogLevel',
        { logLevel: 'verbose' as ProviderLogLevel },
        /logLevel 'verbose' is not one of error, warn, info, debug, trace/,
        'verbose',
      ],
      [
        'AssumableRoleAccounts',
        { assumableRoleAccounts: ['1111'] },
        /assumableRoleAccounts: '1111' is not a 12-digit account id/,
        '1111',
      ],
      [
        'AssumableRoleOrgId',
        { assumableRoleOrgId: 'my-org' },
        /assumableRoleOrgId 'my-org' is not an organization id/,
        'my-org',
      ],
      [
        'AllowedParameterTiers',
        { allowedParameterTiers: ['Premium'] },
        /allowedParameterTiers: 'Premium' is not one of Standard, Advanced, Intelligent-Tiering/,
        'Premium',
      ],
      [
        'MetricsNamespace',
        { metricsNamespace: 'AWS/Lambda' },
        /metricsNamespace 'AWS\/Lambda' is neither empty \(no metrics\) nor a CloudWatch namespace/,
        'AWS/Lambda',
      ],
      [
        'ServiceTokenParameterName',
        { serviceTokenParameterName: 'service-token' },
        /serviceTokenParameterName 'service-token' is not an SSM parameter name/,
        'service-token',
      ],
    ];
    for (const [parameter, props, message, value] of cases) {
      it(`${parameter} = '${value}', as template.yaml's constraint does`, () => {
        throwsWith(() => withProvider({ allowedRegions: ['us-east-1'], ...props }), message);
        // template.yaml's AllowedPattern, AllowedValues or MaxValue refuses the same value
        const declared = TEMPLATE_YAML.Parameters[parameter];
        if (declared.AllowedPattern !== undefined && value !== '') {
          assert.doesNotMatch(value, new RegExp(declared.AllowedPattern));
        }
        if (declared.AllowedValues !== undefined) {
          assert.ok(!declared.AllowedValues.includes(value));
        }
        if (declared.MaxValue !== undefined && Number.isInteger(Number(value))) {
          assert.ok(Number(value) > declared.MaxValue);
        }
      });
    }

    it("and nothing else: for sample values, as template.yaml's AllowedPattern", () => {
      const declared = TEMPLATE_YAML.Parameters;
      const samples: Array<[string, string[], (value: string) => MrkProviderFunctionProps]> = [
        [
          'AllowedRegions',
          [
            'us-east-1',
            'us-gov-west-1',
            'cn-north-1',
            'us-isob-east-1',
            'eu-west-10',
            'US-EAST-1',
            'useast1',
            'us-east-',
          ],
          (value) => ({ allowedRegions: [value] }),
        ],
        [
          'ParameterPrefix',
          ['/', '/a/', '/a.b/c_d-e/', '/a', 'a/', '//', '/a b/', '/a/*/'],
          (value) => ({ allowedRegions: ['us-east-1'], parameterPrefix: value }),
        ],
        [
          'DecryptPrefix',
          ['', '/', '/s/', '/s', 's/', '/s//'],
          (value) => ({ allowedRegions: ['us-east-1'], decryptPrefix: value }),
        ],
        [
          'AssumableRoleArns',
          [
            'arn:aws:iam::*:role/x',
            'arn:aws-cn:iam::123456789012:role/a/b+c',
            'arn:aws:iam::1:user/x',
            'arn:aws:iam:::role/x',
          ],
          (value) => ({ allowedRegions: ['us-east-1'], assumableRoleArns: [value] }),
        ],
        [
          'MetricsNamespace',
          ['', 'MrkProvider', 'Platform/Mrk-1', 'a.b_c#d:e', 'AWS/Lambda', 'AWSome', 'a b', ':a', 'x'.repeat(255), 'x'.repeat(256)],
          (value) => ({ allowedRegions: ['us-east-1'], metricsNamespace: value }),
        ],
      ];
      for (const [parameter, values, props] of samples) {
        const pattern = new RegExp(declared[parameter].AllowedPattern);
        for (const value of values) {
          let accepted = true;
          try {
            withProvider(props(value));
          } catch {
            accepted = false;
          }
          assert.equal(accepted, pattern.test(value), `${parameter} '${value}'`);
        }
      }
    });

    it('and takes what template.yaml takes', () => {
      withProvider({ allowedRegions: ['us-gov-west-1', 'eu-isoe-west-1'], assumableRoleArns: ROLES.split(',') });
      assert.match(ROLES, new RegExp(TEMPLATE_YAML.Parameters.AssumableRoleArns.AllowedPattern));
    });
  });

  describe('one per stack', () => {
    it('serves every resource of the stack that has no serviceToken', () => {
      const stack = stackIn();
      const replicas = new ReplicaKey(stack, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1'],
      });
      replicas.replicaKeyIn(
        new Stack(stack.node.scope as App, 'Eu', { env: { account: ACCOUNT, region: 'eu-west-1' } }),
        'eu-west-1',
      );
      new CrossRegionParameterReader(stack, 'Pulled', { region: 'eu-west-1', names: ['/cross-region/b'] });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::Lambda::Function', 1);
      const [functionId] = Object.keys(template.findResources('AWS::Lambda::Function'));
      const tokens = Object.values(template.toJSON().Resources as Json)
        .filter((r: Json) => r.Type.startsWith('Custom::'))
        .map((r: Json) => r.Properties.ServiceToken);
      assert.deepEqual(
        tokens,
        [1, 2, 3].map(() => ({ 'Fn::GetAtt': [functionId, 'Arn'] })),
      );
    });

    it('is not added to a stack whose resources use a shared provider', () => {
      const stack = stackIn();
      new ReplicaKey(stack, 'Replicas', {
        primaryKey: PRIMARY_KEY_ARN,
        replicaRegions: ['eu-west-1'],
        serviceToken: ServiceToken.fromExport('mrk-provider-ServiceToken'),
      });
      Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 0);
    });

    it('is the one created in the stack, with its settings, when it comes before the resources', () => {
      const stack = withProvider({ parameterPrefix: '/app/' });
      new CrossRegionParameter(stack, 'Pushed', { regions: ['eu-west-1'], parameters: { '/app/a': 'x' } });
      assert.equal(MrkProviderFunction.of(stack).node.path, 'Stack/MrkProvider');
      Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: { PARAMETER_PREFIX: '/app/', ALLOWED_REGIONS: 'eu-west-1' } },
      });
    });

    it('refuses a second one, saying where the first came from', () => {
      const stack = stackIn();
      new ReplicaKey(stack, 'Replicas', { primaryKey: PRIMARY_KEY_ARN, replicaRegions: ['eu-west-1'] });
      throwsWith(
        () => new MrkProviderFunction(stack, 'Mine', {}),
        /Stack already has an mrk-provider function \(Stack\/MrkProvider\), and a stack needs only one: a construct without serviceToken created it with the defaults. Create yours before the first construct that uses it/,
      );
      const other = withProvider({ allowedRegions: ['us-east-1'] });
      throwsWith(
        () => new MrkProviderFunction(other, 'Again'),
        /already has an mrk-provider function \(Stack\/MrkProvider\).*; give its settings there/,
      );
    });

    it('ships the zip that `make package` made, as a file asset of the stack', () => {
      // GIVEN an app synthesized into a cloud assembly
      const app = testApp();
      withProvider({ allowedRegions: ['us-east-1'] }, app);
      const assembly = app.synth();
      // THEN the function's code is the asset the assembly holds, and that asset is the package's zip
      const resources = assembly.getStackByName('Stack').template.Resources as Json;
      const [fn] = Object.values(resources).filter((r: Json) => r.Type === 'AWS::Lambda::Function') as Json[];
      const key: string = fn.Properties.Code.S3Key;
      assert.match(key, /^[0-9a-f]{64}\.zip$/);
      const staged = readFileSync(path.join(assembly.directory, `asset.${key}`));
      assert.ok(staged.equals(readFileSync(FUNCTION_CODE_PATH)), 'the staged asset is not the packaged zip');
      assert.deepEqual(pick(fn.Properties, ['Architectures', 'Runtime', 'Handler']), {
        Architectures: ['arm64'],
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
      });
    });
  });

  describe('checks at synth time what the function would refuse at deploy time', () => {
    it('a parameter name outside its parameterPrefix', () => {
      const stack = stackIn();
      throwsWith(
        () => new CrossRegionParameter(stack, 'Pushed', { regions: ['eu-west-1'], parameters: { '/app/a': 'x' } }),
        /\[Stack\/Pushed\] '\/app\/a' is outside this provider's PARAMETER_PREFIX '\/cross-region\/'; use a name that starts with '\/cross-region\/' \(or create the stack's MrkProviderFunction with another parameterPrefix\)/,
      );
    });

    it('decryption when its decryptPrefix is empty, or outside it', () => {
      const read = (stack: Stack) => () =>
        new CrossRegionParameterReader(stack, 'Pulled', {
          region: 'eu-west-1',
          names: ['/cross-region/a'],
          withDecryption: true,
        });
      throwsWith(read(stackIn()), /withDecryption: Stack\/MrkProvider decrypts nothing \(its decryptPrefix is empty\)/);
      throwsWith(
        read(withProvider({ decryptPrefix: '/cross-region/secrets/' })),
        /withDecryption: '\/cross-region\/a' is outside the decryptPrefix '\/cross-region\/secrets\/' of Stack\/MrkProvider/,
      );
      read(withProvider({ decryptPrefix: '/cross-region/' }))();
    });

    it('a role outside its assumableRoleArns', () => {
      const target = 'arn:aws:iam::222222222222:role/mrk-provider-target';
      const push = (stack: Stack) => () =>
        new CrossRegionParameter(stack, 'Pushed', {
          regions: ['eu-west-1'],
          parameters: { '/cross-region/a': 'x' },
          role: target,
        });
      throwsWith(
        push(withProvider({ assumableRoleArns: [] })),
        /role arn:aws:iam::222222222222:role\/mrk-provider-target is not among the assumableRoleArns of Stack\/MrkProvider \(none\); create the stack's MrkProviderFunction with assumableRoleArns listing it/,
      );
      // (without assumableRoleArns, the function may assume the roles its resources name)
      push(stackIn())();
      push(withProvider({}))();
      throwsWith(
        push(withProvider({ assumableRoleArns: ['arn:aws:iam::333333333333:role/*'] })),
        /is not among the assumableRoleArns of Stack\/MrkProvider \(arn:aws:iam::333333333333:role\/\*\)/,
      );
      throwsWith(
        push(withProvider({ assumableRoleArns: ['arn:aws:iam::22222222222?:role/mrk-provider'] })),
        /is not among the assumableRoleArns/,
      );
      push(withProvider({ assumableRoleArns: [target] }))();
      push(withProvider({ assumableRoleArns: ['arn:aws:iam::*:role/mrk-provider-*'] }))();
      push(withProvider({ assumableRoleArns: ['arn:aws:iam::22222222222?:role/mrk-provider-target'] }))();
      const reader = withProvider({ assumableRoleArns: ['arn:aws:iam::*:role/other'] });
      throwsWith(
        () =>
          new CrossRegionParameterReader(reader, 'Pulled', {
            region: 'eu-west-1',
            names: ['/cross-region/a'],
            role: target,
          }),
        /is not among the assumableRoleArns/,
      );
    });

    it('a region outside the allowedRegions it was given', () => {
      const stack = withProvider({ allowedRegions: ['us-east-1', 'eu-west-1'] });
      throwsWith(
        () =>
          new ReplicaKey(stack, 'Replicas', {
            primaryKey: PRIMARY_KEY_ARN,
            replicaRegions: ['eu-west-1', 'ap-south-1', 'sa-east-1'],
          }),
        /\[Stack\/Replicas\] ap-south-1, sa-east-1 are not among the allowedRegions of Stack\/MrkProvider \(us-east-1, eu-west-1\); add them there/,
      );
    });

    it('regions known only at deployment, without allowedRegions', () => {
      const stack = stackIn();
      const regions = new CfnParameter(stack, 'Regions', { type: 'CommaDelimitedList' });
      new CrossRegionParameter(stack, 'Pushed', {
        regions: regions.valueAsList,
        parameters: { '/cross-region/a': 'x' },
      });
      throwsWith(
        () => Template.fromStack(stack),
        /Stack\/Pushed names its regions \(Regions\) with a token, known only at deployment, so the regions this function may call cannot be listed: create it with allowedRegions/,
      );
    });

    it('a function that no resource uses and that was given no allowedRegions', () => {
      const stack = withProvider({});
      throwsWith(
        () => Template.fromStack(stack),
        /no mrk-provider resource of the stack uses this function, so it has no region to allow/,
      );
    });
  });
});
