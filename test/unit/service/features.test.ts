import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { allCheckIds, checkById } from '../../../server/src/analysis/checks';
import type { Finding } from '../../../server/src/analysis/findings';
import { applyEdits } from '../../../server/src/model/edits';
import { doCodeActions } from '../../../server/src/service/codeActions';
import { DECLARE_ROLE_COMMAND, doCodeLens } from '../../../server/src/service/codeLens';
import { declareRuleSet } from '../../../server/src/analysis/fixes';
import { explainPort } from '../../../server/src/service/commands';
import { doCompletion } from '../../../server/src/service/completion';
import { doHover } from '../../../server/src/service/hover';
import { doInlayHints } from '../../../server/src/service/inlayHints';
import { portTokenAt } from '../../../server/src/service/ports';
import { normalizeSettings } from '../../../server/src/service/settings';
import { disableForLineEdit } from '../../../server/src/service/suppress';
import { Workspace } from '../../../server/src/service/workspace';
import { loadCatalog } from '../../../server/src/catalog';
import { IPTABLES, NSG_TF, ROOT, cut, stateWith, uri } from './helpers';

describe('one parse per document version, shared by every feature', () => {
  it('hover, completion, lens, hints and actions on one version parse it once', async () => {
    const state = await stateWith({ 'azure/vda.tf': NSG_TF });
    const u = uri('azure/vda.tf');
    state.analyze();
    const before = state.parses;
    doHover(state, u, NSG_TF.indexOf('1494'));
    doCompletion(state, u, NSG_TF.indexOf('1494'));
    doCodeLens(state, u);
    doInlayHints(state, u);
    doCodeActions(state, u, { start: 0, end: NSG_TF.length });
    assert.equal(state.parses, before);
    state.setDocument({ uri: u, text: NSG_TF.replace('100', '110'), version: 2 });
    doHover(state, u, 10);
    doCodeLens(state, u);
    assert.equal(state.parses, before + 1);
  });
});

describe('portTokenAt', () => {
  const cases: [string, { from: number; to: number } | undefined][] = [
    ['--dport 14|94 ', { from: 1494, to: 1494 }],
    ['"16500-165|09"', { from: 16500, to: 16509 }],
    ['16500:1|6509', { from: 16500, to: 16509 }],
    ['dport { 80, 4|43 }', { from: 443, to: 443 }],
    ['10.0.0.2|0', undefined],
    ['10.0.0.0/2|4', undefined],
    ['1|0.0.0.0/24', undefined],
    ['9999|9', undefined],
    ['abc|', undefined],
  ];
  for (const [input, expected] of cases) {
    it(input, () => {
      const { text, offset } = cut(input);
      const token = portTokenAt(text, offset);
      assert.deepEqual(token && { from: token.from, to: token.to }, expected);
    });
  }
});

