import { CfnResource, CustomResource, Duration, Names, RemovalPolicy, Stack, Tags, Token, Tokenization } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CrossRegionParameter } from './cross-region-parameter';
import { MrkProviderFunction } from './provider';
import { Refresh, documentHash } from './refresh';
import {
  ReplicaRegionSettings,
  checkAlias,
  checkDescription,
  checkKeyTags,
  everyRegionHasPolicy,
  renderRegionSettings,
} from './region-settings';
import { MrkProviderProps, providerResource } from './service-token';
import {
  MrkProviderValidationError,
  cfnBoolean,
  checkRegionList,
  definedOnly,
  isLiteral,
  parameterNameProblem,
  partitionOf,
  regionProblem,
  renderTags,
} from './validate';

/** The KMS actions of `grantEncrypt`, as `kms.Key` grants them. */
const ENCRYPT_ACTIONS = ['kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];
/** The KMS actions of `grantDecrypt`, as `kms.Key` grants them. */
const DECRYPT_ACTIONS = ['kms:Decrypt'];

/** Properties of a {@link ReplicaKey}: `Custom::ReplicaKey` (docs/reference.md section 3). */
export interface ReplicaKeyProps extends MrkProviderProps {
  /**
   * The multi-Region **primary** key (`PrimaryKeyArn`): a `kms.Key` created with `multiRegion: true`,
   * an imported key, or the key's ARN (`arn:<partition>:kms:<region>:<account>:key/mrk-...`). Not an
   * alias. Changing it replaces the resource (and so deletes the old key's replicas).
   *
   * The provider replicates only a primary that carries the tag `mrk-provider:replicable` = `true`
   * ({@link ReplicaKey.REPLICABLE_TAG}), its owner's consent. A `kms.Key` of this app gets that tag
   * from this construct. An imported key or an ARN is not tagged: the key's owner must add the tag
   * (for example `aws kms tag-resource --key-id <arn> --tags TagKey=mrk-provider:replicable,TagValue=true`),
   * or the provider refuses to replicate it.
   */
  readonly primaryKey: kms.IKey | string;

  /** Regions to replicate into (`ReplicaRegions`): not empty, no duplicates, one partition, not the primary's region. */
  readonly replicaRegions: string[];

  /** Alias created in every replica region (`Alias`), `alias/...`. @default no alias */
  readonly alias?: string;

  /**
   * Description of the replicas (`Description`), at most 8192 characters.
   * @default the primary key's description
   */
  readonly description?: string;

  /**
   * Key policy of the replicas (`KeyPolicy`). Unset, the replicas follow the primary key's policy: each
   * Update, a refresh included, reads it again and applies it where it differs (see `refresh`).
   * @default the primary key's current policy
   */
  readonly policy?: iam.PolicyDocument;

  /**
   * Tags of every replica (`Tags`): at most 48, keys not starting with `aws:` or `mrk-provider:`.
   * @default none (besides the provider's two ownership tags)
   */
  readonly tags?: { [key: string]: string };

  /** Whether the replicas are enabled (`Enabled`). @default true */
  readonly enabled?: boolean;

  /** Waiting period when a replica is deleted (`PendingWindowInDays`): 7 to 30 days. @default Duration.days(30) */
  readonly pendingWindow?: Duration;

  /** `BypassPolicyLockoutSafetyCheck` when the policy is set. @default false */
  readonly bypassPolicyLockoutSafetyCheck?: boolean;

  /** Take over existing replicas that this resource does not own (`AdoptExisting`). @default false */
  readonly adoptExisting?: boolean;

  /**
   * What happens to the replicas when the resource leaves the stack. `RETAIN` keeps them (and their
   * aliases); the default schedules their deletion after `pendingWindow`.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Settings of single regions (`RegionSettings`): replica region → its description, policy, tags,
   * alias or enabled state, each replacing the one above for that region. For a key policy that names
   * its region (`kms:ViaService` = `s3.<region>.amazonaws.com`). Every region must be one of
   * `replicaRegions`. An update that changes one region's settings touches only that region's replica.
   * @default none: every replica has the settings above
   */
  readonly regionSettings?: { [region: string]: ReplicaRegionSettings };

  /**
   * When the replicas are brought up to date with AWS again although the props did not change
   * (`Refresh`): the Update that a changed value sends re-applies every setting to every replica
   * (repairing changes made by hand) and reads the primary's policy again where no `policy` is given.
   * `Refresh.EVERY_DEPLOYMENT` on every deployment, `Refresh.onValueChange(value)` whenever `value` does.
   * @default with a `kms.Key` of this app as `primaryKey` and no `policy`: a SHA-256 of the key's policy
   * document, so that a changed primary policy reaches the replicas at the next deployment; otherwise
   * `Refresh.ON_CHANGE`, only when the props change
   */
  readonly refresh?: Refresh;
}

/** Options of {@link ReplicaKey.replicaKey}. */
export interface ReplicaKeyInRegionOptions {
  /**
   * The SSM parameter, in the replica's region, that carries the replica's ARN to the other stack. It
   * must be under the provider's `ParameterPrefix` (template.yaml default `/cross-region/`).
   * @default `<prefix>mrk-provider/<unique id of this construct>/replica-arn`, where `<prefix>` is the
   * `parameterPrefix` of the stack's own {@link MrkProviderFunction}, or `/cross-region/` with a `serviceToken`
   */
  readonly parameterName?: string;
}

/**
 * `Custom::ReplicaKey`: replicas of a multi-Region primary key in other regions, from the primary's
 * stack. A `kms.Key` given as `primaryKey` is tagged `mrk-provider:replicable` = `true`, the consent
 * the provider requires; an imported key or an ARN must carry that tag already.
 *
 * ```ts
 * const key = new kms.Key(this, 'AppKey', { multiRegion: true });
 * const replicas = new ReplicaKey(this, 'AppKeyReplicas', {
 *   primaryKey: key,
 *   replicaRegions: ['eu-west-1', 'ap-southeast-2'],
 *   alias: 'alias/app-data',
 *   pendingWindow: Duration.days(7),
 * });
 * replicas.replicaArn('eu-west-1');
 * ```
 */
export class ReplicaKey extends Construct {
  /** The CloudFormation resource type. */
  public static readonly RESOURCE_TYPE = 'Custom::ReplicaKey';

  /**
   * The tag, with the value `true`, by which a primary key's owner consents to replicas made by
   * mrk-provider. The provider checks it before it replicates, and its IAM policy allows
   * `kms:ReplicateKey` only on keys that carry it.
   */
  public static readonly REPLICABLE_TAG = 'mrk-provider:replicable';

  /** Key id shared by the primary and every replica (`mrk-...`), the `KeyId` attribute. */
  public readonly keyId: string;
  /** ARN of the primary key, the `PrimaryKeyArn` attribute. */
  public readonly primaryKeyArn: string;
  /** Every replica ARN, comma-separated in `replicaRegions` order: the `ReplicaKeyArns` attribute. */
  public readonly replicaKeyArns: string;
  /** The regions replicated into. */
  public readonly replicaRegions: string[];
  /** The custom resource. */
  public readonly resource: CustomResource;
  /** The provider this construct uses, for the parameters that {@link replicaKey} adds. */
  private readonly provider: MrkProviderProps;

  constructor(scope: Construct, id: string, props: ReplicaKeyProps) {
    super(scope, id);
    const primary = primaryKeyOf(this, props.primaryKey);
    const partition = checkRegionList(this, 'replicaRegions', props.replicaRegions);
    if (primary.region !== undefined && isLiteral(props.replicaRegions)) {
      if (props.replicaRegions.includes(primary.region)) {
        throw new MrkProviderValidationError(
          this,
          `replicaRegions: '${primary.region}' is the primary key's own region; list only other regions`,
        );
      }
      const primaryPartition = partitionOf(primary.region);
      if (partition !== undefined && primaryPartition !== undefined && partition !== primaryPartition) {
        throw new MrkProviderValidationError(
          this,
          `replicaRegions are in partition ${partition}, but the primary key is in ${primaryPartition}; ` +
            "replicas stay in the primary's partition",
        );
      }
    }
    checkAlias(this, 'alias', props.alias);
    checkDescription(this, 'description', props.description);
    checkKeyTags(this, 'tags', props.tags);
    const pendingWindowInDays = pendingWindowDays(this, props.pendingWindow);
    this.addMultiRegionCheck(props.primaryKey);
    this.tagPrimaryAsReplicable(props.primaryKey);
    if (props.policy) {
      const policy = props.policy;
      this.node.addValidation({ validate: () => policy.validateForResourcePolicy() });
    }

    this.replicaRegions = props.replicaRegions;
    this.provider = { serviceToken: props.serviceToken, serviceTimeout: props.serviceTimeout };
    this.resource = providerResource(
      this,
      ReplicaKey.RESOURCE_TYPE,
      props,
      definedOnly({
        PrimaryKeyArn: primary.arn,
        ReplicaRegions: props.replicaRegions,
        Description: props.description,
        KeyPolicy: props.policy,
        Tags: renderTags(props.tags),
        Alias: props.alias,
        Enabled: cfnBoolean(props.enabled),
        PendingWindowInDays: pendingWindowInDays,
        BypassPolicyLockoutSafetyCheck: cfnBoolean(props.bypassPolicyLockoutSafetyCheck),
        AdoptExisting: cfnBoolean(props.adoptExisting),
        RegionSettings: renderRegionSettings(this, props.replicaRegions, props.regionSettings),
        Refresh: refreshOf(this, props),
      }),
    );
    this.keyId = this.resource.getAttString('KeyId');
    this.primaryKeyArn = this.resource.getAttString('PrimaryKeyArn');
    this.replicaKeyArns = this.resource.getAttString('ReplicaKeyArns');
  }

  /** ARN of the replica in `region` (the `Arn.<region>` attribute), for use in this stack. */
  public replicaArn(region: string): string {
    this.checkReplicaRegion('replicaArn', region);
    return this.resource.getAttString(`Arn.${region}`);
  }

  /**
   * The replica in `region` as a `kms.IKey` for a stack in that region, without CDK cross-region
   * references: this construct writes the replica's ARN into an SSM parameter in `region` (a
   * {@link CrossRegionParameter} in this stack), and `scope`'s stack reads it natively when it is
   * deployed. `scope`'s stack is made to depend on this one, so `cdk deploy --all` deploys it after.
   * Grants on the returned key add to the grantee's IAM policy (the replica's key policy is the
   * region's `regionSettings` policy, else this resource's `policy`, else the primary's).
   */
  public replicaKey(scope: Construct, region: string, options: ReplicaKeyInRegionOptions = {}): kms.IKey {
    this.checkReplicaRegion('replicaKey', region);
    const consumer = Stack.of(scope);
    if (!Token.isUnresolved(consumer.region) && consumer.region !== region) {
      throw new MrkProviderValidationError(
        scope,
        `replicaKey('${region}') is for a stack in ${region}, but ${consumer.node.path} is in ${consumer.region}`,
      );
    }
    const id = `${Names.uniqueId(this)}Replica${region}`;
    const existing = scope.node.tryFindChild(id);
    if (existing) {
      return existing as kms.IKey;
    }
    const prefix =
      this.provider.serviceToken === undefined ? MrkProviderFunction.of(this).parameterPrefix : '/cross-region/';
    const parameterName = options.parameterName ?? `${prefix}mrk-provider/${Names.uniqueId(this)}/replica-arn`;
    const problem = parameterNameProblem(parameterName);
    if (problem) {
      throw new MrkProviderValidationError(this, `replicaKey parameterName: ${problem}`);
    }
    const pushId = `ArnIn${region}`;
    const pushed = this.node.tryFindChild(pushId) as CrossRegionParameter | undefined;
    if (pushed && options.parameterName !== undefined && !(options.parameterName in pushed.parameters)) {
      throw new MrkProviderValidationError(
        this,
        `replicaKey('${region}') already writes the ARN to ${Object.keys(pushed.parameters)[0]}; ` +
          'use the same parameterName for every stack in that region',
      );
    }
    const push =
      pushed ??
      new CrossRegionParameter(this, pushId, {
        regions: [region],
        parameters: { [parameterName]: this.replicaArn(region) },
        description: `ARN of the replica in ${region} of ${this.node.path}`,
        ...this.provider,
      });
    const pushedName = Object.keys(push.parameters)[0];
    return kms.Key.fromKeyArn(scope, id, push.valueIn(scope, pushedName));
  }

  /** Grants `actions` on every replica to `grantee`'s IAM policy. */
  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    if (!isLiteral(this.replicaRegions)) {
      throw new MrkProviderValidationError(this, 'grants need replicaRegions known at synth time');
    }
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: this.replicaRegions.map((region) => this.replicaArn(region)),
    });
  }

  /** Grants encryption (`kms:Encrypt`, `kms:ReEncrypt*`, `kms:GenerateDataKey*`) with every replica. */
  public grantEncrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...ENCRYPT_ACTIONS);
  }

  /** Grants decryption (`kms:Decrypt`) with every replica. */
  public grantDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...DECRYPT_ACTIONS);
  }

  /** Grants encryption and decryption with every replica. */
  public grantEncryptDecrypt(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...ENCRYPT_ACTIONS, ...DECRYPT_ACTIONS);
  }

  private checkReplicaRegion(method: string, region: string): void {
    if (Token.isUnresolved(region)) {
      throw new MrkProviderValidationError(this, `${method} needs a region known at synth time, not a token`);
    }
    if (isLiteral(this.replicaRegions) && !this.replicaRegions.includes(region)) {
      throw new MrkProviderValidationError(
        this,
        `${method}('${region}'): '${region}' is not one of replicaRegions (${this.replicaRegions.join(', ')})`,
      );
    }
  }

  /**
   * A `kms.Key` of this app must be created with `multiRegion: true`. Checked when the app is
   * synthesized, so that an escape-hatch change after this construct still counts.
   */
  private addMultiRegionCheck(primaryKey: kms.IKey | string): void {
    const cfnKey = keyOfThisApp(primaryKey);
    if (cfnKey === undefined || typeof primaryKey === 'string') {
      return;
    }
    this.node.addValidation({
      validate: () => {
        const multiRegion = cfnKey.multiRegion;
        if (multiRegion === true || Token.isUnresolved(multiRegion)) {
          return [];
        }
        return [
          `primaryKey ${primaryKey.node.path} is not a multi-Region key; create it with multiRegion: true ` +
            '(a single-Region key cannot be replicated, and cannot become multi-Region later)',
        ];
      },
    });
  }

  /**
   * Gives a `kms.Key` of this app the consent tag that the provider requires. Whoever puts the key and
   * this construct in one app decides for both; an imported key's owner decides for theirs.
   */
  private tagPrimaryAsReplicable(primaryKey: kms.IKey | string): void {
    if (keyOfThisApp(primaryKey) === undefined || typeof primaryKey === 'string') {
      return;
    }
    Tags.of(primaryKey).add(ReplicaKey.REPLICABLE_TAG, 'true');
  }
}

