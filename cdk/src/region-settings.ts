/**
 * The settings of a replica, for every replica region (the props of a `ReplicaKey`) or one region
 * (`RegionSettings`, docs/reference.md section 3): checked at synth time as the provider checks them, and rendered
 * with the property names of the contract.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { MrkProviderValidationError, cfnBoolean, definedOnly, isLiteral, regionProblem, renderTags } from './validate';

/**
 * A key policy: an `iam.PolicyDocument` (as `kms.Key` takes), or the policy as a JSON object or a JSON
 * string, as KMS reads it.
 */
export type ReplicaKeyPolicy = iam.PolicyDocument | { [key: string]: any } | string;

/**
 * The settings of the replica in one region (`RegionSettings`); each one given replaces the
 * `ReplicaKey`'s own for that region, the others are the `ReplicaKey`'s.
 */
export interface ReplicaRegionSettings {
  /** `Description` of this region's replica, at most 8192 characters. @default the ReplicaKey's `description` */
  readonly description?: string;

  /**
   * `KeyPolicy` of this region's replica, for a policy that names its region (a `kms:ViaService`
   * condition such as `s3.eu-west-1.amazonaws.com`, this region's consumers).
   * @default the ReplicaKey's `policy`, else the primary key's current policy
   */
  readonly policy?: ReplicaKeyPolicy;

  /** `Tags` of this region's replica; they replace the ReplicaKey's `tags`. @default the ReplicaKey's `tags` */
  readonly tags?: { [key: string]: string };

  /** `Alias` of this region's replica, `alias/...`. @default the ReplicaKey's `alias` */
  readonly alias?: string;

  /** Whether this region's replica is enabled (`Enabled`). @default the ReplicaKey's `enabled` */
  readonly enabled?: boolean;
}

/** The largest key policy KMS accepts, in bytes. */
const MAX_POLICY_BYTES = 32768;
/** The longest description KMS accepts, in characters. */
const MAX_DESCRIPTION_CHARACTERS = 8192;
/** The most user tags a replica may have beside the provider's two ownership tags. */
const MAX_TAGS = 48;

/** `alias/` followed by letters, digits, `/`, `_` or `-`, at most 256 characters, not `alias/aws/`. */
export function checkAlias(scope: IConstruct, property: string, alias: string | undefined): void {
  if (alias === undefined || !isLiteral(alias)) {
    return;
  }
  const name = alias.startsWith('alias/') ? alias.slice('alias/'.length) : '';
  const valid =
    name.length > 0 && alias.length <= 256 && /^[a-zA-Z0-9/_-]+$/.test(name) && !alias.startsWith('alias/aws/');
  if (!valid) {
    throw new MrkProviderValidationError(
      scope,
      `${property} '${alias}' is not a valid alias; use alias/ followed by letters, digits, '/', '_' or '-' ` +
        '(at most 256 characters, not alias/aws/)',
    );
  }
}

/** A description of at most 8192 characters, as KMS accepts. */
export function checkDescription(scope: IConstruct, property: string, description: string | undefined): void {
  const length = description !== undefined && isLiteral(description) ? [...description].length : 0;
  if (length > MAX_DESCRIPTION_CHARACTERS) {
    throw new MrkProviderValidationError(
      scope,
      `${property} is ${length} characters long; KMS allows at most ${MAX_DESCRIPTION_CHARACTERS}`,
    );
  }
}

/** At most 48 tags, keys of 1 to 128 characters outside `aws:` and `mrk-provider:`, values of at most 256. */
export function checkKeyTags(scope: IConstruct, property: string, tags: { [key: string]: string } | undefined): void {
  if (tags === undefined || !isLiteral(tags)) {
    return;
  }
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) {
    throw new MrkProviderValidationError(
      scope,
      `${property}: ${entries.length} tags are given; at most ${MAX_TAGS} fit beside the provider's 2 ownership tags`,
    );
  }
  for (const [key, value] of entries) {
    if (!isLiteral(key)) {
      continue;
    }
    const keyLength = [...key].length;
    if (keyLength === 0 || keyLength > 128) {
      throw new MrkProviderValidationError(scope, `${property}: tag key '${key}' must be 1 to 128 characters`);
    }
    // In any letter case, as the provider refuses them: IAM compares condition keys case-insensitively.
    if (['aws:', 'mrk-provider:'].some((prefix) => key.toLowerCase().startsWith(prefix))) {
      throw new MrkProviderValidationError(
        scope,
        `${property}: tag key '${key}' uses a reserved prefix (aws: or mrk-provider:, in any letter case)`,
      );
    }
    if (isLiteral(value) && [...value].length > 256) {
      throw new MrkProviderValidationError(
        scope,
        `${property}: the value of tag '${key}' is longer than 256 characters`,
      );
    }
  }
}

