import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bindRuleSets, COMMAND_LINE_URI, parseTopology, workspaceRelative, type BindOptions } from '../../../server/src/topology';
import type { ParsedFile } from '../../../server/src/model';
import { syntheticFile } from './syntheticFile';
import { TEST_VOCABULARY } from './testVocabulary';
import { at } from './summary';

const ROOT = '/work/site';
const files: ParsedFile[] = [
  syntheticFile('ruleset azurerm_network_security_group.vda vda-nsg\nend\nruleset azurerm_network_security_group.sf sf-nsg\nend\n', `file://${ROOT}/terraform/azure/main.tf`, 'terraform'),
  syntheticFile('ruleset filter/INPUT INPUT\nend\n', `file://${ROOT}/iptables/storefront-1.rules`),
  syntheticFile('# citrix-role: license-server\nruleset filter/INPUT INPUT\nend\n', `file://${ROOT}/iptables/license.rules`),
  syntheticFile('ruleset OUTSIDE_IN\napplies in:outside\nend\nruleset DMZ_OUT\napplies out:dmz\nend\nruleset GLOBAL\napplies global\nend\n', `file://${ROOT}/asa/edge.cfg`, 'asa'),
  syntheticFile('ruleset filter/FORWARD FORWARD\nrule -i eth0 -o eth1\nrule -i ! eth2\nend\n', `file://${ROOT}/linux/router.rules`),
];

function topology(yaml: string) {
  return parseTopology(yaml, `file://${ROOT}/citrix-flows.yaml`, TEST_VOCABULARY);
}

interface Case {
  name: string;
  yaml: string;
  options?: Partial<BindOptions>;
  /** `path#ruleSetId: roles via [interfaces]`, for bound rule sets only. */
  bound: string[];
  problems?: string[];
}

