import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, Aspects, Duration, Fn, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { addNagSuppressions, providerNagSuppressions } from './nag';
import { MrkProviderValidationError, isLiteral, parameterNameProblem } from './validate';

/** How the function answers (template.yaml's `ResponseMode`, the function's `RESPONSE_MODE`). */
export enum ProviderResponseMode {
  /** CloudFormation directly when the event's ServiceToken is the function itself, else the CDK Provider framework. */
  AUTO = 'auto',
  /** Always PUT the answer to CloudFormation's ResponseURL. */
  CLOUDFORMATION = 'cloudformation',
  /** Always return the answer to the CDK Provider framework that invoked the function. */
  PROVIDER = 'provider',
}

/**
 * Level of the function's JSON logs (template.yaml's `LogLevel`): the function's `LOG_LEVEL`, and Lambda's
 * application log level (in upper case, but never stricter than INFO, so that Lambda keeps the metric line),
 * which drops lines below it.
 */
export enum ProviderLogLevel {
  ERROR = 'error',
  WARN = 'warn',
  INFO = 'info',
  DEBUG = 'debug',
  TRACE = 'trace',
}

/**
 * Settings of an {@link MrkProviderFunction}: template.yaml's parameters, with the same defaults
 * (`ServiceTokenParameterName` aside: the stack's own resources take the function's ARN directly).
 */
export interface MrkProviderFunctionProps {
  /**
   * Every region the function may call (`AllowedRegions`): the primary keys', the replica regions, and
   * those parameters are written to or read from. It refuses the others before any call, and IAM denies them.
   * @default the regions that the stack's mrk-provider resources name, found when the app is synthesized
   */
  readonly allowedRegions?: string[];

  /**
   * SSM path, starting and ending with `/`, that every parameter name must be under (`ParameterPrefix`);
   * `/` allows every name. IAM grants SSM access to this path only.
   * @default '/cross-region/'
   */
  readonly parameterPrefix?: string;

  /**
   * SSM path, under `parameterPrefix`, whose SecureStrings a `CrossRegionParameterReader` may decrypt
   * (`DecryptPrefix`); empty: none.
   * @default '' (no decryption)
   */
  readonly decryptPrefix?: string;

  /**
   * ARNs of the roles in other accounts that a resource's `RoleArn` may name (`AssumableRoleArns`), with
   * `*` and `?` as in IAM. Empty: no `sts:AssumeRole` permission, and every `RoleArn` is refused.
   * @default the roles that the stack's mrk-provider resources name (their `role`), found when the app is
   * synthesized; none (no `sts:AssumeRole`) when they name none
   */
  readonly assumableRoleArns?: string[];

  /**
   * How the function answers (`ResponseMode`). The resources of this stack invoke it directly, so `AUTO`
   * and `CLOUDFORMATION` behave alike for them.
   * @default ProviderResponseMode.AUTO
   */
  readonly responseMode?: ProviderResponseMode;

  /**
   * Instances of the function that may run at once, reserved from the account's concurrency
   * (`ReservedConcurrency`), 0 to 1000; 0 reserves none.
   * @default 0
   */
  readonly reservedConcurrentExecutions?: number;

  /**
   * Level of the function's JSON logs (`LogLevel`): the function's `LOG_LEVEL`, which overrides the level
   * Lambda passes it, and Lambda's application log level (never stricter than INFO, so that Lambda keeps the
   * metric line), which drops lines below it.
   * @default ProviderLogLevel.INFO
   */
  readonly logLevel?: ProviderLogLevel;

  /**
   * CloudWatch namespace of the function's metrics (`MetricsNamespace`): one Embedded Metric Format line
   * per request in its logs, which CloudWatch turns into metrics without an API call. Empty: no metrics.
   * Letters, digits and `. _ / # - :` (not first), at most 255 characters, not `AWS/...`.
   * @default 'MrkProvider'
   */
  readonly metricsNamespace?: string;

  /**
   * An execution role of your own for the function, instead of the one the construct creates (which has
   * template.yaml's inline policies). The construct adds its least-privilege statements to a role it may
   * change (`addToPrincipalPolicy`: an `iam.Policy` attached to it); to an immutable one
   * (`Role.fromRoleArn(..., { mutable: false })`, `withoutPolicyUpdates()`) it adds nothing and warns with
   * the statements the role must grant. The role must trust `lambda.amazonaws.com`.
   * @default a role the construct creates, with template.yaml's policies
   */
  readonly role?: iam.IRole;

  /**
   * A permissions boundary for the role the construct creates. Not with `role`: a role of your own has
   * the boundary you gave it.
   * @default none
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;

  /** How long CloudWatch Logs keeps the function's logs (`LogRetentionInDays`). @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The 12-digit accounts that the `assumableRoleArns` must be in (`AssumableRoleAccounts`): the function
   * refuses a role of any other account, and IAM denies `sts:AssumeRole` outside `aws:ResourceAccount`.
   * Set it (or `assumableRoleOrgId`) whenever a role pattern has a `*` account.
   * @default - no account bound
   */
  readonly assumableRoleAccounts?: string[];

  /**
   * The AWS Organizations id (`o-...`) that the `assumableRoleArns` must belong to (`AssumableRoleOrgId`):
   * IAM denies `sts:AssumeRole` outside `aws:ResourceOrgID`.
   * @default - no organization bound
   */
  readonly assumableRoleOrgId?: string;

