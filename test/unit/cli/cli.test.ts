import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { allCheckIds } from '../../../server/src/analysis/checks';
import { fixturePath, repoRoot } from '../../helpers/fixtures';

/**
 * The CLI as shipped: `node dist/cli.js`, spawned with pipes (so it is not on
 * a TTY). dist/ is rebuilt when a server source is newer than it.
 */
const CLI = path.join(repoRoot(), 'dist', 'cli.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

before(() => {
  const stale = !fs.existsSync(CLI) || fs.statSync(CLI).mtimeMs < newestSource(path.join(repoRoot(), 'server', 'src'));
  if (stale) {
    const r = spawnSync(process.execPath, [path.join(repoRoot(), 'scripts', 'build.mjs')], { cwd: repoRoot(), encoding: 'utf8' });
    assert.equal(r.status, 0, `build failed: ${r.stderr}`);
  }
});

function cli(args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A workspace folder made of fixture files: `{ 'vda.tf': 'checks/missing-flow/bad.tf' }`. */
function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-cli-'));
  for (const [name, from] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), from.includes('\n') ? from : fs.readFileSync(fixturePath(...from.split('/')), 'utf8'));
  }
  return dir;
}

const BAD = workspace({ 'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml', 'vda.tf': 'checks/missing-flow/bad.tf' });
const GOOD = workspace({ 'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml', 'vda.tf': 'checks/missing-flow/good.tf' });
/** Only an information finding (a may-change port), so the threshold decides the exit status. */
const INFO_ONLY = workspace({
  'citrix-flows.yaml': 'roles:\n  vda: [10.0.2.0/24]\n  gateway-snip: [10.0.0.20]\nfeatures:\n  html5-client: false\n  edt: false\n',
  'rules.v4': '# citrix-role: vda\n*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.20 -p tcp -m multiport --dports 1494,2598 -j ACCEPT\n-A INPUT -s 10.0.0.20 -p tcp --dport 8008 -j ACCEPT\nCOMMIT\n',
});
/** No citrix-flows.yaml and no annotation: roles come only from --role. */
const UNBOUND = workspace({ 'vda.rules': '*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 8008 -j ACCEPT\nCOMMIT\n' });

test('check: exit status 0 when nothing is found, 1 on findings', () => {
  const good = cli(['check'], GOOD);
  assert.equal(good.status, 0, good.stdout + good.stderr);
  assert.match(good.stdout, /No problems in 1 file with 1 rule set/);
  const bad = cli(['check'], BAD);
  assert.equal(bad.status, 1, bad.stdout + bad.stderr);
});