const cases: Case[] = [
  {
    name: 'nothing declared: only annotations bind',
    yaml: '',
    bound: ['iptables/license.rules#filter/INPUT: license-server via annotation'],
  },
  {
    name: 'a binding by glob and full resource address',
    yaml: 'bindings:\n  - files: "terraform/**/*.tf"\n    ruleSet: azurerm_network_security_group.vda\n    roles: [vda]\n',
    bound: ['terraform/azure/main.tf#azurerm_network_security_group.vda: vda via binding', 'iptables/license.rules#filter/INPUT: license-server via annotation'],
  },
  {
    name: 'ruleSet by the id\'s last segment, by name, and by glob',
    yaml:
      'bindings:\n  - { files: "terraform/**", ruleSet: sf, roles: [storefront] }\n  - { files: "terraform/**", ruleSet: vda-nsg, roles: [vda] }\n' +
      '  - { files: "iptables/*.rules", ruleSet: "filter/*", roles: [storefront] }\n',
    bound: [
      'terraform/azure/main.tf#azurerm_network_security_group.vda: vda via binding',
      'terraform/azure/main.tf#azurerm_network_security_group.sf: storefront via binding',
      'iptables/storefront-1.rules#filter/INPUT: storefront via binding',
      'iptables/license.rules#filter/INPUT: license-server via annotation',
    ],
  },
  {
    name: 'an annotation wins over a binding for the same rule set',
    yaml: 'bindings:\n  - { files: "iptables/*.rules", roles: [storefront] }\n',
    bound: ['iptables/storefront-1.rules#filter/INPUT: storefront via binding', 'iptables/license.rules#filter/INPUT: license-server via annotation'],
  },
  {
    name: 'a glob without a slash matches the file name in any folder; two bindings add up',
    yaml: 'bindings:\n  - { files: "storefront-*.rules", roles: [storefront] }\n  - { files: "iptables/storefront-1.rules", roles: [gateway-snip] }\n',
    bound: ['iptables/storefront-1.rules#filter/INPUT: storefront,gateway-snip via binding', 'iptables/license.rules#filter/INPUT: license-server via annotation'],
  },
  {
    name: 'ASA ACLs take the roles of the interfaces they are applied to',
    yaml: 'interfaces:\n  - { name: outside, roles: [workspace-app], files: "asa/*.cfg" }\n  - { name: dmz, roles: [gateway] }\n',
    bound: [
      'iptables/license.rules#filter/INPUT: license-server via annotation',
      'asa/edge.cfg#OUTSIDE_IN: workspace-app via interface [outside/in]',
      'asa/edge.cfg#DMZ_OUT: gateway via interface [dmz/out]',
    ],
  },
  {
    name: 'a FORWARD chain takes the roles on both sides; negated interfaces name no side',
    yaml: 'interfaces:\n  - { name: eth0, roles: [workspace-app] }\n  - { name: eth1, roles: [vda] }\n',
    bound: ['iptables/license.rules#filter/INPUT: license-server via annotation', 'linux/router.rules#filter/FORWARD: workspace-app,vda via interface [eth0/in eth1/out]'],
  },
  {
    name: 'interfaces are recorded even when a binding decides the roles',
    yaml: 'bindings:\n  - { files: "asa/edge.cfg", ruleSet: OUTSIDE_IN, roles: [gateway] }\ninterfaces:\n  - { name: outside, roles: [workspace-app] }\n',
    bound: ['iptables/license.rules#filter/INPUT: license-server via annotation', 'asa/edge.cfg#OUTSIDE_IN: gateway via binding [outside/in]'],
  },
  {
    name: 'an interface in files the glob excludes does not apply',
    yaml: 'interfaces:\n  - { name: outside, roles: [workspace-app], files: "other/*.cfg" }\n',
    bound: ['iptables/license.rules#filter/INPUT: license-server via annotation'],
    problems: ['citrix-flows.yaml unmatched-binding 2:13-2:20'],
  },
  {
    name: '--role binds every rule set of every file, above annotations',
    yaml: 'bindings:\n  - { files: "terraform/**", roles: [storefront] }\n',
    options: { commandLineRoles: ['vda', 'DDC', 'vda'] },
    bound: [
      'terraform/azure/main.tf#azurerm_network_security_group.vda: vda,delivery-controller via command-line',
      'terraform/azure/main.tf#azurerm_network_security_group.sf: vda,delivery-controller via command-line',
      'iptables/storefront-1.rules#filter/INPUT: vda,delivery-controller via command-line',
      'iptables/license.rules#filter/INPUT: vda,delivery-controller via command-line',
      'asa/edge.cfg#OUTSIDE_IN: vda,delivery-controller via command-line',
      'asa/edge.cfg#DMZ_OUT: vda,delivery-controller via command-line',
      'asa/edge.cfg#GLOBAL: vda,delivery-controller via command-line',
      'linux/router.rules#filter/FORWARD: vda,delivery-controller via command-line',
    ],
  },
  {
    name: 'an unknown --role is a problem on the command line',
    yaml: '',
    options: { commandLineRoles: ['storefrnt'] },
    bound: ['iptables/license.rules#filter/INPUT: license-server via annotation'],
    problems: [`${COMMAND_LINE_URI} unknown-role 1:1-1:1 storefront`],
  },
  {
    name: 'bindings that match no file, or no rule set, are reported with a suggestion',
    yaml:
      'bindings:\n  - { files: "terraform/aws/**", roles: [vda] }\n  - { files: "terraform/**/*.tf", ruleSet: azurerm_network_security_group.vdaa, roles: [vda] }\n' +
      '  - { files: "iptables/*.rules", ruleSet: OUTPUT, roles: [vda] }\n',
    bound: ['iptables/license.rules#filter/INPUT: license-server via annotation'],
    problems: [
      'citrix-flows.yaml unmatched-binding 2:14-2:32',
      'citrix-flows.yaml unmatched-binding 3:44-3:79 azurerm_network_security_group.vda',
      'citrix-flows.yaml unmatched-binding 4:43-4:49',
    ],
  },
  {
    name: 'reportUnmatched: false (a partial run) reports none of them',
    yaml: 'bindings:\n  - { files: "terraform/aws/**", roles: [vda] }\ninterfaces:\n  - { name: nowhere, roles: [vda] }\n',
    options: { reportUnmatched: false },
    bound: ['iptables/license.rules#filter/INPUT: license-server via annotation'],
  },
];