  /**
   * The SSM tiers a `CrossRegionParameter` may write (`AllowedParameterTiers`): `Standard`, `Advanced`,
   * `Intelligent-Tiering`. `Advanced` costs money per parameter and month (and `Intelligent-Tiering` may
   * become `Advanced`); a resource writes at most 100 parameters in a paid tier.
   * @default ['Standard']
   */
  readonly allowedParameterTiers?: string[];

  /**
   * Whether a `ReplicaKey` may set `bypassPolicyLockoutSafetyCheck` (`AllowBypassPolicyLockoutSafetyCheck`):
   * a key policy put without KMS's check can lock every principal out of the key for good. When false, the
   * function refuses it and IAM denies it.
   * @default false
   */
  readonly allowBypassPolicyLockoutSafetyCheck?: boolean;

  /**
   * The SSM parameter that holds a ServiceToken of mrk-provider in this region (`ServiceTokenParameterName`),
   * which no resource of this function may write, adopt or delete (IAM denies it too), so that nobody can
   * point the stacks that read it at another function.
   * @default '/mrk-provider/service-token'
   */
  readonly serviceTokenParameterName?: string;
}

/** template.yaml's defaults, kept equal by test/provider.test.ts. */
const DEFAULTS = {
  parameterPrefix: '/cross-region/',
  decryptPrefix: '',
  responseMode: ProviderResponseMode.AUTO,
  reservedConcurrentExecutions: 0,
  logLevel: ProviderLogLevel.INFO,
  metricsNamespace: 'MrkProvider',
  logRetention: logs.RetentionDays.ONE_MONTH,
  assumableRoleAccounts: [] as string[],
  assumableRoleOrgId: '',
  allowedParameterTiers: ['Standard'],
  allowBypassPolicyLockoutSafetyCheck: false,
  serviceTokenParameterName: '/mrk-provider/service-token',
};

