import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzesOn } from '../../../server/src/service/settings';

test('citrixFlowLint.run: which document events start an analysis', () => {
  const table: [Parameters<typeof analyzesOn>[0], Parameters<typeof analyzesOn>[1], boolean][] = [
    ['change', 'onType', true],
    ['save', 'onType', false],
    ['open', 'onType', true],
    ['change', 'onSave', false],
    ['save', 'onSave', true],
    ['open', 'onSave', true],
  ];
  for (const [event, run, expected] of table) assert.equal(analyzesOn(event, run), expected, `${event} with ${run}`);
});