/**
 * The `AWS::KMS::Key` behind `key` when it is a key of this app (a `kms.Key`), else `undefined`: an
 * imported key or an ARN has no resource here.
 */
function keyOfThisApp(key: kms.IKey | string): kms.CfnKey | undefined {
  if (typeof key === 'string') {
    return undefined;
  }
  const cfnKey = key.node.defaultChild;
  return CfnResource.isCfnResource(cfnKey) && cfnKey.cfnResourceType === kms.CfnKey.CFN_RESOURCE_TYPE_NAME
    ? (cfnKey as kms.CfnKey)
    : undefined;
}

/** The primary key's ARN for `PrimaryKeyArn`, and its region when known. */
function primaryKeyOf(scope: Construct, key: kms.IKey | string): { arn: string; region?: string } {
  if (typeof key === 'string') {
    return { arn: key, region: literalKeyArnRegion(scope, key) };
  }
  if ('aliasName' in key) {
    throw new MrkProviderValidationError(
      scope,
      `primaryKey ${key.node.path} is an alias; pass the key itself or its ARN: ReplicateKey needs the key ARN`,
    );
  }
  if (isLiteral(key.keyArn)) {
    return { arn: key.keyArn, region: literalKeyArnRegion(scope, key.keyArn) };
  }
  const region = key.env.region;
  return { arn: key.keyArn, region: isLiteral(region) ? region : undefined };
}