/** template.yaml's `AllowedPattern`s, kept equal by test/provider.test.ts. */
const PARAMETER_PATTERNS = {
  AllowedRegions: /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$/,
  ParameterPrefix: /^\/([a-zA-Z0-9_.-]+\/)*$/,
  DecryptPrefix: /^$|^\/([a-zA-Z0-9_.-]+\/)*$/,
  AssumableRoleArn: /^arn:[a-z*?-]+:iam::[0-9*?]{1,12}:role\/[a-zA-Z0-9+=.@_/*?-]+$/,
  AssumableRoleAccount: /^[0-9]{12}$/,
  AssumableRoleOrgId: /^$|^o-[a-z0-9]{10,32}$/,
  ServiceTokenParameterName: /^\/[a-zA-Z0-9_.-]+(\/[a-zA-Z0-9_.-]+)*$/,
  MetricsNamespace: /^$|^(?!AWS\/)[a-zA-Z0-9._/#-][a-zA-Z0-9._/#:-]{0,254}$/,
};

/**
 * Lambda's application log level for each of template.yaml's `LogLevel` values (its `LambdaLogLevels`): never
 * stricter than INFO, since Lambda reads the metric line (JSON without a "level") as INFO and would drop it; the
 * function's LOG_LEVEL drops its own lines below warn or error.
 */
const LAMBDA_LOG_LEVELS: { [level: string]: lambda.ApplicationLogLevel } = {
  [ProviderLogLevel.ERROR]: lambda.ApplicationLogLevel.INFO,
  [ProviderLogLevel.WARN]: lambda.ApplicationLogLevel.INFO,
  [ProviderLogLevel.INFO]: lambda.ApplicationLogLevel.INFO,
  [ProviderLogLevel.DEBUG]: lambda.ApplicationLogLevel.DEBUG,
  [ProviderLogLevel.TRACE]: lambda.ApplicationLogLevel.TRACE,
};

/** template.yaml's `AllowedParameterTiers` `AllowedValues`. */
const PARAMETER_TIERS = ['Standard', 'Advanced', 'Intelligent-Tiering'];

/** template.yaml's `LogRetentionInDays` `AllowedValues`, kept equal by test/provider.test.ts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** template.yaml's `ReservedConcurrency` bounds. */
const MAX_RESERVED_CONCURRENCY = 1000;

/** The package's prebuilt arm64 Lambda zip (`make package`), which `npm run build` copies here. */
export const FUNCTION_CODE_PATH = path.join(__dirname, '..', 'assets', 'mrk-provider-arm64.zip');

/** What the function is asked to do by one custom resource of the stack. */
interface Served {
  readonly resource: IConstruct;
  /** The regions its properties name; a string token stands for a region known at deployment. */
  readonly regions: string[];
  /** Set when a property holds a whole list as a token: its regions are known only at deployment. */
  readonly regionListToken?: string;
  /** The role it names (`RoleArn`), if any. */
  readonly roleArn?: string;
}

const providers = new WeakMap<Stack, MrkProviderFunction>();
const served = new WeakMap<MrkProviderFunction, Served[]>();
/** The functions that a construct created, with the defaults, because its stack had none. */
const createdByDefault = new WeakSet<MrkProviderFunction>();

/**
 * The mrk-provider function deployed by the stack itself, with the settings and the IAM policy of
 * template.yaml: one arm64 `provided.al2023` Lambda from the zip that ships in this package (no Rust
 * toolchain, no separate deployment), its role and its log group.
 *
 * A stack has at most one, however many resources use it. The constructs create it with the defaults
 * when they are given no `serviceToken`; to change its settings, create it first:
 *
 * ```ts
 * new MrkProviderFunction(stack, 'MrkProvider', { parameterPrefix: '/app/', logRetention: logs.RetentionDays.ONE_WEEK });
 * new ReplicaKey(stack, 'Replicas', { ... }); // uses it
 * ```
 */
export class MrkProviderFunction extends Construct {
  /** The construct id of the function that the constructs create in a stack that has none. */
  public static readonly DEFAULT_ID = 'MrkProvider';

  /**
   * The package's prebuilt arm64 Lambda zip, the function's code; the same as the TypeScript constant
   * `FUNCTION_CODE_PATH`.
   */
  public static readonly CODE_PATH = FUNCTION_CODE_PATH;

  /** The stack's function: the one created in it, or, when it has none, a new one with the defaults. */
  public static of(scope: IConstruct): MrkProviderFunction {
    const stack = Stack.of(scope);
    const existing = providers.get(stack);
    if (existing) {
      return existing;
    }
    const created = new MrkProviderFunction(stack, MrkProviderFunction.DEFAULT_ID);
    createdByDefault.add(created);
    return created;
  }

  /** The function's ARN: the ServiceToken of the stack's custom resources. */
  public readonly serviceToken: string;
  /** The Lambda function. */
  public readonly function: lambda.Function;
  /** Its execution role: the one created, with template.yaml's policies, or the `role` given. */
  public readonly role: iam.IRole;
  /** Its log group. */
  public readonly logGroup: logs.LogGroup;
  /** The SSM path that parameter names must be under. */
  public readonly parameterPrefix: string;
  /** The SSM path whose SecureStrings a reader may decrypt; empty: none. */
  public readonly decryptPrefix: string;
  /** The regions given as `allowedRegions`; `undefined`: those that the stack's resources name. */
  public readonly allowedRegions?: string[];
  /** The roles given as `assumableRoleArns` (empty: none); `undefined`: those that the stack's resources name. */
  public readonly assumableRoleArns?: string[];
  /** The accounts and organization the roles to assume must be in. */
  private readonly roleBounds: RoleBounds;

  constructor(scope: Construct, id: string, props: MrkProviderFunctionProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    const existing = providers.get(stack);
    if (existing) {
      const byDefault = createdByDefault.has(existing);
      throw new MrkProviderValidationError(
        this,
        `${stack.node.path} already has an mrk-provider function (${existing.node.path}), and a stack needs only ` +
          'one' +
          (byDefault
            ? ': a construct without serviceToken created it with the defaults. Create yours before the first construct that uses it'
            : '; give its settings there'),
      );
    }
    if (!fs.existsSync(FUNCTION_CODE_PATH)) {
      throw new MrkProviderValidationError(
        this,
        `the function's code ${FUNCTION_CODE_PATH} is missing: this copy of mrk-provider-cdk was built without it. ` +
          "Install a packed release (npm pack's tarball), or build it with `npm run build` (it runs the provider's " +
          '`make package`, which needs the Rust toolchain)',
      );
    }
    const settings = { ...DEFAULTS, ...definedProps(props) };
    checkProps(this, props, settings);
    providers.set(stack, this);
    served.set(this, []);
    this.parameterPrefix = settings.parameterPrefix;
    this.decryptPrefix = settings.decryptPrefix;
    this.allowedRegions = props.allowedRegions;
    this.assumableRoleArns = props.assumableRoleArns;
    this.roleBounds = { accounts: settings.assumableRoleAccounts, orgId: settings.assumableRoleOrgId };

    const regions = this.allowedRegions ?? Lazy.list({ produce: () => this.regionsServed() });
    this.node.addValidation({ validate: () => this.regionProblems() });

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: settings.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const statements = policyStatements({
      regions,
      parameterPrefix: settings.parameterPrefix,
      decryptPrefix: settings.decryptPrefix,
      assumableRoleArns: this.assumableRoleArns ?? [],
      logGroupArn: this.logGroup.logGroupArn,
      bounds: this.roleBounds,
      allowBypassPolicyLockoutSafetyCheck: settings.allowBypassPolicyLockoutSafetyCheck,
      serviceTokenParameterName: settings.serviceTokenParameterName,
    });
    if (props.role !== undefined) {
      this.role = props.role;
      this.grantTo(props.role, statements, settings.parameterPrefix);
    } else {
      // Inline policies, as in template.yaml: they live and die with the role, so the function keeps its
      // permissions until the stack's custom resources (which depend on the function) are deleted.
      this.role = new iam.Role(this, 'Role', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: Fn.sub('Execution role of the mrk-provider function of stack ${AWS::StackName}'),
        permissionsBoundary: props.permissionsBoundary,
        inlinePolicies: Object.fromEntries(
          Object.entries(statements).map(([name, list]) => [name, new iam.PolicyDocument({ statements: list })]),
        ),
      });
      if (this.assumableRoleArns === undefined) {
        this.addPolicyForRolesServed();
      }
    }
    this.function = new lambda.Function(this, 'Function', {
      description:
        'mrk-provider custom resources (Custom::ReplicaKey, Custom::CrossRegionParameter, Custom::CrossRegionParameterReader)',
      code: lambda.Code.fromAsset(FUNCTION_CODE_PATH),
      handler: 'bootstrap',
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      // template.yaml explains both: the measured memory, and an answer always 10 s before the timeout.
      memorySize: 128,
      timeout: Duration.seconds(300),
      reservedConcurrentExecutions: settings.reservedConcurrentExecutions > 0 ? settings.reservedConcurrentExecutions : undefined,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: LAMBDA_LOG_LEVELS[settings.logLevel],
      // A retry could only follow a crash, after CloudFormation may have rolled back already.
      retryAttempts: 0,
      environment: {
        PARAMETER_PREFIX: settings.parameterPrefix,
        DECRYPT_PREFIX: settings.decryptPrefix,
        // Empty only when there is no region at all, which the validation above reports: the synthesis fails,
        // so no function with an empty ALLOWED_REGIONS (which would allow any region) is ever deployed.
        ALLOWED_REGIONS: Lazy.string({
          produce: () => {
            const allowed = this.allowedRegions ?? this.regionsServed();
            return allowed.length === 0 ? '' : Fn.join(',', allowed);
          },
        }),
        LOG_LEVEL: settings.logLevel,
        RESPONSE_MODE: settings.responseMode,
        ASSUMABLE_ROLE_ARNS:
          this.assumableRoleArns?.join(',') ??
          Lazy.string({
            produce: () => {
              const roles = this.rolesServed();
              return roles.length === 0 ? '' : Fn.join(',', roles);
            },
          }),
        ASSUMABLE_ROLE_ACCOUNTS: settings.assumableRoleAccounts.join(','),
        PROVIDER_ROLE_ARN: this.role.roleArn,
        SERVICE_TOKEN_PARAMETER: settings.serviceTokenParameterName,
        ALLOWED_PARAMETER_TIERS: settings.allowedParameterTiers.join(','),
        ALLOW_BYPASS_POLICY_LOCKOUT_SAFETY_CHECK: String(settings.allowBypassPolicyLockoutSafetyCheck),
        METRICS_NAMESPACE: settings.metricsNamespace,
      },
    });
    // lambda.Function makes the function depend on its role, which its Role and PROVIDER_ROLE_ARN already
    // reference: cfn-lint warns of the repetition (W3005) in every template of the stack's owner.
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata('cfn-lint', {
      config: { ignore_checks: ['W3005'] },
    });
    this.serviceToken = this.function.functionArn;
    if (props.role === undefined) {
      addNagSuppressions(this.role, providerNagSuppressions(settings.parameterPrefix));
    }
  }

  /**
   * template.yaml's statements added to a role of the user's, when the app is synthesized (the roles to
   * assume that the served resources name are known only then); a warning that names them when the role
   * cannot be changed.
   */
  private grantTo(role: iam.IRole, documents: { [name: string]: iam.PolicyStatement[] }, parameterPrefix: string): void {
    Aspects.of(this).add({
      visit: (node) => {
        if (node !== this) {
          return;
        }
        const derived: { [name: string]: iam.PolicyStatement[] } =
          this.assumableRoleArns === undefined && this.rolesServed().length > 0
            ? { [ASSUME_ROLE_POLICY_NAME]: assumeRoleStatements(this.rolesServed(), this.roleBounds) }
            : {};
        const all = Object.entries({ ...documents, ...derived }).flatMap(([name, statements]) =>
          statements.map((statement) => ({ name, statement })),
        );
        const render = ({ name, statement }: { name: string; statement: iam.PolicyStatement }) =>
          `${name}: ${JSON.stringify(Stack.of(this).resolve(statement.toStatementJson()))}`;
        let missing = all.filter((entry) => !role.addToPrincipalPolicy(entry.statement).statementAdded).map(render);
        // The policy that addToPrincipalPolicy made for the statements: an iam.Role's DefaultPolicy, an imported
        // role's Policy. An immutable role (withoutPolicyUpdates) says it added them but makes none: then they are
        // all missing. The policy's wildcards are the construct's, and so are their cdk-nag suppressions.
        const policy = role.node.tryFindChild('DefaultPolicy') ?? role.node.tryFindChild('Policy');
        if (policy !== undefined) {
          addNagSuppressions(policy, providerNagSuppressions(parameterPrefix));
          // The function runs only once its permissions exist, so the resources that invoke it (which depend on
          // it) never meet a role without them.
          this.function.node.addDependency(policy);
        } else {
          missing = all.map(render);
        }
        if (missing.length > 0) {
          Annotations.of(this).addWarningV2(
            'mrk-provider-cdk:roleNotChanged',
            `the role ${role.node.path} cannot be changed (it is immutable), so it must already grant every ` +
              `statement the function needs; it must allow and deny as these do:\n${missing.join('\n')}`,
          );
        }
      },
    });
  }

  /** The role ARNs of the served resources, sorted, each once (tokens after the ARNs). */
  private rolesServed(): string[] {
    const all = new Set((served.get(this) ?? []).flatMap((s) => (s.roleArn === undefined ? [] : [s.roleArn])));
    const known = [...all].filter((arn) => isLiteral(arn)).sort();
    return [...known, ...[...all].filter((arn) => !isLiteral(arn))];
  }

  /**
   * template.yaml's `sts-target-account-roles` policy, in its place among the role's inline policies, for
   * the roles that the served resources name, or none when they name none. Known only when the app is
   * synthesized, so rendered then: `iam.Role` flattens its inline policies when it is created.
   */
  private addPolicyForRolesServed(): void {
    const cfnRole = this.role.node.defaultChild as iam.CfnRole;
    const inline = cfnRole.policies as iam.CfnRole.PolicyProperty[];
    const at = inline.findIndex((policy) => policy.policyName === SSM_POLICY_NAME);
    const derived = Lazy.any({
      produce: () => {
        const roles = this.rolesServed();
        // Resolved before CfnRole renders it, so in its props' form. `undefined` leaves no element: the CDK
        // drops undefined array elements when it resolves them.
        return roles.length === 0
          ? undefined
          : { policyName: ASSUME_ROLE_POLICY_NAME, policyDocument: assumeRolePolicy(roles, this.roleBounds) };
      },
    });
    cfnRole.policies = [...inline.slice(0, at), derived, ...inline.slice(at)];
  }

  /** The regions of the served resources, sorted, each once (tokens after the names). */
  private regionsServed(): string[] {
    const all = new Set((served.get(this) ?? []).flatMap((s) => s.regions));
    const known = [...all].filter((region) => isLiteral(region)).sort();
    return [...known, ...[...all].filter((region) => !isLiteral(region))];
  }

  private regionProblems(): string[] {
    if (this.allowedRegions !== undefined) {
      return [];
    }
    const problems = (served.get(this) ?? [])
      .filter((s) => s.regionListToken !== undefined)
      .map(
        (s) =>
          `${s.resource.node.path} names its regions (${s.regionListToken}) with a token, known only at deployment, so ` +
          'the regions this function may call cannot be listed: create it with allowedRegions',
      );
    if (problems.length === 0 && this.regionsServed().length === 0) {
      problems.push(
        'no mrk-provider resource of the stack uses this function, so it has no region to allow: create it with ' +
          'allowedRegions, or let the constructs create it',
      );
    }
    return problems;
  }
}

/**
 * The ServiceToken of a resource of `scope` that was given none: the stack's {@link MrkProviderFunction},
 * which then allows the regions that `properties` name. Names outside its prefixes are refused here, at
 * synth time, rather than by the function at deploy time.
 */
export function bundledServiceToken(scope: IConstruct, properties: { [name: string]: unknown }): string {
  const provider = MrkProviderFunction.of(scope);
  const entry = regionsOf(scope, properties);
  const allowed = provider.allowedRegions;
  if (allowed !== undefined && isLiteral(allowed)) {
    const outside = entry.regions.filter((region) => isLiteral(region) && !allowed.includes(region));
    if (outside.length > 0) {
      throw new MrkProviderValidationError(
        scope,
        `${outside.join(', ')} ${outside.length === 1 ? 'is' : 'are'} not among the allowedRegions of ` +
          `${provider.node.path} (${allowed.join(', ')}); add ${outside.length === 1 ? 'it' : 'them'} there`,
      );
    }
  }
  checkNames(scope, provider, properties);
  checkRole(scope, provider, properties.RoleArn);
  served.get(provider)?.push(entry);
  return provider.serviceToken;
}

/** `true` when `pattern` ('*' any characters, '?' one, as IAM matches a resource ARN) matches `arn`. */
function roleArnMatches(pattern: string, arn: string): boolean {
  const escaped = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`).test(arn);
}

/** A `RoleArn` the provider would refuse (not among its `assumableRoleArns`) fails the synthesis. */
function checkRole(scope: IConstruct, provider: MrkProviderFunction, roleArn: unknown): void {
  const patterns = provider.assumableRoleArns;
  // Anything but a role ARN is the construct's own error to report; without patterns, the roles are derived.
  const known = typeof roleArn === 'string' && isLiteral(roleArn) && /^arn:[^:]+:iam::\d{12}:role\/./.test(roleArn);
  if (!known || patterns === undefined || !patterns.every((p) => isLiteral(p))) {
    return;
  }
  if (!patterns.some((pattern) => roleArnMatches(pattern, roleArn))) {
    throw new MrkProviderValidationError(
      scope,
      `role ${roleArn} is not among the assumableRoleArns of ${provider.node.path} ` +
        `(${patterns.length > 0 ? patterns.join(', ') : 'none'}); create the stack's MrkProviderFunction with ` +
        'assumableRoleArns listing it',
    );
  }
}