describe('code lens and inlay hints', () => {
  it('one lens per bound role above the rule set, counting its required flows', async () => {
    const state = await stateWith({ 'azure/vda.tf': NSG_TF });
    const lenses = doCodeLens(state, uri('azure/vda.tf'));
    // EDT is on: ICA and CGP are partial (UDP blocked), TCP 80 and 89 from the controller are blocked.
    assert.deepEqual(lenses.map((l) => l.title), ['VDA · 0/4 required inbound flows allowed · 0/1 outbound']);
    assert.equal(lenses[0].span.start, NSG_TF.indexOf('resource'));
    assert.deepEqual((lenses[0].arguments[0] as { role: string }).role, 'vda');
  });
  it('a rule set with an inferred role says so, and offers to declare it', async () => {
    const text = NSG_TF.replace('# citrix-role: vda\n', '');
    const state = await stateWith({ 'azure/vda.tf': text });
    const lenses = doCodeLens(state, uri('azure/vda.tf'));
    assert.deepEqual(lenses.map((l) => l.title), ['Assumed role: VDA, from the name `nsg-vda` and the file name `vda`', 'Declare', 'VDA · 0/4 required inbound flows allowed · 0/1 outbound']);
    assert.equal(lenses[1].command, DECLARE_ROLE_COMMAND);
    assert.deepEqual(lenses[1].arguments, [{ uri: uri('azure/vda.tf'), ruleSetId: 'azurerm_network_security_group.vda' }]);
    const declared = declareRuleSet(state.analyze(), uri('azure/vda.tf'), 'azurerm_network_security_group.vda');
    assert.ok(declared);
    assert.equal(declared.title, 'Declare this rule set as Virtual Delivery Agent (VDA)');
    assert.equal(applyEdits(text, [declared.edit]), NSG_TF, 'the annotation is written where a person writes it');
    const hover = doHover(state, uri('azure/vda.tf'), text.indexOf('"vda"') + 1);
    assert.match(hover?.contents ?? '', /Assumed role: \*\*Virtual Delivery Agent \(VDA\)\*\* \(`vda`\), from the name `nsg-vda`/);
  });
  it('with inference off, an unbound file has no lens', async () => {
    const state = await stateWith({ 'azure/vda.tf': NSG_TF.replace('# citrix-role: vda\n', '') });
    state.analyze({ infer: false });
    assert.deepEqual(doCodeLens(state, uri('azure/vda.tf')), []);
  });
  // Each style on the same rules: [text just before the hint, label].
  const HINTS: { style: 'perRule' | 'perPort' | 'hover'; expected: [string, string][] }[] = [
    { style: 'perRule', expected: [['1494,2598', 'ICA, CGP'], ['16500:16509', 'HDX audio']] },
    { style: 'perPort', expected: [['1494', 'ICA'], ['2598', 'CGP'], ['16509', 'HDX audio']] },
    { style: 'hover', expected: [] },
  ];
  for (const { style, expected } of HINTS) {
    it(`hints after Citrix ports only, style ${style}`, async () => {
      const state = await stateWith({ 'linux/storefront-iptables.rules': IPTABLES });
      const hints = doInlayHints(state, uri('linux/storefront-iptables.rules'), undefined, style);
      assert.deepEqual(hints.map((h) => [IPTABLES.slice(h.offset - expected[hints.indexOf(h)]?.[0].length, h.offset), h.label]), expected);
      for (const h of hints) assert.ok(h.label.length <= 20 && !h.label.includes('…'), `"${h.label}" is short and whole`);
    });
  }
  it('one hint per field names at most three services, the tooltip all of them', async () => {
    const text = IPTABLES.replace('--dports 1494,2598', '--dports 1494,2598,8008,27000,7279');
    const state = await stateWith({ 'linux/storefront-iptables.rules': text });
    const [first] = doInlayHints(state, uri('linux/storefront-iptables.rules'));
    assert.equal(first.label, 'ICA, CGP, ICA HTML5 +2');
    assert.equal(first.tooltip, 'Citrix: 1494 ICA/HDX · 2598 ICA Session Reliability (CGP) · 8008 ICA for the HTML5 client · 27000 Citrix License Server · 7279 Citrix license vendor daemon');
  });
  it('no hint outside the requested range', async () => {
    const state = await stateWith({ 'linux/storefront-iptables.rules': IPTABLES });
    const firstLine = IPTABLES.indexOf('-A INPUT -p tcp -s');
    assert.deepEqual(doInlayHints(state, uri('linux/storefront-iptables.rules'), { start: firstLine, end: firstLine + 40 }), []);
  });
  it('a Terraform list gets its hint after the closing bracket', async () => {
    const state = await stateWith({ 'azure/vda.tf': NSG_TF });
    const hints = doInlayHints(state, uri('azure/vda.tf'));
    assert.deepEqual(hints.map((h) => [NSG_TF.slice(h.offset - 16, h.offset), h.label]), [['["1494", "2598"]', 'ICA, CGP']]);
  });
});

