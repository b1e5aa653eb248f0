import { CustomResource, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { AssumedRole, assumedRole, checkRolePartition } from './assume-role';
import { Refresh } from './refresh';
import { checkKeyTags } from './region-settings';
import { MrkProviderProps, providerResource } from './service-token';
import {
  MrkProviderValidationError,
  cfnBoolean,
  checkParameterNames,
  checkRegionList,
  definedOnly,
  isLiteral,
  renderTags,
} from './validate';

/** The `Type` of the parameters a {@link CrossRegionParameter} writes. */
export enum CrossRegionParameterType {
  /** Plain text. */
  STRING = 'String',
  /** Encrypted with `keyId` (default: `alias/aws/ssm` of each region). */
  SECURE_STRING = 'SecureString',
}

/** Properties of a {@link CrossRegionParameter}: `Custom::CrossRegionParameter` (docs/reference.md section 4). */
export interface CrossRegionParameterProps extends MrkProviderProps {
  /** Regions to write into (`Regions`): not empty, no duplicates, one partition. */
  readonly regions: string[];

  /**
   * Parameter name → value (`Parameters`), at least one. Names follow SSM's rules and must be under the
   * provider's `ParameterPrefix` (template.yaml default `/cross-region/`); values are not empty.
   */
  readonly parameters: { [name: string]: string };

  /** `Type` of every parameter. @default CrossRegionParameterType.STRING */
  readonly type?: CrossRegionParameterType;

  /**
   * KMS key of a `SecureString` (`KeyId`), only with `type: SECURE_STRING`. It must work in every
   * region written to: a multi-Region key's id (`mrk-...`) or alias does.
   * @default `alias/aws/ssm` of each region
   */
  readonly keyId?: kms.IKey | string;

  /** `Tier` of every parameter. @default ssm.ParameterTier.STANDARD */
  readonly tier?: ssm.ParameterTier;

  /** `Description` of every parameter, at most 1024 characters. @default none */
  readonly description?: string;

  /**
   * Tags of every parameter (`Tags`); SSM allows letters, digits, spaces and `_ . : / = + - @`.
   * @default none (besides the provider's two ownership tags)
   */
  readonly tags?: { [key: string]: string };

  /** Take over existing parameters that this resource does not own (`AdoptExisting`). @default false */
  readonly adoptExisting?: boolean;

  /**
   * What happens to the parameters when the resource leaves the stack. `RETAIN` keeps them.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * A role of another account (`RoleArn`): the provider assumes it for every call, so the parameters are
   * written to that account's regions. An `iam.IRole` or a role ARN. The provider's deployment must
   * allow it (template.yaml's `AssumableRoleArns`), and the role must trust the provider's role
   * (target-account.yaml creates such a role).
   * @default none: the parameters are written to this stack's account
   */
  readonly role?: iam.IRole | string;

  /**
   * The external id the role's trust policy asks for (`ExternalId`), only with `role`: 2 to 1224
   * letters, digits and `_ + = , . @ : / -`.
   * @default none
   */
  readonly externalId?: string;

  /**
   * When the parameters are brought up to date with AWS again although the props did not change
   * (`Refresh`): the Update that a changed value sends reads every parameter and writes those whose value
   * differs in AWS, repairing changes made by hand; an unchanged parameter costs a read, no write.
   * `Refresh.EVERY_DEPLOYMENT` on every deployment, `Refresh.onValueChange(value)` whenever `value` does.
   * @default Refresh.ON_CHANGE: only when the props change
   */
  readonly refresh?: Refresh;
}

/** SSM's size limit of a value, in bytes, per tier. */
const MAX_VALUE_BYTES: { [tier: string]: number } = {
  [ssm.ParameterTier.STANDARD]: 4096,
  [ssm.ParameterTier.ADVANCED]: 8192,
  [ssm.ParameterTier.INTELLIGENT_TIERING]: 8192,
};

/** Characters SSM allows in tag keys and values. */
const SSM_TAG_TEXT = /^[\p{L}\p{N} _.:/=+\-@]*$/u;

/**
 * `Custom::CrossRegionParameter`: writes SSM parameters into other regions (push), so that stacks there
 * read them natively (`{{resolve:ssm:...}}`, an `AWS::SSM::Parameter::Value<String>` parameter, or
 * {@link valueIn}); with `role`, into the regions of that role's account.
 *
 * ```ts
 * const pushed = new CrossRegionParameter(this, 'KeyArnInEuWest1', {
 *   regions: ['eu-west-1'],
 *   parameters: { '/cross-region/app/key-arn': replicas.replicaArn('eu-west-1') },
 * });
 * // in a stack in eu-west-1:
 * pushed.valueIn(consumerStack, '/cross-region/app/key-arn');
 * // or as an ssm.IStringParameter of that stack, to grant access to it:
 * pushed.parameterIn(consumerStack, 'KeyArnParameter', '/cross-region/app/key-arn').grantRead(consumerFunction);
 * ```
 */
export class CrossRegionParameter extends Construct {
  /** The CloudFormation resource type. */
  public static readonly RESOURCE_TYPE = 'Custom::CrossRegionParameter';

  /** Every name written, comma-separated and sorted: the `Names` attribute. */
  public readonly names: string;
  /** The regions written to. */
  public readonly regions: string[];
  /** The parameters written, name → value. */
  public readonly parameters: { [name: string]: string };
  /** The custom resource. */
  public readonly resource: CustomResource;
  private readonly type: CrossRegionParameterType;
  private readonly role: AssumedRole | undefined;

  constructor(scope: Construct, id: string, props: CrossRegionParameterProps) {
    super(scope, id);
    const partition = checkRegionList(this, 'regions', props.regions);
    const role = assumedRole(this, props);
    checkRolePartition(this, role, 'regions', partition);
    const names = Object.keys(props.parameters);
    checkParameterNames(this, 'parameters', names);
    const type = props.type ?? CrossRegionParameterType.STRING;
    const tier = props.tier ?? ssm.ParameterTier.STANDARD;
    for (const [name, value] of Object.entries(props.parameters)) {
      checkValue(this, name, value, tier);
    }
    if (props.keyId !== undefined && type !== CrossRegionParameterType.SECURE_STRING) {
      throw new MrkProviderValidationError(
        this,
        'keyId is only for type: CrossRegionParameterType.SECURE_STRING; remove it or set the type',
      );
    }
    const descriptionLength =
      props.description !== undefined && isLiteral(props.description) ? [...props.description].length : 0;
    if (descriptionLength > 1024) {
      throw new MrkProviderValidationError(
        this,
        `description is ${descriptionLength} characters long; SSM allows at most 1024`,
      );
    }
    checkTags(this, props.tags);

    this.regions = props.regions;
    this.parameters = props.parameters;
    this.type = type;
    this.role = role;
    const keyId = props.keyId === undefined || typeof props.keyId === 'string' ? props.keyId : props.keyId.keyId;
    this.resource = providerResource(
      this,
      CrossRegionParameter.RESOURCE_TYPE,
      props,
      definedOnly({
        Regions: props.regions,
        Parameters: props.parameters,
        Type: props.type,
        KeyId: keyId,
        Tier: props.tier,
        Description: props.description,
        Tags: renderTags(props.tags),
        AdoptExisting: cfnBoolean(props.adoptExisting),
        ...role?.properties,
        Refresh: (props.refresh ?? Refresh.ON_CHANGE).render(this),
      }),
    );
    this.names = this.resource.getAttString('Names');
  }

  /**
   * The value of parameter `name` for a stack in one of `regions`, read natively by CloudFormation when
   * that stack is deployed (an `AWS::SSM::Parameter::Value<String>` parameter), not through a CDK
   * cross-region reference. The stack must be in the account the parameters are written to: the
   * `role`'s, or else this stack's (compared when both accounts are known at synth time; an
   * environment-agnostic stack, or a role whose ARN is a token, is taken to be in the right one).
   * `scope`'s stack is made to depend on this one, so `cdk deploy --all` deploys it after. A `String`
   * parameter only: CloudFormation reads a `SecureString` only through `{{resolve:ssm-secure:...}}` in
   * the properties that support it.
   */
  public valueIn(scope: Construct, name: string): string {
    this.checkConsumer('valueIn', scope, name);
    if (this.type === CrossRegionParameterType.SECURE_STRING) {
      throw new MrkProviderValidationError(
        this,
        `valueIn: '${name}' is a SecureString; reference it with {{resolve:ssm-secure:${name}}} where ` +
          'CloudFormation supports that',
      );
    }
    const consumer = Stack.of(scope);
    const producer = Stack.of(this);
    if (consumer === producer) {
      // CloudFormation resolves a stack's SSM parameters before it creates any resource of the stack.
      throw new MrkProviderValidationError(
        this,
        `valueIn: ${consumer.node.path} writes '${name}' itself and so cannot read it natively; use the ` +
          'value that it writes directly',
      );
    }
    this.dependOn(consumer, name);
    return ssm.StringParameter.valueForStringParameter(scope, name);
  }

  /**
   * Parameter `name` as an `ssm.IStringParameter` of a stack in one of `regions` (`scope`'s; `id` is the
   * construct id of the import there): its ARN is the parameter's in that stack's region and account, so
   * `grantRead` grants reading the copy this resource wrote there, and `stringValue` reads it natively
   * when that stack is deployed (a `SecureString`'s value is not available so: grant it and read it at
   * run time). The same rules as {@link valueIn}: the stack must be in one of `regions`, in the account
   * written to, and not this stack; it is made to depend on this one. With a `keyId` that is a
   * `kms.IKey`, `grantRead` does not cover the key: grant `kms:Decrypt` on the key of that region yourself.
   */
  public parameterIn(scope: Construct, id: string, name: string): ssm.IStringParameter {
    this.checkConsumer('parameterIn', scope, name);
    const consumer = Stack.of(scope);
    if (consumer === Stack.of(this)) {
      throw new MrkProviderValidationError(
        this,
        `parameterIn: ${consumer.node.path} writes '${name}' itself; for a parameter of its own region, write ` +
          'it with ssm.StringParameter, or import it in a stack of another region',
      );
    }
    this.dependOn(consumer, name);
    return this.type === CrossRegionParameterType.SECURE_STRING
      ? ssm.StringParameter.fromSecureStringParameterAttributes(scope, id, { parameterName: name })
      : ssm.StringParameter.fromStringParameterName(scope, id, name);
  }

  /** `name` is written, to `scope`'s region and account. */
  private checkConsumer(method: string, scope: Construct, name: string): void {
    if (isLiteral(name) && !(name in this.parameters)) {
      throw new MrkProviderValidationError(
        this,
        `${method}: '${name}' is not one of the parameters written (${Object.keys(this.parameters).join(', ')})`,
      );
    }
    const consumer = Stack.of(scope);
    if (!Token.isUnresolved(consumer.region) && isLiteral(this.regions) && !this.regions.includes(consumer.region)) {
      throw new MrkProviderValidationError(
        this,
        `${method}: ${consumer.node.path} is in ${consumer.region}, but the parameters are written only to ` +
          `${this.regions.join(', ')}`,
      );
    }
    this.checkConsumerAccount(method, consumer, Stack.of(this));
  }

  /** `consumer` is deployed after this resource's stack, which writes `name`. */
  private dependOn(consumer: Stack, name: string): void {
    const producer = Stack.of(this);
    const reason = `reads ${name}, which ${this.node.path} writes`;
    // aws-cdk-lib 2.262 renamed `addDependency` `addStackDependency` (and the old name warns since); the peer
    // range starts below 2.262, which has only the old name.
    const renamed = (consumer as { addStackDependency?: (target: Stack, reason?: string) => void }).addStackDependency;
    if (renamed !== undefined) {
      renamed.call(consumer, producer, reason);
    } else {
      consumer.addDependency(producer, reason);
    }
  }

  /** A stack reads SSM parameters natively only in its own account: the one the parameters are in. */
  private checkConsumerAccount(method: string, consumer: Stack, producer: Stack): void {
    const written = this.role === undefined ? producer.account : this.role.account;
    if (written === undefined || !isLiteral(written) || !isLiteral(consumer.account) || consumer.account === written) {
      return;
    }
    const roleArn = this.role?.properties.RoleArn;
    const whose =
      roleArn === undefined
        ? `${producer.node.path}'s; set role to a role of account ${consumer.account} to write there`
        : isLiteral(roleArn)
          ? `the account of role ${roleArn}`
          : "the role's account";
    throw new MrkProviderValidationError(
      this,
      `${method}: ${consumer.node.path} is in account ${consumer.account}, but the parameters are written to ` +
        `account ${written} (${whose}); a stack reads SSM parameters natively only in its own account`,
    );
  }
}

/** A value known at synth time is not empty and fits the tier. */
function checkValue(scope: Construct, name: string, value: string, tier: string): void {
  if (!isLiteral(value)) {
    return;
  }
  if (value === '') {
    throw new MrkProviderValidationError(
      scope,
      `parameters: the value of '${name}' is empty; SSM needs at least one character`,
    );
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  const limit = MAX_VALUE_BYTES[tier];
  if (limit !== undefined && bytes > limit) {
    throw new MrkProviderValidationError(
      scope,
      `parameters: the value of '${name}' is ${bytes} bytes; the ${tier} tier allows at most ${limit}`,
    );
  }
}

/**
 * Tag keys of 1 to 128 characters, values of at most 256, both in SSM's character set; then the rules of
 * every type's tags (at most 48, no reserved prefix).
 */
function checkTags(scope: Construct, tags: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (!isLiteral(key) || !isLiteral(value)) {
      continue;
    }
    if (key.length === 0 || key.length > 128 || !SSM_TAG_TEXT.test(key)) {
      throw new MrkProviderValidationError(
        scope,
        `tags: key '${key}' is not a valid SSM tag key (1 to 128 letters, digits, spaces and _ . : / = + - @)`,
      );
    }
    if (value.length > 256 || !SSM_TAG_TEXT.test(value)) {
      throw new MrkProviderValidationError(
        scope,
        `tags: the value of '${key}' is not a valid SSM tag value (at most 256 letters, digits, spaces and _ . : / = + - @)`,
      );
    }
  }
  checkKeyTags(scope, 'tags', tags);
}