/** The regions the function calls for a resource, as it reads them from the resource's properties. */
function regionsOf(resource: IConstruct, properties: { [name: string]: unknown }): Served {
  const regions: string[] = [];
  let regionListToken: string | undefined;
  for (const key of ['Region', 'Regions', 'ReplicaRegions']) {
    const value = properties[key];
    if (typeof value === 'string') {
      regions.push(value);
    } else if (Array.isArray(value) && isLiteral(value)) {
      regions.push(...value);
    } else if (value !== undefined) {
      regionListToken = key;
    }
  }
  const primaryKeyArn = properties.PrimaryKeyArn;
  if (typeof primaryKeyArn === 'string') {
    // A key of the app is in its stack's region (CDK references do not cross regions); an ARN says its own.
    const region = isLiteral(primaryKeyArn) ? primaryKeyArn.split(':')[3] : undefined;
    regions.push(region ?? Stack.of(resource).region);
  }
  const roleArn = typeof properties.RoleArn === 'string' ? properties.RoleArn : undefined;
  return { resource, regions, regionListToken, roleArn };
}

/** Parameter names under the function's `PARAMETER_PREFIX`, and decrypted ones under its `DECRYPT_PREFIX`. */
function checkNames(scope: IConstruct, provider: MrkProviderFunction, properties: { [name: string]: unknown }): void {
  const written = properties.Parameters;
  const read = properties.Names;
  const names = [
    ...(typeof written === 'object' && written !== null && isLiteral(written) ? Object.keys(written) : []),
    ...(Array.isArray(read) && isLiteral(read) ? read : []),
  ];
  const path = typeof properties.Path === 'string' && isLiteral(properties.Path) ? properties.Path : undefined;
  if (path !== undefined && !underPrefix(path, provider.parameterPrefix, false)) {
    throw new MrkProviderValidationError(
      scope,
      `path '${path}' is outside this provider's PARAMETER_PREFIX '${provider.parameterPrefix}' (or it is that ` +
        "prefix itself); read a path under it (or create the stack's MrkProviderFunction with another parameterPrefix)",
    );
  }
  for (const name of names) {
    const problem = parameterNameProblem(name, provider.parameterPrefix);
    if (problem) {
      throw new MrkProviderValidationError(
        scope,
        `${problem} (or create the stack's MrkProviderFunction with another parameterPrefix)`,
      );
    }
  }
  if (properties.WithDecryption !== 'true') {
    return;
  }
  if (path !== undefined && provider.decryptPrefix !== '' && !underPrefix(path, provider.decryptPrefix, true)) {
    throw new MrkProviderValidationError(
      scope,
      `withDecryption: the path '${path}' is not under the decryptPrefix '${provider.decryptPrefix}' of ` +
        `${provider.node.path}, which refuses to decrypt it; read it without decryption, or change that decryptPrefix`,
    );
  }
  const decrypted = [...(Array.isArray(read) && isLiteral(read) ? (read as string[]) : []), ...(path ? [path] : [])];
  for (const name of decrypted) {
    if (provider.decryptPrefix === '') {
      throw new MrkProviderValidationError(
        scope,
        `withDecryption: ${provider.node.path} decrypts nothing (its decryptPrefix is empty); create the stack's ` +
          'MrkProviderFunction with a decryptPrefix that holds the names to decrypt',
      );
    }
    if (name !== path && parameterNameProblem(name, provider.decryptPrefix) !== undefined) {
      throw new MrkProviderValidationError(
        scope,
        `withDecryption: '${name}' is outside the decryptPrefix '${provider.decryptPrefix}' of ${provider.node.path}, ` +
          'which refuses to decrypt it; read it without decryption, or change that decryptPrefix',
      );
    }
  }
}