describe('code actions', () => {
  it('disable for this line, documentation, and the fix builders on a missing flow', async () => {
    const state = await stateWith({ 'azure/vda.tf': NSG_TF });
    const u = uri('azure/vda.tf');
    // The cursor on the squiggle: the deciding rule's name.
    const deny = NSG_TF.indexOf('DenyAllInbound"');
    const actions = doCodeActions(state, u, { start: deny, end: deny });
    const titles = actions.map((a) => a.title);
    assert.ok(titles.some((t) => t.startsWith('Allow Delivery Controller → Virtual Delivery Agent (VDA), TCP 80')), titles.join('\n'));
    const disable = actions.find((a) => a.title.startsWith('Disable missing-flow'));
    assert.ok(disable?.edits);
    const after = applyEdits(NSG_TF, disable.edits);
    assert.ok(after.includes('  # citrix-flow-lint-disable-next-line missing-flow\n  security_rule {\n    name                       = "DenyAllInbound"'));
    // The suppression takes effect: the finding is gone once the edit is applied.
    state.setDocument({ uri: u, text: after, version: 2 });
    assert.ok(!state.analyze().findings.some((f) => f.checkId === 'missing-flow'));
    const docs = actions.find((a) => a.title === 'Show documentation for missing-flow');
    assert.deepEqual(docs?.command?.command, 'citrixFlowLint.showDocumentation');
    assert.ok(actions.every((a) => a.kind === 'quickfix' || a.kind.startsWith('source.fixAll')));
  });
  it('only source.citrix-flow-lint.allowMissingFlows: "allow all" of the whole file; source.fixAll: none of it', async () => {
    const state = await stateWith({ 'azure/vda.tf': NSG_TF });
    const actions = doCodeActions(state, uri('azure/vda.tf'), { start: 0, end: 0 }, { only: ['source.citrix-flow-lint.allowMissingFlows'] });
    assert.ok(actions.length >= 1);
    assert.ok(actions.every((a) => a.kind === 'source.citrix-flow-lint.allowMissingFlows'), actions.map((a) => a.kind).join());
    assert.deepEqual(doCodeActions(state, uri('azure/vda.tf'), { start: 0, end: 0 }, { only: ['source.fixAll'] }), []);
  });
  it('a failing fix builder leaves the generic actions', async () => {
    const state = await stateWith({ 'azure/vda.tf': NSG_TF });
    const deny = NSG_TF.indexOf('DenyAllInbound"');
    const actions = doCodeActions(state, uri('azure/vda.tf'), { start: deny, end: deny }, { fixes: () => { throw new Error('boom'); } });
    assert.ok(actions.some((a) => a.title === 'Disable missing-flow for this line'));
  });
});

