import { CustomResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { assumedRole, checkRolePartition } from './assume-role';
import { Refresh } from './refresh';
import { MrkProviderProps, providerResource } from './service-token';
import {
  MrkProviderValidationError,
  cfnBoolean,
  checkParameterNames,
  definedOnly,
  isLiteral,
  parameterNameProblem,
  partitionOf,
  regionProblem,
} from './validate';

/** Properties of a {@link CrossRegionParameterReader}: `Custom::CrossRegionParameterReader` (docs/reference.md section 5). */
export interface CrossRegionParameterReaderProps extends MrkProviderProps {
  /** Region to read from (`Region`). */
  readonly region: string;

  /**
   * Parameter names to read (`Names`): not empty, no duplicates, SSM's rules, under the provider's
   * `ParameterPrefix`. Every one must exist when the reader is created or changed. Give `names` or `path`.
   * @default none: `path` is read
   */
  readonly names?: string[];

  /**
   * Instead of `names`, a path to read every parameter under (`Path`, SSM's GetParametersByPath): a path
   * under the provider's `ParameterPrefix`, such as `/cross-region/app`. The provider reads at most 500
   * parameters and refuses more (the reader fails with the count), never a part of them. Each value is
   * an attribute named after its full name: {@link CrossRegionParameterReader.value}.
   * @default none: `names` are read
   */
  readonly path?: string;

  /**
   * With `path`: read the whole tree under it, not only its direct children (`Recursive`).
   * @default false
   */
  readonly recursive?: boolean;

  /**
   * Decrypt `SecureString` values (`WithDecryption`). The provider then sets `NoEcho`, so CloudFormation
   * does not show the values; the attributes are still plain strings in the stack. The provider decrypts
   * only names under its `DecryptPrefix` (empty by default: none) and refuses the others.
   * @default false
   */
  readonly withDecryption?: boolean;

  /**
   * A role of another account (`RoleArn`): the provider assumes it to read, so the names are read in
   * that account's `region`. An `iam.IRole` or a role ARN. The provider's deployment must allow it
   * (template.yaml's `AssumableRoleArns`), and the role must trust the provider's role
   * (target-account.yaml creates such a role).
   * @default none: the names are read in this stack's account
   */
  readonly role?: iam.IRole | string;

  /**
   * The external id the role's trust policy asks for (`ExternalId`), only with `role`: 2 to 1224
   * letters, digits and `_ + = , . @ : / -`.
   * @default none
   */
  readonly externalId?: string;

  /**
   * When the names are read again (`Refresh`). By default on every deployment: each `cdk deploy` sends
   * the reader an Update, which reads every name again. Its attributes change only when a value did, so
   * resources that use them are updated only then; but every `cdk diff` shows the reader's `Refresh`
   * changing. `Refresh.ON_CHANGE` reads only when the reader is created or its properties change;
   * `Refresh.onValueChange(value)` whenever `value` does.
   * @default Refresh.EVERY_DEPLOYMENT
   */
  readonly refresh?: Refresh;
}

/**
 * `Custom::CrossRegionParameterReader`: reads SSM parameters of another region into this stack (pull);
 * with `role`, of that role's account.
 * Values are read again on every deployment (see {@link CrossRegionParameterReaderProps.refresh}); a
 * resource that uses one is updated only when the value changed.
 *
 * ```ts
 * const keys = new CrossRegionParameterReader(this, 'AppKeys', {
 *   region: 'us-east-1',
 *   names: ['/cross-region/app/key-arn'],
 * });
 * keys.value(); // or keys.value('/cross-region/app/key-arn')
 *
 * // every parameter under a path, each by its full name
 * const app = new CrossRegionParameterReader(this, 'App', { region: 'us-east-1', path: '/cross-region/app' });
 * app.value('/cross-region/app/queue-url');
 * ```
 */
export class CrossRegionParameterReader extends Construct {
  /** The CloudFormation resource type. */
  public static readonly RESOURCE_TYPE = 'Custom::CrossRegionParameterReader';

  /** The names read, when the reader reads `names`. */
  public readonly names?: string[];
  /** The path read, when the reader reads a `path`. */
  public readonly path?: string;
  /** Whether the whole tree under `path` is read. */
  public readonly recursive: boolean;
  /** The custom resource. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: CrossRegionParameterReaderProps) {
    super(scope, id);
    const problem = regionProblem(props.region);
    if (problem) {
      throw new MrkProviderValidationError(this, `region: ${problem}`);
    }
    if ((props.names === undefined) === (props.path === undefined)) {
      throw new MrkProviderValidationError(
        this,
        props.names === undefined
          ? 'give names (the parameters to read) or path (to read every parameter under it)'
          : 'give names or path, not both: a reader reads a list of names or every parameter under a path',
      );
    }
    if (props.names !== undefined) {
      checkParameterNames(this, 'names', props.names);
    }
    if (props.path !== undefined) {
      const problem = pathProblem(props.path);
      if (problem !== undefined) {
        throw new MrkProviderValidationError(this, `path: ${problem}`);
      }
    } else if (props.recursive !== undefined) {
      throw new MrkProviderValidationError(this, 'recursive is only for a reader of a path; remove it or give path');
    }
    const role = assumedRole(this, props);
    checkRolePartition(this, role, 'region', isLiteral(props.region) ? partitionOf(props.region) : undefined);
    this.names = props.names;
    this.path = props.path;
    this.recursive = props.recursive ?? false;
    this.resource = providerResource(
      this,
      CrossRegionParameterReader.RESOURCE_TYPE,
      props,
      definedOnly({
        Region: props.region,
        Names: props.names,
        Path: props.path,
        Recursive: cfnBoolean(props.recursive),
        WithDecryption: cfnBoolean(props.withDecryption),
        ...role?.properties,
        Refresh: (props.refresh ?? Refresh.EVERY_DEPLOYMENT).render(this),
      }),
    );
  }

  /**
   * The value of parameter `name` (the attribute named after it): one of the `names`, or a full name
   * under the `path` (a direct child of it unless `recursive`). Without a name: the only value (the
   * `Value` attribute), for a reader of exactly one name.
   */
  public value(name?: string): string {
    if (this.names === undefined) {
      return this.valueUnderPath(name);
    }
    if (name === undefined) {
      if (isLiteral(this.names) && this.names.length !== 1) {
        throw new MrkProviderValidationError(
          this,
          `value() without a name needs a reader of exactly one name, and this one reads ${this.names.length} ` +
            `(${this.names.join(', ')}); pass the name: value('${this.names[0]}')`,
        );
      }
      return this.resource.getAttString('Value');
    }
    if (!isLiteral(name)) {
      throw new MrkProviderValidationError(this, 'value(name) needs a name known at synth time, not a token');
    }
    if (isLiteral(this.names) && !this.names.includes(name)) {
      throw new MrkProviderValidationError(
        this,
        `value('${name}'): '${name}' is not one of the names read (${this.names.join(', ')})`,
      );
    }
    return this.resource.getAttString(name);
  }

  /** The value of `name`, a parameter under the path read. */
  private valueUnderPath(name: string | undefined): string {
    const path = this.path ?? '';
    if (name === undefined) {
      throw new MrkProviderValidationError(
        this,
        `value() without a name needs a reader of exactly one name, and this one reads the path ${path}; pass ` +
          'the full name of a parameter under it',
      );
    }
    if (!isLiteral(name)) {
      throw new MrkProviderValidationError(this, 'value(name) needs a name known at synth time, not a token');
    }
    if (isLiteral(path)) {
      const base = path.replace(/\/+$/, '');
      const rest = name.startsWith(`${base}/`) ? name.slice(base.length + 1) : '';
      if (rest === '' || (!this.recursive && rest.includes('/'))) {
        throw new MrkProviderValidationError(
          this,
          `value('${name}'): '${name}' is not ${this.recursive ? 'under' : 'a direct child of'} the path read ` +
            `(${path}${this.recursive ? '' : ', not recursive'}), so the reader has no value for it`,
        );
      }
    }
    return this.resource.getAttString(name);
  }
}

/** What is wrong with `path` as SSM's GetParametersByPath takes it (at most 15 levels, a name's rules). */
function pathProblem(path: string): string | undefined {
  if (!isLiteral(path) || path === '/') {
    return undefined;
  }
  return parameterNameProblem(path.replace(/\/$/, ''));
}