/**
 * Whether every parameter under `path` lies under `prefix` (a path ending in '/'); the prefix itself only when
 * `itself` (IAM grants the SSM calls on the parameters below the ParameterPrefix, not on the prefix's own ARN).
 */
function underPrefix(path: string, prefix: string, itself: boolean): boolean {
  const base = path.endsWith('/') ? path : `${path}/`;
  return prefix === '/' || (base.startsWith(prefix) && (itself || base !== prefix));
}

/** The props that were given, so that `undefined` does not replace a default. */
function definedProps(props: MrkProviderFunctionProps): Partial<typeof DEFAULTS> {
  return Object.fromEntries(Object.entries(props).filter(([, value]) => value !== undefined)) as Partial<
    typeof DEFAULTS
  >;
}

/** Refuses what template.yaml's parameter constraints refuse, with the parameter's rule in the message. */
function checkProps(scope: IConstruct, props: MrkProviderFunctionProps, settings: typeof DEFAULTS): void {
  const fail = (message: string): never => {
    throw new MrkProviderValidationError(scope, message);
  };
  if (props.allowedRegions !== undefined && isLiteral(props.allowedRegions)) {
    if (props.allowedRegions.length === 0) {
      fail(
        'allowedRegions is empty; name at least one region, or leave it out to allow the regions the resources name',
      );
    }
    for (const region of props.allowedRegions) {
      if (isLiteral(region) && !PARAMETER_PATTERNS.AllowedRegions.test(region)) {
        fail(`allowedRegions: '${region}' is not a region name such as us-east-1 or eu-west-1`);
      }
    }
    if (new Set(props.allowedRegions).size !== props.allowedRegions.length) {
      fail(`allowedRegions lists a region twice (${props.allowedRegions.join(', ')})`);
    }
  }
  if (isLiteral(settings.parameterPrefix) && !PARAMETER_PATTERNS.ParameterPrefix.test(settings.parameterPrefix)) {
    fail(
      `parameterPrefix '${settings.parameterPrefix}' is not a path that starts and ends with '/', such as /cross-region/ or /`,
    );
  }
  if (isLiteral(settings.decryptPrefix) && !PARAMETER_PATTERNS.DecryptPrefix.test(settings.decryptPrefix)) {
    fail(
      `decryptPrefix '${settings.decryptPrefix}' is neither empty nor a path that starts and ends with '/', such as /cross-region/secrets/`,
    );
  }
  for (const arn of props.assumableRoleArns ?? []) {
    if (isLiteral(arn) && !PARAMETER_PATTERNS.AssumableRoleArn.test(arn)) {
      fail(
        `assumableRoleArns: '${arn}' is not an IAM role ARN (arn:aws:iam::<account>:role/<name>, '*' and '?' allowed)`,
      );
    }
  }
  for (const account of settings.assumableRoleAccounts) {
    if (isLiteral(account) && !PARAMETER_PATTERNS.AssumableRoleAccount.test(account)) {
      fail(`assumableRoleAccounts: '${account}' is not a 12-digit account id`);
    }
  }
  if (isLiteral(settings.assumableRoleOrgId) && !PARAMETER_PATTERNS.AssumableRoleOrgId.test(settings.assumableRoleOrgId)) {
    fail(`assumableRoleOrgId '${settings.assumableRoleOrgId}' is not an organization id such as o-a1b2c3d4e5`);
  }
  for (const tier of settings.allowedParameterTiers) {
    if (isLiteral(tier) && !PARAMETER_TIERS.includes(tier)) {
      fail(`allowedParameterTiers: '${tier}' is not one of ${PARAMETER_TIERS.join(', ')}`);
    }
  }
  if (
    isLiteral(settings.serviceTokenParameterName) &&
    !PARAMETER_PATTERNS.ServiceTokenParameterName.test(settings.serviceTokenParameterName)
  ) {
    fail(`serviceTokenParameterName '${settings.serviceTokenParameterName}' is not an SSM parameter name such as /mrk-provider/service-token`);
  }
  const reserved = settings.reservedConcurrentExecutions;
  if (
    !Token.isUnresolved(reserved) &&
    !(Number.isInteger(reserved) && reserved >= 0 && reserved <= MAX_RESERVED_CONCURRENCY)
  ) {
    fail(`reservedConcurrentExecutions must be a whole number from 0 to ${MAX_RESERVED_CONCURRENCY}, got ${reserved}`);
  }
  if (!Object.values(ProviderResponseMode).includes(settings.responseMode)) {
    fail(`responseMode '${settings.responseMode}' is not one of ${Object.values(ProviderResponseMode).join(', ')}`);
  }
  if (!Object.values(ProviderLogLevel).includes(settings.logLevel)) {
    fail(`logLevel '${settings.logLevel}' is not one of ${Object.values(ProviderLogLevel).join(', ')}`);
  }
  if (isLiteral(settings.metricsNamespace) && !PARAMETER_PATTERNS.MetricsNamespace.test(settings.metricsNamespace)) {
    fail(
      `metricsNamespace '${settings.metricsNamespace}' is neither empty (no metrics) nor a CloudWatch namespace such as ` +
        'MrkProvider: letters, digits and . _ / # - : (not first), at most 255 characters, not AWS/...',
    );
  }
  if (props.role !== undefined && props.permissionsBoundary !== undefined) {
    fail(
      'permissionsBoundary is for the role the construct creates, and role gives one of your own: set the boundary ' +
        'on your role (iam.PermissionsBoundary.of(role).apply(boundary)), or leave role out',
    );
  }
  if (!LOG_RETENTION_DAYS.includes(settings.logRetention)) {
    fail(
      `logRetention must be one of ${LOG_RETENTION_DAYS.join(', ')} days (as template.yaml's LogRetentionInDays), got ${settings.logRetention}`,
    );
  }
}

