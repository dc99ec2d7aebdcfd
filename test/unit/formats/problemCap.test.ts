import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_PROBLEMS_PER_FILE, parseAs } from '../../../server/src/formats';

test('a file with thousands of problems reports the first ones and one summary', () => {
  // 600 broken rules, each missing every property: thousands of problems from one mistake.
  const rules = Array.from({ length: 600 }, () => '{}').join(',');
  const text = `{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[{"type":"Microsoft.Network/networkSecurityGroups","name":"n","properties":{"securityRules":[${rules}]}}]}`;
  const file = parseAs('arm', text, 'file:///x.json');
  assert.equal(file.problems.length, MAX_PROBLEMS_PER_FILE + 1);
  const last = file.problems[file.problems.length - 1];
  assert.equal(last.code, 'limit');
  assert.match(last.message, /^\d+ more problems in this file are not shown/);
  const shown = file.problems.slice(0, -1).map((p) => p.span.start);
  assert.deepEqual(shown, [...shown].sort((a, b) => a - b), 'the first problems by position are kept');
});