describe('disableForLineEdit', () => {
  const finding = (text: string, at: string, checkId = 'missing-flow'): Finding => ({ checkId, severity: 'error', uri: 'file:///x', span: { start: text.indexOf(at), end: text.indexOf(at) + at.length }, message: '' });
  const cases: { name: string; format: Parameters<typeof disableForLineEdit>[2]; uri?: string; text: string; at: string; expect: string | undefined; checkId?: string; comments?: boolean }[] = [
    { name: 'Bicep comment with the line indentation', format: 'bicep', text: 'x\n    rule: 1\n', at: 'rule', expect: 'x\n    // citrix-flow-lint-disable-next-line missing-flow\n    rule: 1\n' },
    { name: 'ASA bang comment', format: 'asa', text: 'access-list a permit tcp any any eq 80\n', at: 'access-list', expect: '! citrix-flow-lint-disable-next-line missing-flow\naccess-list a permit tcp any any eq 80\n' },
    { name: 'netsh batch file', format: 'windows-firewall', uri: 'file:///x.cmd', text: 'netsh advfirewall\r\n', at: 'netsh', expect: 'REM citrix-flow-lint-disable-next-line missing-flow\r\nnetsh advfirewall\r\n' },
    { name: 'adds to a directive already above', format: 'iptables', text: '# citrix-flow-lint-disable-next-line shadowed-rule -- ok\n-A INPUT -j DROP\n', at: '-A', expect: '# citrix-flow-lint-disable-next-line shadowed-rule, missing-flow -- ok\n-A INPUT -j DROP\n' },
    { name: 'ARM JSON without comments: no edit', format: 'arm', text: '{\n "a": 1\n}\n', at: '"a"', expect: undefined },
    // The two leader tables disagreed here; the registry decides: `//` only in a template whose toolchain already takes comments.
    { name: 'ARM template that already has comments: //', format: 'arm', text: '{\n // NSG for the VDAs\n "a": 1\n}\n', at: '"a"', comments: true, expect: '{\n // NSG for the VDAs\n // citrix-flow-lint-disable-next-line missing-flow\n "a": 1\n}\n' },
    { name: 'batch file written with :: comments', format: 'windows-firewall', uri: 'file:///x.bat', text: ':: VDA rules\r\nnetsh advfirewall\r\n', at: 'netsh', expect: ':: VDA rules\r\n:: citrix-flow-lint-disable-next-line missing-flow\r\nnetsh advfirewall\r\n' },
    { name: 'batch file with REM and :: comments: REM', format: 'windows-firewall', uri: 'file:///x.bat', text: 'REM VDA rules\r\n:: more\r\nnetsh advfirewall\r\n', at: 'netsh', expect: 'REM VDA rules\r\n:: more\r\nREM citrix-flow-lint-disable-next-line missing-flow\r\nnetsh advfirewall\r\n' },
    { name: 'PowerShell: #', format: 'windows-firewall', uri: 'file:///x.ps1', text: 'New-NetFirewallRule\n', at: 'New', expect: '# citrix-flow-lint-disable-next-line missing-flow\nNew-NetFirewallRule\n' },
    { name: 'CloudFormation YAML: #', format: 'cloudformation', text: 'Resources:\n  Sg:\n', at: 'Sg', expect: 'Resources:\n  # citrix-flow-lint-disable-next-line missing-flow\n  Sg:\n' },
    { name: 'CloudFormation JSON: no edit (CloudFormation rejects comments)', format: 'cloudformation', text: '{\n "Resources": {}\n}\n', at: '"Resources"', expect: undefined },
    { name: 'citrix-flows.yaml: #', format: 'yaml', text: 'roles:\n  vdaa:\n', at: 'vdaa', checkId: 'unknown-role', expect: 'roles:\n  # citrix-flow-lint-disable-next-line unknown-role\n  vdaa:\n' },
    { name: 'no format: no edit', format: undefined, text: 'x\n', at: 'x', expect: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const comments = c.comments ? [{ text: 'a comment', span: { start: 0, end: 1 } }] : [];
      const edit = disableForLineEdit(c.text, c.uri ?? 'file:///x', c.format, comments, finding(c.text, c.at, c.checkId));
      assert.equal(edit && applyEdits(c.text, [edit]), c.expect);
    });
  }
});

describe('explainPort', () => {
  const catalog = loadCatalog();
  it('explains a port with a protocol', () => {
    const r = explainPort(catalog, '2598/udp');
    assert.ok('markdown' in r && r.markdown.includes('Session Reliability') && r.markdown.includes('UDP'));
  });
  it('explains a range', () => {
    const r = explainPort(catalog, '16500-16509');
    assert.ok('markdown' in r && r.markdown.startsWith('**Ports 16500–16509**'));
  });
  it('says when the input is not a port', () => {
    assert.ok('error' in explainPort(catalog, 'ica'));
    assert.ok('error' in explainPort(catalog, '70000'));
  });
});

