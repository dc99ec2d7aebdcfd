// `source.fixAll` runs on save without a prompt for anyone with
// `"editor.codeActionsOnSave": { "source.fixAll": … }`: it must never add a
// rule that lets traffic through. Proven over every quick-fix fixture of every
// format (each has blocked flows whose "allow all" would open ports), then the
// harmless fixes it does make, as input beside the file after the fix.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { applyEdits } from '../../../server/src/model/edits';
import { ALLOW_MISSING_FLOWS_KIND, doCodeActions, FIX_ALL_KIND } from '../../../server/src/service/codeActions';
import type { WorkspaceState } from '../../../server/src/service/state';
import { stateWith, uri } from './helpers';

const FIXTURES = path.join(process.env.CITRIX_FLOW_LINT_ROOT ?? process.cwd(), 'test', 'fixtures', 'fixes');

function allowRules(state: WorkspaceState, u: string): number {
  const file = state.parsedFile(u);
  return (file?.ruleSets ?? []).flatMap((rs) => [...rs.rules, ...Object.values(rs.chains ?? {}).flat()]).filter((r) => r.target.kind === 'allow').length;
}

function allowedFlows(state: WorkspaceState): number {
  return state.analyze().required.filter((c) => c.result.verdict === 'allowed').length;
}

const cases = fs.readdirSync(FIXTURES).flatMap((format) =>
  fs
    .readdirSync(path.join(FIXTURES, format))
    .filter((name) => !name.endsWith('.fixed') && !name.endsWith('.yaml'))
    .map((name) => ({ format, name })),
);

describe('source.fixAll never returns an edit that adds an allow rule', () => {
  assert.ok(cases.length >= 30, `expected the quick-fix fixtures of every format, found ${cases.length}`);
  for (const { format, name } of cases) {
    it(`${format}/${name}`, async () => {
      const dir = path.join(FIXTURES, format);
      const own = path.join(dir, `${name}.citrix-flows.yaml`);
      const shared = path.join(dir, 'citrix-flows.yaml');
      const topology = fs.existsSync(own) ? fs.readFileSync(own, 'utf8') : fs.existsSync(shared) ? fs.readFileSync(shared, 'utf8') : null;
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      const file = `${format}/${name}`;
      const state = await stateWith({ [file]: text }, topology);
      const u = uri(file);
      const rulesBefore = allowRules(state, u);
      const flowsBefore = allowedFlows(state);
      for (const only of [['source.fixAll'], [FIX_ALL_KIND], ['source']]) {
        const actions = doCodeActions(state, u, { start: 0, end: 0 }, { only });
        for (const action of actions.filter((a) => a.kind === FIX_ALL_KIND || a.kind.startsWith('source.fixAll'))) {
          const fixed = applyEdits(text, action.edits ?? []);
          const after = await stateWith({ [file]: fixed }, topology);
          assert.equal(allowRules(after, u), rulesBefore, `"${action.title}" (${action.kind}) adds an allow rule`);
          assert.equal(allowedFlows(after), flowsBefore, `"${action.title}" (${action.kind}) changes which required flows are allowed`);
        }
        if (only[0] !== 'source') assert.deepEqual(actions.filter((a) => !a.kind.startsWith('source.fixAll')).map((a) => a.kind), [], `asked for ${only}`);
      }
      // The same file does have flows to open, under the action's own kind, asked for by name.
      if (state.analyze().findings.some((f) => f.uri === u && ['missing-flow', 'partial-flow', 'edt-needs-udp'].includes(f.checkId))) {
        const allow = doCodeActions(state, u, { start: 0, end: 0 }, { only: [ALLOW_MISSING_FLOWS_KIND] });
        assert.ok(allow.length > 0 && allow.every((a) => a.kind === ALLOW_MISSING_FLOWS_KIND), `no ${ALLOW_MISSING_FLOWS_KIND} action: ${allow.map((a) => a.kind)}`);
        assert.ok(allow.every((a) => a.title.startsWith('Allow all missing flows')));
      }
    });
  }
});

const TOPOLOGY = `roles:
  vda: [10.0.2.0/24]
  gateway-snip: [10.0.0.20]
`;

const RULES = `*filter
:INPUT DROP [0:0]
-A INPUT -s 10.0.0.20/32 -p tcp -m multiport --dports 1494,2598 -j ACCEPT
-A INPUT -s 10.0.0.20/32 -p udp -m multiport --dports 1494,2598 -j ACCEPT
COMMIT
`;

describe('the fixes source.fixAll does make', () => {
  const table: { name: string; text: string; expected: string }[] = [
    {
      name: 'an alias becomes the role id',
      text: `# citrix-role: Virtual Delivery Agent\n${RULES}`,
      expected: `# citrix-role: vda\n${RULES}`,
    },
    {
      name: 'an unused suppression on its own line goes, with its line',
      text: `# citrix-role: vda\n${RULES.replace('-A INPUT -s 10.0.0.20/32 -p udp', '# citrix-flow-lint-disable-next-line shadowed-rule -- legacy\n-A INPUT -s 10.0.0.20/32 -p udp')}`,
      expected: `# citrix-role: vda\n${RULES}`,
    },
    {
      name: 'one unused id of two: only that id and its comma',
      text: `# citrix-role: vda\n${RULES.replace('COMMIT', '# citrix-flow-lint-disable-next-line missing-flow, shadowed-rule -- kept for the audit\n-A INPUT -s 10.0.0.20/32 -p tcp --dport 1494 -j ACCEPT\nCOMMIT')}`,
      expected: `# citrix-role: vda\n${RULES.replace('COMMIT', '# citrix-flow-lint-disable-next-line shadowed-rule -- kept for the audit\n-A INPUT -s 10.0.0.20/32 -p tcp --dport 1494 -j ACCEPT\nCOMMIT')}`,
    },
    {
      name: 'every id of a comment unused: the whole comment',
      text: `# citrix-role: vda\n# citrix-flow-lint-disable shadowed-rule, exposed-to-internet -- reviewed\n${RULES}`,
      expected: `# citrix-role: vda\n${RULES}`,
    },
    {
      name: 'alias and unused suppression in one action',
      text: `# citrix-role: Virtual Delivery Agent\n# citrix-flow-lint-disable unparsed-rule\n${RULES}`,
      expected: `# citrix-role: vda\n${RULES}`,
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const state = await stateWith({ 'linux/vda-iptables.rules': c.text }, TOPOLOGY);
      const u = uri('linux/vda-iptables.rules');
      const actions = doCodeActions(state, u, { start: 0, end: 0 }, { only: ['source.fixAll'] });
      assert.equal(actions.length, 1, actions.map((a) => a.title).join('\n'));
      assert.equal(actions[0].kind, FIX_ALL_KIND);
      assert.equal(applyEdits(c.text, actions[0].edits ?? []), c.expected);
    });
  }

  it('a did-you-mean guess is a quick fix only, never fix-all', async () => {
    const text = `# citrix-role: vdaa\n${RULES}`;
    const state = await stateWith({ 'linux/vda-iptables.rules': text }, TOPOLOGY);
    const u = uri('linux/vda-iptables.rules');
    assert.deepEqual(doCodeActions(state, u, { start: 0, end: 0 }, { only: ['source.fixAll'] }), []);
    const at = text.indexOf('vdaa');
    const quick = doCodeActions(state, u, { start: at, end: at });
    assert.ok(quick.some((a) => a.title === 'Change to "vda"' && a.kind === 'quickfix'), quick.map((a) => a.title).join('\n'));
  });
});
