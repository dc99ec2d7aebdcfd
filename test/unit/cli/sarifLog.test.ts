// The SARIF log built in-process (sarif.test.ts runs the shipped CLI, which a
// mutation run cannot reach). Expectations are written from the SARIF 2.1.0
// spec and GitHub code scanning's use of it, not read back from the output:
// a result's partialFingerprints is how code scanning follows an alert across
// runs and merges results that share one, so it must name the check, the
// flow, the file and the rule set; `info` has no SARIF level and maps to
// `note`; columns are 1-based; a skipped file is a tool notification, not a result.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type * as Sarif from 'sarif';
import { loadAndAnalyze, type LoadedWorkspace } from '../../../server/src/engine/batch';
import { formatSarif, helpUri, sarifLog } from '../../../server/src/cli/sarif';
import { fingerprint } from '../../../server/src/analysis/baseline';
import type { Finding } from '../../../server/src/analysis/findings';

const denyAll = (name: string, extra = ''): string => `# citrix-role: vda
resource "azurerm_network_security_group" "${name}" {
  name                = "nsg-${name}"
  location            = "westeurope"
  resource_group_name = "rg"

${extra}  security_rule {
    name                       = "Deny-All-In"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
`;
const SUPPRESS = '  # citrix-flow-lint-disable-next-line missing-flow -- HDX goes through the cloud connector here (CHG-42)\n';

let dir = '';
let loaded: LoadedWorkspace;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-sarif-'));
  fs.writeFileSync(path.join(dir, 'citrix-flows.yaml'), 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n  gateway-snip: [10.0.0.20]\n');
  fs.writeFileSync(path.join(dir, 'pool.tf'), denyAll('pool'));
  // A space in the folder name: SARIF artifact URIs are URI references, so it is written %20.
  fs.mkdirSync(path.join(dir, 'quiet pool'));
  fs.writeFileSync(path.join(dir, 'quiet pool', 'pool.tf'), denyAll('quiet', SUPPRESS));
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'nothing a firewall would read\n');
  const r = await loadAndAnalyze(['.', 'notes.txt'], { cwd: dir });
  if ('error' in r) throw new Error(r.error);
  loaded = r;
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const run = (log: Sarif.Log): Sarif.Run => log.runs[0];
const file = (x: Sarif.Result): string | undefined => x.locations?.[0].physicalLocation?.artifactLocation?.uri;

test('sarif log: each result names its rule by id and by index into the rules', () => {
  const r = run(sarifLog(loaded));
  const ids = (r.tool.driver.rules ?? []).map((x) => x.id);
  assert.ok(ids.includes('missing-flow') && ids.includes('internal-error'), ids.join(', '));
  assert.ok((r.results ?? []).length > 0);
  for (const x of r.results ?? []) {
    assert.equal(typeof x.ruleIndex, 'number', `${x.ruleId} has a ruleIndex`);
    assert.equal(ids[x.ruleIndex as number], x.ruleId);
  }
});

test('sarif log: a rule is named from its title in PascalCase and carries its defaults', () => {
  const rules = new Map((run(sarifLog(loaded)).tool.driver.rules ?? []).map((x) => [x.id, x]));
  const cases: [id: string, name: string, level: string][] = [
    ['missing-flow', 'RequiredCitrixFlowBlocked', 'error'],
    ['partial-flow', 'RequiredCitrixFlowOnlyPartlyAllowed', 'warning'],
    // info has no SARIF level of its own: "note" is the SARIF word for it.
    ['unresolved-value', 'VerdictUnknownAValueCouldNotBeResolved', 'note'],
  ];
  for (const [id, name, level] of cases) {
    const rule = rules.get(id);
    assert.ok(rule, id);
    assert.equal(rule.name, name, id);
    assert.equal(rule.defaultConfiguration?.level, level, id);
    assert.ok(rule.shortDescription?.text && rule.fullDescription?.text && rule.shortDescription.text !== rule.fullDescription.text, `${id}: title and summary`);
    assert.equal(rule.helpUri, undefined, `${id}: no helpUri without a docs URL`);
    assert.ok(rule.help?.markdown && rule.help.text, `${id}: help from its docs page`);
  }
});