describe('settings', () => {
  it('normalises what the client sends', () => {
    assert.deepEqual(normalizeSettings({ checks: { 'missing-flow': 'off', 'shadowed-rule': 'default', x: 3 }, debounceMs: -5, inlayHints: { enabled: false } }), {
      enable: true,
      checks: { 'missing-flow': 'off' },
      inlayHints: { enabled: false, style: 'perRule' },
      debounceMs: 0,
      maxFileSizeKB: 5120,
      baseline: { file: '', showAs: 'hint' },
      exclude: [],
      filesExclude: [],
      run: 'onType',
      infer: true,
    });
    assert.equal(normalizeSettings({ infer: false }).infer, false);
    assert.equal(normalizeSettings({ run: 'onSave' }).run, 'onSave');
    assert.equal(normalizeSettings({ run: 'sometimes' }).run, 'onType');
    assert.deepEqual(normalizeSettings({ exclude: ['legacy/**', 3, ''] }, { '**/.git': true, '**/tmp': false }).exclude, ['legacy/**']);
    assert.deepEqual(normalizeSettings({}, { '**/.git': true, '**/tmp': false }).filesExclude, ['**/.git']);
    assert.deepEqual(normalizeSettings({ baseline: { file: ' .citrix-baseline.json ', showAs: 'hidden' } }).baseline, { file: '.citrix-baseline.json', showAs: 'hidden' });
    assert.deepEqual(normalizeSettings({ baseline: { file: 3, showAs: 'loud' } }).baseline, { file: '', showAs: 'hint' });
    assert.equal(normalizeSettings(null).debounceMs, 150);
  });
  it('package.json has one severity setting per check of the registry, and nothing else', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(process.env.CITRIX_FLOW_LINT_ROOT ?? process.cwd(), 'package.json'), 'utf8'));
    const properties = manifest.contributes.configuration.properties as Record<string, { enum: string[]; default: string }>;
    const ids = Object.keys(properties).filter((k) => k.startsWith('citrixFlowLint.checks.')).map((k) => k.slice('citrixFlowLint.checks.'.length));
    assert.deepEqual(ids.sort(), allCheckIds().sort());
    for (const id of ids) {
      assert.deepEqual(properties[`citrixFlowLint.checks.${id}`].enum, ['default', 'off', 'info', 'warning', 'error']);
      assert.equal(properties[`citrixFlowLint.checks.${id}`].default, 'default', `${id}: "default" lets citrix-flows.yaml decide (${checkById(id)?.defaultSeverity})`);
    }
  });
});

describe('Workspace publishing', () => {
  it('publishes changed files only, and clears a file whose findings are gone', async () => {
    await stateWith({});
    const ws = new Workspace([ROOT]);
    const u = uri('linux/storefront-iptables.rules');
    const plain = '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp -s 10.0.0.20 --dport 443 -j ACCEPT\nCOMMIT\n';
    const bad = plain.replace('COMMIT', '-A INPUT -j FROB\nCOMMIT');
    const unit = ws.openOrChange({ uri: u, text: bad, version: 1 });
    // The file name says StoreFront; this test is about publishing, so only the parse problem should be there.
    const off = { infer: false };
    const first = ws.changedDiagnostics(unit, off);
    assert.deepEqual(first.map((p) => [p.uri, p.version, p.diagnostics.map((d) => d.code)]), [[u, 1, ['unparsed-rule']]]);
    assert.deepEqual(ws.changedDiagnostics(unit, off), [], 'nothing changed, nothing sent');
    ws.openOrChange({ uri: u, text: plain, version: 2 });
    assert.deepEqual(ws.changedDiagnostics(unit, off), [{ uri: u, diagnostics: [] }]);
    ws.openOrChange({ uri: u, text: bad, version: 3 });
    assert.deepEqual(ws.changedDiagnostics(unit, off, false), [], 'disabled: nothing to publish, and nothing was published since the clear');
  });
});