/** The accounts (empty: any) and the organization (empty: any) that the roles to assume must be in. */
interface RoleBounds {
  readonly accounts: string[];
  readonly orgId: string;
}

/** The inputs of the role's policies. */
interface PolicyInputs {
  readonly regions: string[];
  readonly parameterPrefix: string;
  readonly decryptPrefix: string;
  readonly assumableRoleArns: string[];
  readonly logGroupArn: string;
  readonly bounds: RoleBounds;
  readonly allowBypassPolicyLockoutSafetyCheck: boolean;
  readonly serviceTokenParameterName: string;
}

/** The names of template.yaml's inline policies that the roles to assume concern. */
const ASSUME_ROLE_POLICY_NAME = 'sts-target-account-roles';
const SSM_POLICY_NAME = 'ssm-parameters';

/** template.yaml's policy that lets the function assume `roleArns`, within `bounds`. */
function assumeRolePolicy(roleArns: string[], bounds: RoleBounds): iam.PolicyDocument {
  return new iam.PolicyDocument({ statements: assumeRoleStatements(roleArns, bounds) });
}

/** The statements of template.yaml's policy that lets the function assume `roleArns`, within `bounds`. */
function assumeRoleStatements(roleArns: string[], bounds: RoleBounds): iam.PolicyStatement[] {
  const statements = [
    new iam.PolicyStatement({
      sid: 'AssumeListedTargetAccountRoles',
      actions: ['sts:AssumeRole'],
      resources: roleArns,
    }),
  ];
  if (bounds.accounts.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'OnlyRolesOfListedAccounts',
        effect: iam.Effect.DENY,
        actions: ['sts:AssumeRole'],
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:ResourceAccount': bounds.accounts } },
      }),
    );
  }
  if (bounds.orgId !== '') {
    statements.push(
      new iam.PolicyStatement({
        sid: 'OnlyRolesOfTheOrganization',
        effect: iam.Effect.DENY,
        actions: ['sts:AssumeRole'],
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:ResourceOrgID': bounds.orgId } },
      }),
    );
  }
  return statements;
}

