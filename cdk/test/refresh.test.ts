import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CrossRegionParameter, CrossRegionParameterReader, REFRESH_CONTEXT_KEY, Refresh } from 'mrk-provider-cdk';
import { testApp, throwsWith, twoRegions } from './helpers';

const NAME = '/cross-region/app/key-arn';

interface RefreshProps {
  readonly refresh?: Refresh;
}

/** The properties of the only resource of `type` in `stack`. */
function propertiesOf(stack: Stack, type: string): { [name: string]: any } {
  const resources = Object.values(Template.fromStack(stack).findResources(type));
  assert.equal(resources.length, 1, `one ${type}`);
  return resources[0].Properties;
}

/** The `Refresh` of a reader synthesized in a new app. */
function readerRefresh(props: RefreshProps = {}, app?: App): unknown {
  const { consumer } = twoRegions({ app });
  new CrossRegionParameterReader(consumer, 'Reader', { region: 'us-east-1', names: [NAME], ...props });
  return propertiesOf(consumer, 'Custom::CrossRegionParameterReader').Refresh;
}

/** The `Refresh` of a writer synthesized in a new app. */
function writerRefresh(props: RefreshProps = {}): unknown {
  const { primary } = twoRegions();
  new CrossRegionParameter(primary, 'Writer', { regions: ['eu-west-1'], parameters: { [NAME]: 'v' }, ...props });
  return propertiesOf(primary, 'Custom::CrossRegionParameter').Refresh;
}

describe('Refresh', () => {
  describe('of a CrossRegionParameterReader', () => {
    it('is a value of the synthesis by default, so every deployment reads again', () => {
      // WHEN two apps with the same reader are synthesized one after the other
      const first = readerRefresh();
      const second = readerRefresh();
      // THEN each has a Refresh, and they differ
      assert.equal(typeof first, 'string');
      assert.match(first as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z-[0-9a-f]{8}$/);
      assert.notEqual(first, second);
    });

    it('is the same for every reader of one app', () => {
      // GIVEN readers in two stacks of one app
      const { primary, consumer } = twoRegions();
      new CrossRegionParameterReader(primary, 'Reader', { region: 'eu-west-1', names: [NAME] });
      new CrossRegionParameterReader(consumer, 'Reader', { region: 'us-east-1', names: [NAME] });
      // THEN both carry the one value of the synthesis
      const [a, b] = [primary, consumer].map((s) => propertiesOf(s, 'Custom::CrossRegionParameterReader').Refresh);
      assert.equal(typeof a, 'string');
      assert.equal(a, b);
    });

    it('is the context value mrk-provider-cdk:refresh when it is set, for snapshot tests', () => {
      const app = testApp({ context: { [REFRESH_CONTEXT_KEY]: 'snapshot' } });
      assert.equal(readerRefresh({}, app), 'snapshot');
    });

    it('is left out with Refresh.ON_CHANGE', () => {
      assert.equal(readerRefresh({ refresh: Refresh.ON_CHANGE }), undefined);
    });

    it('is the value given with Refresh.onValueChange, the same in every synthesis', () => {
      assert.equal(readerRefresh({ refresh: Refresh.onValueChange('v1') }), 'v1');
      assert.equal(readerRefresh({ refresh: Refresh.onValueChange('v1') }), 'v1');
    });

    it('refuses an empty value', () => {
      throwsWith(
        () => readerRefresh({ refresh: Refresh.onValueChange('') }),
        /\[Consumer\/Reader\] refresh: Refresh.onValueChange needs a value that is not empty/,
      );
    });
  });

  describe('of a CrossRegionParameter', () => {
    it('is left out by default', () => {
      assert.equal(writerRefresh(), undefined);
    });

    it('changes between two syntheses with Refresh.EVERY_DEPLOYMENT', () => {
      const first = writerRefresh({ refresh: Refresh.EVERY_DEPLOYMENT });
      const second = writerRefresh({ refresh: Refresh.EVERY_DEPLOYMENT });
      assert.equal(typeof first, 'string');
      assert.notEqual(first, second);
    });

    it('is the value given with Refresh.onValueChange', () => {
      assert.equal(writerRefresh({ refresh: Refresh.onValueChange('2026-12') }), '2026-12');
    });
  });
});