test('sarif log: helpUri from a docs base URL or an {id} template', () => {
  const cases: [docsUrl: string | undefined, id: string, expected: string | undefined][] = [
    [undefined, 'missing-flow', undefined],
    ['', 'missing-flow', undefined],
    ['https://example.com/docs/checks/', 'missing-flow', 'https://example.com/docs/checks/missing-flow.md'],
    ['https://example.com/docs/checks', 'missing-flow', 'https://example.com/docs/checks/missing-flow.md'],
    ['https://example.com/c/{id}.html', 'shadowed-rule', 'https://example.com/c/shadowed-rule.html'],
    ['https://example.com/{id}/{id}', 'a b', 'https://example.com/a%20b/a%20b'],
  ];
  for (const [docsUrl, id, expected] of cases) assert.equal(helpUri(docsUrl, id), expected, `${docsUrl} ${id}`);
  const rules = run(sarifLog(loaded, { docsUrl: 'https://example.com/checks/' })).tool.driver.rules ?? [];
  for (const rule of rules) assert.equal(rule.helpUri, `https://example.com/checks/${rule.id}.md`);
});

test('sarif log: partial fingerprints are check, flow, path and rule set, so distinct findings never merge', () => {
  const results = run(sarifLog(loaded)).results ?? [];
  const blocked = results.filter((x) => x.ruleId === 'missing-flow' && file(x) === 'pool.tf');
  const flows = blocked.map((x) => (x.properties as { flowId?: string } | undefined)?.flowId);
  // A VDA behind a deny-all NSG: the Gateway's ICA and session reliability and the Controller's calls are all blocked.
  for (const flow of ['gateway.gateway-snip-to-vda.ica', 'gateway.gateway-snip-to-vda.ica-session-reliability']) assert.ok(flows.includes(flow), `${flow} in ${flows.join(', ')}`);
  for (const x of blocked) {
    const flowId = (x.properties as { flowId: string }).flowId;
    assert.deepEqual(x.partialFingerprints, { 'citrixFlowLint/v1': `missing-flow:${flowId}:pool.tf:azurerm_network_security_group.pool` });
  }
  const all = results.map((x) => JSON.stringify(x.partialFingerprints));
  assert.equal(new Set(all).size, all.length, 'no two results share a fingerprint');
  const cases: [Pick<Finding, 'checkId' | 'flowId' | 'data'>, string, string][] = [
    [{ checkId: 'missing-flow', flowId: 'f.a', data: { ruleSetId: 'rs' } }, 'x.tf', 'missing-flow:f.a:x.tf:rs'],
    [{ checkId: 'unparsed-rule' }, 'dir/x.nft', 'unparsed-rule::dir/x.nft:'],
    [{ checkId: 'shadowed-rule', data: { ruleSetId: 7 } }, 'x.tf', 'shadowed-rule::x.tf:'],
  ];
  for (const [f, p, expected] of cases) assert.equal(fingerprint(f, p), expected);
});

test('sarif log: levels follow the finding severity, locations are 1-based and relative to %SRCROOT%', () => {
  const r = run(sarifLog(loaded));
  const text = fs.readFileSync(path.join(dir, 'pool.tf'), 'utf8').split('\n');
  const line = text.findIndex((l) => l.includes('"Deny-All-In"'));
  // The finding sits on the rule's name, inside its quotes; SARIF's endColumn is the column after the region.
  const column = text[line].indexOf('Deny-All-In');
  const blocked = (r.results ?? []).filter((x) => x.ruleId === 'missing-flow' && file(x) === 'pool.tf');
  assert.ok(blocked.length > 0);
  for (const x of blocked) {
    assert.equal(x.level, 'error');
    const loc = x.locations?.[0].physicalLocation;
    assert.equal(loc?.artifactLocation?.uriBaseId, '%SRCROOT%');
    assert.deepEqual(loc?.region, { startLine: line + 1, startColumn: column + 1, endLine: line + 1, endColumn: column + 1 + 'Deny-All-In'.length });
    assert.ok(x.message.text && x.message.text.includes('Deny-All-In'), x.message.text);
  }
  const notes = (r.results ?? []).filter((x) => x.ruleId === 'unresolved-value');
  for (const x of notes) assert.equal(x.level, 'note');
  assert.deepEqual(r.originalUriBaseIds, { '%SRCROOT%': { uri: `file://${encodeURI(dir.split(path.sep).join('/'))}/` } });
});