/** Checks a primary key ARN known at synth time and returns its region. */
function literalKeyArnRegion(scope: Construct, arn: string): string | undefined {
  if (!isLiteral(arn)) {
    return undefined;
  }
  const match = /^arn:([a-z-]+):kms:([a-z0-9-]+):([0-9]{12}):key\/(.+)$/.exec(arn);
  if (!match) {
    throw new MrkProviderValidationError(
      scope,
      `primaryKey '${arn}' is not a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/mrk-...)`,
    );
  }
  const [, partition, region, , keyId] = match;
  if (!/^mrk-[0-9a-f]{32}$/.test(keyId)) {
    throw new MrkProviderValidationError(
      scope,
      `primaryKey '${arn}' is not a multi-Region key: multi-Region key ids start with mrk- ` +
        '(create the key with multiRegion: true)',
    );
  }
  if (partitionOf(region) !== partition) {
    throw new MrkProviderValidationError(
      scope,
      `primaryKey '${arn}': ${regionProblem(region) ?? `region ${region} is not in partition ${partition}`}`,
    );
  }
  return region;
}

/**
 * The `Refresh` property: the one given; else, for a key of this app whose policy the replicas follow
 * (no `policy`, and a region without its own), a hash of that policy, so that the replicas follow a change.
 */