/** `true` for an `iam.PolicyDocument` (by shape, so that another copy of aws-cdk-lib's counts too). */
function isPolicyDocument(policy: ReplicaKeyPolicy): policy is iam.PolicyDocument {
  return typeof (policy as iam.PolicyDocument).validateForResourcePolicy === 'function';
}

/**
 * Checks a key policy: an `iam.PolicyDocument` when the app is synthesized (as a resource policy, the
 * way `kms.Key` checks its own), a JSON string or object now: an object, within KMS's size limit.
 */
export function checkKeyPolicy(scope: IConstruct, property: string, policy: ReplicaKeyPolicy | undefined): void {
  if (policy === undefined) {
    return;
  }
  if (isPolicyDocument(policy)) {
    scope.node.addValidation({
      validate: () => policy.validateForResourcePolicy().map((problem) => `${property}: ${problem}`),
    });
    return;
  }
  let text: string;
  if (typeof policy === 'string') {
    if (!isLiteral(policy)) {
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(policy);
    } catch (error) {
      throw new MrkProviderValidationError(
        scope,
        `${property} is not JSON (${(error as Error).message}); give a policy document, as an object or its JSON text`,
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new MrkProviderValidationError(scope, `${property} is JSON but not an object; give a policy document`);
    }
    text = policy;
  } else {
    if (typeof policy !== 'object' || policy === null || Array.isArray(policy)) {
      throw new MrkProviderValidationError(scope, `${property} is not an object; give a policy document`);
    }
    text = JSON.stringify(policy);
  }
  // With tokens in it, the size is known only at deployment: the provider checks it.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (isLiteral(text) && bytes > MAX_POLICY_BYTES) {
    throw new MrkProviderValidationError(
      scope,
      `${property} is ${bytes} bytes; KMS allows at most ${MAX_POLICY_BYTES}`,
    );
  }
}

/** Checks one region's settings, named `property` in messages. */
function checkSettings(scope: IConstruct, property: string, settings: ReplicaRegionSettings): void {
  checkDescription(scope, `${property}.description`, settings.description);
  checkKeyPolicy(scope, `${property}.policy`, settings.policy);
  checkKeyTags(scope, `${property}.tags`, settings.tags);
  checkAlias(scope, `${property}.alias`, settings.alias);
}

/**
 * `RegionSettings` as the provider reads it: region → `{Description, KeyPolicy, Tags, Alias, Enabled}`,
 * checked first. Each region must be one of `replicaRegions` (when they are known at synth time).
 * `undefined` when no region has settings.
 */
export function renderRegionSettings(
  scope: IConstruct,
  replicaRegions: string[],
  regionSettings: { [region: string]: ReplicaRegionSettings } | undefined,
): { [region: string]: { [name: string]: unknown } } | undefined {
  if (regionSettings === undefined || Object.keys(regionSettings).length === 0) {
    return undefined;
  }
  if (!isLiteral(regionSettings)) {
    throw new MrkProviderValidationError(
      scope,
      'regionSettings must be known at synth time, not a token: CloudFormation cannot compute the keys of a map',
    );
  }
  const rendered: { [region: string]: { [name: string]: unknown } } = {};
  for (const [region, settings] of Object.entries(regionSettings)) {
    if (!isLiteral(region)) {
      throw new MrkProviderValidationError(
        scope,
        'regionSettings: a region must be known at synth time, not a token: CloudFormation cannot compute the keys of a map',
      );
    }
    const problem = regionProblem(region);
    if (problem) {
      throw new MrkProviderValidationError(scope, `regionSettings: ${problem}`);
    }
    if (isLiteral(replicaRegions) && !replicaRegions.includes(region)) {
      throw new MrkProviderValidationError(
        scope,
        `regionSettings: '${region}' is not one of replicaRegions (${replicaRegions.join(', ')}); ` +
          'give settings only for regions that are replicated into',
      );
    }
    checkSettings(scope, `regionSettings['${region}']`, settings);
    rendered[region] = definedOnly({
      Description: settings.description,
      KeyPolicy: settings.policy,
      Tags: renderTags(settings.tags),
      Alias: settings.alias,
      Enabled: cfnBoolean(settings.enabled),
    });
  }
  return rendered;
}

/** `true` when every one of `replicaRegions` has its own policy in `regionSettings`. */
export function everyRegionHasPolicy(
  replicaRegions: string[],
  regionSettings: { [region: string]: ReplicaRegionSettings } | undefined,
): boolean {
  return isLiteral(replicaRegions) && replicaRegions.every((region) => regionSettings?.[region]?.policy !== undefined);
}
