/**
 * The `Refresh` property of the three resource types (docs/reference.md sections 3-5): any string, otherwise ignored
 * by the provider. A changed value makes CloudFormation send an Update, which re-reads (reader),
 * re-writes what differs in AWS (parameters) or re-applies every setting (replica key). The
 * PhysicalResourceId never changes because of it, and an unchanged value read again gives identical
 * attributes, so CloudFormation updates nothing that uses them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Lazy, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { MrkProviderValidationError, isLiteral } from './validate';

/**
 * The context key whose value, when set, replaces the per-synth value of {@link Refresh.EVERY_DEPLOYMENT}
 * (`cdk synth -c mrk-provider-cdk:refresh=fixed`, or `context` of a test's `App`): for snapshot tests
 * and reproducible templates.
 */
export const REFRESH_CONTEXT_KEY = 'mrk-provider-cdk:refresh';

/** One value per app (per synthesis), shared by every resource of the app that refreshes on each deployment. */
const synthValues = new WeakMap<IConstruct, string>();

/**
 * When a resource is brought up to date with AWS again although its properties did not change: the
 * value of its `Refresh` property.
 */
export abstract class Refresh {
  /**
   * Re-read (re-write, re-apply) on every deployment: `Refresh` is a value taken when the app is
   * synthesized (a timestamp and a nonce), so each `cdk deploy` sends an Update. Every `cdk diff` shows
   * it changing. Set the context value {@link REFRESH_CONTEXT_KEY} to fix it (snapshot tests).
   */
  public static readonly EVERY_DEPLOYMENT: Refresh = new (class extends Refresh {
    public render(scope: IConstruct): string {
      const root = scope.node.root;
      const fixed = scope.node.tryGetContext(REFRESH_CONTEXT_KEY);
      if (fixed !== undefined) {
        return String(fixed);
      }
      let value = synthValues.get(root);
      if (value === undefined) {
        value = `${new Date().toISOString()}-${randomBytes(4).toString('hex')}`;
        synthValues.set(root, value);
      }
      return value;
    }
  })();

  /**
   * Only when the resource's properties change (no `Refresh` property): what CloudFormation does for
   * every resource.
   */
  public static readonly ON_CHANGE: Refresh = new (class extends Refresh {
    public render(): undefined {
      return undefined;
    }
  })();

  /**
   * Whenever `value` changes: `Refresh` is `value` (a string or a token), for instance a version
   * number, a hash of a configuration, or a date that changes as often as values should be read again.
   */
  public static onValueChange(value: string): Refresh {
    return new (class extends Refresh {
      public render(scope: IConstruct): string {
        if (isLiteral(value) && value === '') {
          throw new MrkProviderValidationError(
            scope,
            'refresh: Refresh.onValueChange needs a value that is not empty; use Refresh.ON_CHANGE for no refresh',
          );
        }
        return value;
      }
    })();
  }

  /** The `Refresh` property of a resource of `scope`; `undefined` for none. */
  public abstract render(scope: IConstruct): string | undefined;
}

/** JSON with the keys of every object sorted, so that equal documents give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The SHA-256 (hex) of the document that `document()` returns, as it appears in `stack`'s template
 * (tokens resolved the way the template shows them), computed when the template is (so that later
 * changes count): a value that changes exactly when the document does, for a `Refresh` that follows it.
 * No value when there is no document.
 */
export function documentHash(stack: Stack, document: () => unknown): string {
  return Lazy.uncachedString({
    produce: () => {
      const resolved = stack.resolve(document());
      return resolved === undefined ? undefined : createHash('sha256').update(canonicalJson(resolved)).digest('hex');
    },
  });
}