function refreshOf(scope: Construct, props: ReplicaKeyProps): string | undefined {
  if (props.refresh !== undefined) {
    return props.refresh.render(scope);
  }
  const cfnKey = typeof props.primaryKey === 'string' ? undefined : keyOfThisApp(props.primaryKey);
  if (
    cfnKey === undefined ||
    props.policy !== undefined ||
    everyRegionHasPolicy(props.replicaRegions, props.regionSettings)
  ) {
    return undefined;
  }
  // Read when the app is synthesized: an escape-hatch policy set after this construct counts too.
  return documentHash(Stack.of(cfnKey), () => cfnKey.keyPolicy);
}

/** `PendingWindowInDays` as the string CloudFormation sends, checked to be 7 to 30 whole days. */
function pendingWindowDays(scope: Construct, window: Duration | undefined): string | undefined {
  if (window === undefined) {
    return undefined;
  }
  if (window.isUnresolved()) {
    return Tokenization.stringifyNumber(window.toDays());
  }
  let days: number;
  try {
    days = window.toDays({ integral: true });
  } catch {
    throw new MrkProviderValidationError(
      scope,
      `pendingWindow must be a whole number of days (7 to 30), got ${window.toHumanString()}`,
    );
  }
  if (days < 7 || days > 30) {
    throw new MrkProviderValidationError(scope, `pendingWindow must be 7 to 30 days, got ${days}`);
  }
  return String(days);
}
