import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArm } from '../../../server/src/formats/arm';
import { ARM_MAX_COPY_COUNT, COPY_INSTANCE_BUDGET } from '../../../server/src/formats/arm/scope';

/**
 * Which counts of an ARM copy loop are expanded, and what is said when one
 * is not: a securityRules property copy of `count` rules in one NSG, the
 * count written as each row says.
 */
const template = (count: unknown, parameters = '{}', variables = '{}'): string =>
  JSON.stringify({
    parameters: JSON.parse(parameters),
    variables: JSON.parse(variables),
    resources: [
      {
        type: 'Microsoft.Network/networkSecurityGroups',
        apiVersion: '2023-09-01',
        name: 'nsg',
        properties: {
          copy: [
            {
              name: 'securityRules',
              count,
              input: {
                name: "[concat('r', copyIndex('securityRules'))]",
                properties: { priority: "[add(100, copyIndex('securityRules'))]", direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '443' },
              },
            },
          ],
        },
      },
    ],
  });

const ports = '{"ports": {"type": "array", "defaultValue": [443, 1494, 2598]}}';
const rows: { name: string; text: string; rules: string[]; warning?: RegExp }[] = [
  { name: 'a literal count', text: template(2), rules: ['r0', 'r1'] },
  { name: 'zero: an empty rule list', text: template(0), rules: [] },
  { name: "a parameter's defaultValue", text: template("[parameters('n')]", '{"n": {"type": "int", "defaultValue": 3}}'), rules: ['r0', 'r1', 'r2'] },
  { name: 'length() of an array parameter', text: template("[length(parameters('ports'))]", ports), rules: ['r0', 'r1', 'r2'] },
  { name: 'length() of a variable', text: template("[length(variables('names'))]", '{}', '{"names": ["a", "b"]}'), rules: ['r0', 'r1'] },
  { name: 'sub() and mul() in the count', text: template('[sub(mul(2, 3), 4)]'), rules: ['r0', 'r1'] },
  { name: 'a parameter without defaultValue', text: template("[parameters('n')]", '{"n": {"type": "int"}}'), rules: ['line 1'], warning: /count \[parameters\('n'\)\] is not expanded \(parameter 'n' has no defaultValue\); only one instance of its input is read/ },
  { name: 'reference()', text: template("[reference('x').count]"), rules: ['line 1'], warning: /not expanded \(reference\(\) is evaluated at deployment\)/ },
  { name: `over ARM's ${ARM_MAX_COPY_COUNT}`, text: template(ARM_MAX_COPY_COUNT + 1), rules: ['line 1'], warning: /801 copies: ARM allows at most 800, so this template does not deploy/ },
  { name: 'a negative count', text: template(-1), rules: ['line 1'], warning: /not a whole number/ },
  { name: 'no count', text: template(undefined), rules: ['line 1'], warning: /the copy has no count/ },
];

for (const row of rows) {
  test(`securityRules property copy, ${row.name}`, () => {
    const file = parseArm(row.text, 'file:///copy.json');
    const nsg = file.ruleSets.find((rs) => rs.id === 'nsg');
    assert.ok(nsg);
    const written = nsg.rules.filter((r) => !r.implicit);
    assert.deepEqual(written.map((r) => r.id), row.rules);
    const warnings = file.problems.filter((p) => p.severity === 'warning').map((p) => p.message);
    if (!row.warning) {
      assert.deepEqual(warnings, []);
      assert.deepEqual(written.map((r) => r.priority?.value), row.rules.map((_, i) => 100 + i));
    } else {
      assert.ok(warnings.some((w) => row.warning!.test(w)), warnings.join('\n'));
      // The one instance read stands for an unknown number of rules: it decides nothing for certain.
      assert.ok(written[0].unresolved.length > 0);
    }
  });
}

test(`a property copy inside a resource copy stops at ${COPY_INSTANCE_BUDGET} instances for the file and says so`, () => {
  const text = JSON.stringify({
    resources: [
      {
        type: 'Microsoft.Network/networkSecurityGroups',
        apiVersion: '2023-09-01',
        name: "[concat('nsg', copyIndex())]",
        copy: { name: 'nsgs', count: 800 },
        properties: {
          copy: [{ name: 'securityRules', count: 800, input: { name: "[concat('r', copyIndex('securityRules'))]", properties: { priority: "[add(100, copyIndex('securityRules'))]", direction: 'Inbound', access: 'Allow', protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '443' } } }],
        },
      },
    ],
  });
  const file = parseArm(text, 'file:///copy.json');
  assert.equal(file.ruleSets.length, 800);
  const rules = file.ruleSets.reduce((n, rs) => n + rs.rules.filter((r) => !r.implicit).length, 0);
  assert.ok(rules <= COPY_INSTANCE_BUDGET, `${rules} rules`);
  assert.ok(file.problems.some((p) => /would pass this file's limit of 4000 copy instances/.test(p.message)));
});