/** An ARN of this account's `resource` of `service` in any region. */
function accountArn(service: string, resource: string): string {
  return Fn.sub(`arn:\${AWS::Partition}:${service}:*:\${AWS::AccountId}:${resource}`);
}

/**
 * template.yaml's policies, statement for statement (test/provider.test.ts compares them for several
 * settings); template.yaml says why each statement is shaped as it is.
 */
function policyStatements(inputs: PolicyInputs): { [name: string]: iam.PolicyStatement[] } {
  const inRegions = { 'aws:RequestedRegion': inputs.regions };
  const anyKey = accountArn('kms', 'key/*');
  const multiRegionKey = accountArn('kms', 'key/mrk-*');
  const parametersUnderPrefix = accountArn('ssm', `parameter${inputs.parameterPrefix}*`);
  const document = (...statements: iam.PolicyStatementProps[]) => statements.map((s) => new iam.PolicyStatement(s));
  const lockoutBypassDenied: iam.PolicyStatementProps[] = inputs.allowBypassPolicyLockoutSafetyCheck
    ? []
    : [
        {
          sid: 'NoLockoutBypass',
          effect: iam.Effect.DENY,
          actions: ['kms:ReplicateKey', 'kms:PutKeyPolicy', 'kms:CreateKey'],
          resources: ['*'],
          conditions: { Bool: { 'kms:BypassPolicyLockoutSafetyCheck': 'true' } },
        },
      ];
  const decryptable =
    inputs.decryptPrefix === ''
      ? 'decryption-disabled-by-an-empty-DecryptPrefix'
      : accountArn('ssm', `parameter${inputs.decryptPrefix}*`);

  const result: { [name: string]: iam.PolicyStatement[] } = {
    logs: document({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [inputs.logGroupArn],
    }),
    'cloudformation-callers': document({
      sid: 'ReadCallingStacks',
      actions: ['cloudformation:DescribeStacks', 'cloudformation:DescribeStackResource'],
      resources: [accountArn('cloudformation', 'stack/*/*')],
    }),
    'kms-replica-keys': document(
      {
        sid: 'DescribeKeys',
        actions: ['kms:DescribeKey'],
        resources: [anyKey],
        conditions: { StringEquals: inRegions },
      },
      {
        sid: 'ReadMultiRegionKeys',
        actions: ['kms:GetKeyPolicy', 'kms:ListResourceTags'],
        resources: [multiRegionKey],
        conditions: { StringEquals: inRegions, Bool: { 'kms:MultiRegion': 'true' } },
      },
      {
        sid: 'ReplicatePrimaryKeys',
        actions: ['kms:ReplicateKey'],
        resources: [multiRegionKey],
        conditions: {
          StringEquals: {
            ...inRegions,
            'kms:ReplicaRegion': inputs.regions,
            'kms:MultiRegionKeyType': 'PRIMARY',
            'aws:ResourceTag/mrk-provider:replicable': 'true',
          },
          Bool: { 'kms:MultiRegion': 'true' },
        },
      },
      {
        sid: 'CreateReplicasOnly',
        actions: ['kms:CreateKey'],
        resources: ['*'],
        conditions: {
          StringEquals: inRegions,
          StringEqualsIfExists: { 'kms:MultiRegionKeyType': 'REPLICA' },
          BoolIfExists: { 'kms:MultiRegion': 'true' },
        },
      },
      {
        sid: 'TagReplicas',
        actions: ['kms:TagResource', 'kms:UntagResource'],
        resources: [multiRegionKey],
        conditions: { StringEquals: inRegions, StringEqualsIfExists: { 'kms:MultiRegionKeyType': 'REPLICA' } },
      },
      {
        sid: 'ManageReplicas',
        actions: [
          'kms:PutKeyPolicy',
          'kms:UpdateKeyDescription',
          'kms:EnableKey',
          'kms:DisableKey',
          'kms:ScheduleKeyDeletion',
          'kms:CancelKeyDeletion',
        ],
        resources: [multiRegionKey],
        conditions: {
          StringEquals: { ...inRegions, 'kms:MultiRegionKeyType': 'REPLICA' },
          Bool: { 'kms:MultiRegion': 'true' },
        },
      },
      // Where template.yaml has it: before the alias statements.
      ...lockoutBypassDenied,
      {
        sid: 'AliasesOfReplicas',
        actions: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
        resources: [accountArn('kms', 'alias/*')],
        conditions: { StringEquals: inRegions },
      },
      {
        sid: 'ReplicasOfAliases',
        actions: ['kms:CreateAlias', 'kms:UpdateAlias', 'kms:DeleteAlias'],
        resources: [multiRegionKey],
        conditions: {
          StringEquals: { ...inRegions, 'kms:MultiRegionKeyType': 'REPLICA' },
          Bool: { 'kms:MultiRegion': 'true' },
        },
      },
    ),
  };
  if (inputs.assumableRoleArns.length > 0) {
    result[ASSUME_ROLE_POLICY_NAME] = assumeRoleStatements(inputs.assumableRoleArns, inputs.bounds);
  }
  result[SSM_POLICY_NAME] = document(
    {
      sid: 'ParametersUnderPrefix',
      actions: [
        'ssm:PutParameter',
        'ssm:GetParameters',
        'ssm:GetParametersByPath',
        'ssm:DeleteParameters',
        'ssm:AddTagsToResource',
        'ssm:RemoveTagsFromResource',
        'ssm:ListTagsForResource',
      ],
      resources: [parametersUnderPrefix],
      conditions: { StringEquals: inRegions },
    },
    {
      sid: 'SecureStringsWrittenUnderPrefix',
      actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
      resources: [anyKey],
      conditions: {
        StringEquals: inRegions,
        StringLike: {
          'kms:ViaService': 'ssm.*.amazonaws.com',
          'kms:EncryptionContext:PARAMETER_ARN': parametersUnderPrefix,
        },
      },
    },
    {
      sid: 'SecureStringsDecryptedUnderDecryptPrefix',
      actions: ['kms:Decrypt'],
      resources: [anyKey],
      conditions: {
        StringEquals: inRegions,
        StringLike: {
          'kms:ViaService': 'ssm.*.amazonaws.com',
          'kms:EncryptionContext:PARAMETER_ARN': decryptable,
        },
      },
    },
    {
      sid: 'NoDecryptionOutsideDecryptPrefix',
      effect: iam.Effect.DENY,
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: { StringNotLike: { 'kms:EncryptionContext:PARAMETER_ARN': decryptable } },
    },
    {
      sid: 'NeverTheServiceTokenParameter',
      effect: iam.Effect.DENY,
      actions: [
        'ssm:PutParameter',
        'ssm:DeleteParameter',
        'ssm:DeleteParameters',
        'ssm:AddTagsToResource',
        'ssm:RemoveTagsFromResource',
      ],
      resources: [accountArn('ssm', `parameter${inputs.serviceTokenParameterName}`)],
    },
  );
  return result;
}