test('check: --severity-threshold decides which findings fail the run', () => {
  const table: [string | undefined, number][] = [
    [undefined, 0],
    ['warning', 0],
    ['info', 1],
    ['error', 0],
  ];
  for (const [threshold, status] of table) {
    const r = cli(['check', ...(threshold ? ['--severity-threshold', threshold] : [])], INFO_ONLY);
    assert.equal(r.status, status, `threshold ${threshold}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /unneeded-citrix-port/);
  }
  assert.equal(cli(['check', '--severity-threshold', 'error'], BAD).status, 1);
});

test('check: usage errors exit 2 with a message on stderr', () => {
  const table: [string[], RegExp][] = [
    [['check', '--bogus'], /unknown option --bogus/],
    [['check', '--format', 'xml'], /--format must be text, json or sarif/],
    [['check', '--severity-threshold', 'loud'], /--severity-threshold must be/],
    [['check', '--roles'], /--roles needs a value/],
    [['check', '--roles', 'missing.yaml'], /cannot read missing\.yaml/],
    [['check', '--role', 'vdaa'], /Unknown role "vdaa".*did you mean "vda"/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  for (const [args, message] of table) {
    const r = cli(args, GOOD);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message, args.join(' '));
    assert.equal(r.stdout, '', `${args.join(' ')} writes nothing to stdout`);
  }
});

test('check: --role binds every rule set of the given files', () => {
  const without = cli(['check', '--format', 'json'], UNBOUND);
  assert.equal((JSON.parse(without.stdout) as { findings: { checkId: string }[] }).findings.filter((f) => f.checkId === 'unneeded-citrix-port').length, 0);
  const withRole = cli(['check', '--role', 'vda', '--format', 'json'], UNBOUND);
  const ids = (JSON.parse(withRole.stdout) as { findings: { checkId: string }[] }).findings.map((f) => f.checkId);
  assert.ok(ids.includes('unneeded-citrix-port'), ids.join(', '));
  const several = cli(['check', '--role', 'vda,storefront', '--format', 'json'], UNBOUND);
  assert.equal(several.status, 1, several.stderr);
});

test('check: --roles reads citrix-flows.yaml from elsewhere', () => {
  const elsewhere = workspace({ 'site/roles.yaml': 'checks/missing-flow/citrix-flows.yaml', 'vda.tf': 'checks/missing-flow/bad.tf' });
  const withRoles = cli(['check', '--roles', 'site/roles.yaml', '--format', 'json'], elsewhere);
  const findings = (JSON.parse(withRoles.stdout) as { findings: { checkId: string; message: string }[] }).findings;
  assert.ok(findings.some((f) => f.checkId === 'missing-flow' && f.message.includes('TCP 2598')), withRoles.stdout);
});

test('check: text output is grouped by file, with the source line and a caret, without colours off a TTY', () => {
  const r = cli(['check'], BAD);
  assert.doesNotMatch(r.stdout, /\x1b\[/, 'no ANSI escapes when stdout is not a TTY');
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], 'vda.tf');
  // The caret sits under the deciding token (the rule's name), not under a whole rule block.
  const at = lines.findIndex((l) => /^ {2}20:35 +error +TCP 2598 blocked by DenyAllInbound \(priority 4000\): .* {2}missing-flow$/.test(l));
  assert.ok(at > 0, r.stdout);
  assert.equal(lines[at + 1], '      20 |     name                       = "DenyAllInbound"');
  assert.equal(lines[at + 2], `         |                                   ${'^'.repeat(14)}`);
  assert.match(r.stdout, /1 problem \(1 error, 0 warnings, 0 info\) in 1 file with 1 rule set; \d+ required flows? checked\.\n$/);
  const colour = cli(['check', '--color'], BAD);
  assert.match(colour.stdout, /\x1b\[31m/, '--color forces colours');
});

test('check: JSON has exactly the documented shape', () => {
  const r = cli(['check', '--format', 'json'], BAD);
  assert.equal(r.status, 1);
  const out = JSON.parse(r.stdout) as { findings: Record<string, unknown>[]; files: Record<string, unknown>[] };
  assert.deepEqual(Object.keys(out).sort(), ['files', 'findings']);
  const allowed = ['checkId', 'severity', 'file', 'line', 'column', 'endLine', 'endColumn', 'message', 'flowId', 'decidingRule'];
  for (const f of out.findings) {
    for (const key of Object.keys(f)) assert.ok(allowed.includes(key), `unexpected key ${key}`);
    for (const key of allowed.slice(0, 8)) assert.ok(key in f, `missing ${key}`);
    assert.ok(allCheckIds().includes(f.checkId as string));
    for (const key of ['line', 'column', 'endLine', 'endColumn']) assert.ok(Number.isInteger(f[key]) && (f[key] as number) >= 1, `${key} is 1-based`);
    if (f.decidingRule) assert.deepEqual(Object.keys(f.decidingRule as object).sort(), ['file', 'line']);
  }
  const missing = out.findings.find((f) => f.checkId === 'missing-flow');
  assert.deepEqual(missing, {
    checkId: 'missing-flow',
    severity: 'error',
    file: 'vda.tf',
    line: 20,
    column: 35,
    endLine: 20,
    endColumn: 49,
    message: JSON.parse(fs.readFileSync(fixturePath('checks', 'missing-flow', 'bad.tf.expected.json'), 'utf8'))[0].message,
    flowId: 'gateway.gateway-snip-to-vda.ica-session-reliability',
    decidingRule: { file: 'vda.tf', line: 19 },
  });
  assert.deepEqual(out.files, [{ file: 'vda.tf', format: 'terraform', ruleSets: 1, parseProblems: 0 }]);
});

/**
 * The official SARIF 2.1.0 schema (2.1.0-rtm.5, the OASIS standard's), as
 * shipped in @microsoft/jest-sarif 1.0.0-beta.0 (lib/schemas/, MIT), copied
 * here unmodified (sha256 2d99159a…4de4f8) so the test runs offline without
 * that package's dependencies. It is draft-04; Ajv 8 reads it once `id` is `$id`.
 */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'test', 'unit', 'cli', 'sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
  const { $schema: _draft, id, ...rest } = schema;
  // The schema's patterns are written for JavaScript without the u flag (a lone `]` in the language pattern).
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile({ $id: id as string, ...rest });
}

test('check: SARIF 2.1.0 validates against the official schema and carries rule metadata', () => {
  const validate = sarifValidator();
  for (const dir of [BAD, GOOD, INFO_ONLY]) {
    const r = cli(['check', '--format', 'sarif'], dir);
    const sarif = JSON.parse(r.stdout) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string; shortDescription: { text: string }; helpUri: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[];
    };
    assert.ok(validate(sarif), JSON.stringify(validate.errors, null, 1));
    assert.equal(sarif.version, '2.1.0');
    const { rules } = sarif.runs[0].tool.driver;
    assert.deepEqual(rules.map((x) => x.id).sort(), [...allCheckIds()].sort());
    for (const rule of rules) {
      assert.ok(rule.shortDescription.text.length > 0);
      assert.ok(rule.helpUri.endsWith(`/docs/checks/${rule.id}.md`), rule.helpUri);
      assert.ok(fs.existsSync(new URL(rule.helpUri)), `${rule.helpUri} exists`);
    }
    for (const result of sarif.runs[0].results) assert.equal(rules[result.ruleIndex].id, result.ruleId);
  }
  const bad = JSON.parse(cli(['check', '--format', 'sarif'], BAD).stdout) as { runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[] }[] }[] };
  const missing = bad.runs[0].results.find((x) => x.ruleId === 'missing-flow');
  assert.equal(missing?.level, 'error');
  assert.equal(missing?.locations[0].physicalLocation.artifactLocation.uri, 'vda.tf');
  assert.equal(missing?.locations[0].physicalLocation.region.startLine, 20);
});

const VDA_TF = workspace({ 'citrix-flows.yaml': 'checks/missing-flow/citrix-flows.yaml', 'vda.tf': 'checks/missing-flow/bad.tf' });

test('test-flow: verdict, deciding rule per stage and exit status', () => {
  const table: [string, string, number, RegExp][] = [
    ['1494', 'allowed', 0, /^ALLOWED: tcp 10\.0\.0\.20 → 10\.0\.2\.5 port 1494 \(in\)\n {2}azurerm_network_security_group\.vda: allowed — line 7: AllowIcaFromGateway: security_rule \{\n$/],
    ['2598', 'denied', 1, /^DENIED: .*\n {2}azurerm_network_security_group\.vda: denied — line 19: DenyAllInbound: security_rule \{\n {6}denied by DenyAllInbound\n$/],
  ];
  for (const [port, verdict, status, text] of table) {
    const args = ['test-flow', 'vda.tf', '--from', '10.0.0.20', '--to', '10.0.2.5', '--proto', 'tcp', '--port', port];
    const plain = cli(args, VDA_TF);
    assert.equal(plain.status, status, plain.stderr);
    assert.match(plain.stdout, text);
    const json = cli([...args, '--json'], VDA_TF);
    assert.equal(json.status, status);
    const out = JSON.parse(json.stdout) as { verdict: string; stages: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(out).sort(), ['stages', 'verdict']);
    assert.equal(out.verdict, verdict);
    assert.equal(out.stages.length, 1);
    for (const key of Object.keys(out.stages[0])) assert.ok(['ruleSet', 'verdict', 'decidingRule', 'reasons'].includes(key), `unexpected key ${key}`);
    assert.equal(out.stages[0].ruleSet, 'azurerm_network_security_group.vda');
    assert.equal(out.stages[0].verdict, verdict);
    const deciding = out.stages[0].decidingRule as { line: number; text: string };
    assert.deepEqual(Object.keys(deciding).sort(), ['line', 'text']);
    assert.equal(deciding.line, port === '1494' ? 7 : 19);
    assert.equal(deciding.text, `${port === '1494' ? 'AllowIcaFromGateway' : 'DenyAllInbound'}: security_rule {`);
  }
});

test('test-flow: usage errors exit 2', () => {
  const table: [string[], RegExp][] = [
    [['test-flow'], /FILE is required/],
    [['test-flow', 'vda.tf', '--from', '10.0.0.300', '--to', '10.0.2.5', '--port', '1494'], /--from/],
    [['test-flow', 'vda.tf', '--from', '10.0.0.20', '--to', '10.0.2.5'], /--port is required/],
    [['test-flow', 'vda.tf', '--from', '10.0.0.20', '--to', '10.0.2.5', '--port', '1494', '--direction', 'sideways'], /--direction must be in, out or forward/],
    [['test-flow', 'nothing.tf', '--from', '10.0.0.20', '--to', '10.0.2.5', '--port', '1494'], /cannot read nothing\.tf/],
  ];
  for (const [args, message] of table) {
    const r = cli(args, VDA_TF);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, message);
  }
});