for (const c of cases) {
  test(`bind: ${c.name}`, () => {
    const t = topology(c.yaml);
    assert.deepEqual(t.problems.filter((p) => p.severity === 'error'), [], 'the YAML itself is fine');
    const result = bindRuleSets(files, t, { vocabulary: TEST_VOCABULARY, ...c.options });
    const shown = result.bound.map((b) => {
      const rel = workspaceRelative(b.file.uri, ROOT);
      const ifs = b.interfaces?.length ? ` [${b.interfaces.map((i) => `${i.name}/${i.direction}`).join(' ')}]` : '';
      return `${rel}#${b.ruleSet.id}: ${b.roles.join(',')} via ${b.via}${ifs}`;
    });
    assert.deepEqual(shown, c.bound);
    const problems = result.problems.map(({ uri, problem }) => {
      const where = uri === COMMAND_LINE_URI ? uri : uri.slice(uri.lastIndexOf('/') + 1);
      const text = uri === COMMAND_LINE_URI ? '' : c.yaml;
      return `${where} ${problem.code} ${at(text, problem.span)}${problem.suggestion ? ` ${problem.suggestion}` : ''}`;
    });
    assert.deepEqual(problems, c.problems ?? []);
    const boundIds = new Set(result.bound.map((b) => `${b.file.uri}#${b.ruleSet.id}`));
    const all = files.flatMap((f) => f.ruleSets.map((rs) => `${f.uri}#${rs.id}`));
    assert.deepEqual(
      [...boundIds, ...result.unbound.map((u) => `${u.file.uri}#${u.ruleSet.id}`)].sort(),
      all.sort(),
      'every rule set is either bound or unbound, once',
    );
  });
}

test('unmatched-binding messages say what was there', () => {
  const yaml = 'bindings:\n  - { files: "iptables/*.rules", ruleSet: OUTPUT, roles: [vda] }\n';
  const [p] = bindRuleSets(files, topology(yaml), { vocabulary: TEST_VOCABULARY }).problems;
  assert.equal(p.problem.message, 'Binding for vda matches 2 files but no rule set named "OUTPUT" in them (rule sets there: "filter/INPUT", "INPUT")');
});

test('declaredAt points at the annotation or the binding', () => {
  const yaml = 'bindings:\n  - { files: "terraform/**", ruleSet: vda, roles: [vda] }\n';
  const { bound } = bindRuleSets(files, topology(yaml), { vocabulary: TEST_VOCABULARY });
  const byBinding = bound.find((b) => b.via === 'binding')!;
  assert.equal(at(yaml, byBinding.declaredAt!.span), '2:5-2:58');
  const byAnnotation = bound.find((b) => b.via === 'annotation')!;
  assert.equal(byAnnotation.file.text.slice(byAnnotation.declaredAt!.span.start, byAnnotation.declaredAt!.span.end), '# citrix-role: license-server');
});

test('workspace-relative paths', () => {
  const table: [string, string | undefined, string][] = [
    ['file:///work/site/a/b.tf', '/work/site', 'a/b.tf'],
    ['file:///work/site/a/b.tf', 'file:///work/site/', 'a/b.tf'],
    ['file:///work/site/a%20b/c.tf', '/work/site', 'a b/c.tf'],
    ['/elsewhere/x.tf', '/work/site', '/elsewhere/x.tf'],
    ['./rel/x.tf', undefined, 'rel/x.tf'],
  ];
  for (const [uri, root, expected] of table) {
    const normalizedRoot = root?.startsWith('file://') ? '/work/site' : root;
    assert.equal(workspaceRelative(uri, normalizedRoot), expected, uri);
  }
  // The root defaults to the folder that holds citrix-flows.yaml.
  const yaml = 'bindings:\n  - { files: "terraform/azure/main.tf", ruleSet: sf, roles: [storefront] }\n';
  const r = bindRuleSets(files, topology(yaml), { vocabulary: TEST_VOCABULARY, workspaceRoot: `file://${ROOT}/` });
  assert.ok(r.bound.some((b) => b.ruleSet.id === 'azurerm_network_security_group.sf' && b.via === 'binding'));
});