test('sarif log: a suppressed finding is a result with an in-source suppression and its justification; nothing else is suppressed', () => {
  const results = run(sarifLog(loaded)).results ?? [];
  const suppressed = results.filter((x) => x.suppressions?.length);
  assert.ok(suppressed.length > 0, 'the suppressed findings are still results');
  for (const x of suppressed) {
    assert.equal(x.ruleId, 'missing-flow');
    assert.equal(file(x), 'quiet%20pool/pool.tf');
    assert.deepEqual(x.suppressions, [{ kind: 'inSource', justification: 'HDX goes through the cloud connector here (CHG-42)' }]);
  }
  assert.equal(loaded.analysis.suppressed.length, suppressed.length);
  // The comment names missing-flow only: the other checks' findings on that rule stay unsuppressed.
  assert.ok(results.some((x) => !x.suppressions && file(x) === 'quiet%20pool/pool.tf'), 'unsuppressed findings of other checks in that file');
  assert.ok(results.every((x) => x.suppressions === undefined || x.suppressions.length === 1));
});

test('sarif log: with a baseline, held findings are unchanged and the others new; without one, no baselineState', () => {
  const [held] = loaded.analysis.findings;
  const withBaseline = run(sarifLog(loaded, { baselined: new Set([held]) })).results ?? [];
  const states = withBaseline.map((x) => x.baselineState);
  assert.equal(states[0], 'unchanged');
  assert.ok(states.slice(1, loaded.analysis.findings.length).every((s) => s === 'new'), states.join(', '));
  assert.ok((run(sarifLog(loaded)).results ?? []).every((x) => x.baselineState === undefined));
});

test('sarif log: a file that was not read is a tool notification, and the run still succeeded', () => {
  const r = run(sarifLog(loaded));
  assert.deepEqual(r.tool.driver.notifications?.map((n) => n.id), ['skipped-file']);
  const [inv] = r.invocations ?? [];
  assert.equal(inv.executionSuccessful, true);
  const notes = inv.toolExecutionNotifications ?? [];
  assert.deepEqual(notes.map((n) => [n.level, n.descriptor?.id, n.locations?.[0].physicalLocation?.artifactLocation?.uri]), [['warning', 'skipped-file', 'notes.txt']]);
  assert.match(notes[0].message.text ?? '', /^Skipped notes\.txt: /);
  assert.ok((r.results ?? []).every((x) => file(x) !== 'notes.txt'));
});

test('sarif log: an internal error marks the run as not successful', () => {
  const broken: LoadedWorkspace = {
    ...loaded,
    analysis: { ...loaded.analysis, findings: [...loaded.analysis.findings, { ...loaded.analysis.findings[0], checkId: 'internal-error', flowId: undefined, message: 'boom' }] },
  };
  assert.equal(run(sarifLog(broken)).invocations?.[0].executionSuccessful, false);
});

test('sarif log: the serialised log is the log, with the 2.1.0 schema and version', () => {
  const text = formatSarif(loaded);
  assert.ok(text.endsWith('}\n'));
  const log = JSON.parse(text) as Sarif.Log;
  assert.equal(log.version, '2.1.0');
  assert.equal(log.$schema, 'https://json.schemastore.org/sarif-2.1.0.json');
  assert.equal(log.runs.length, 1);
  assert.equal(log.runs[0].tool.driver.name, 'citrix-flow-lint');
  assert.ok(log.runs[0].tool.driver.version && log.runs[0].tool.driver.semanticVersion === log.runs[0].tool.driver.version);
  assert.deepEqual(log, JSON.parse(JSON.stringify(sarifLog(loaded))));
});
