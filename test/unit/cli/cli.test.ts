import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { allCheckIds } from '../../../server/src/analysis/checks';
import { fixturePath, repoRoot } from '../../helpers/fixtures';
import { cli, ensureBuilt, workspace } from '../../helpers/cli';
import { sarifValidator } from '../../helpers/sarif';
import { parseSize } from '../../../server/src/cli/check';

before(ensureBuilt);

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
    [['check', '--format', 'xml'], /--format must be text, json, sarif or compact/],
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
  const without = cli(['check', '--no-infer', '--format', 'json'], UNBOUND);
  assert.equal((JSON.parse(without.stdout) as { findings: { checkId: string }[] }).findings.filter((f) => f.checkId === 'unneeded-citrix-port').length, 0);
  const withRole = cli(['check', '--role', 'vda', '--format', 'json'], UNBOUND);
  const ids = (JSON.parse(withRole.stdout) as { findings: { checkId: string }[] }).findings.map((f) => f.checkId);
  assert.ok(ids.includes('unneeded-citrix-port'), ids.join(', '));
  const several = cli(['check', '--role', 'vda,storefront', '--format', 'json'], UNBOUND);
  assert.equal(several.status, 1, several.stderr);
});

/** Issue 17: no citrix-flows.yaml, no annotation; the names say VDA. Excerpt shape of an azurerm NSG as public CVAD modules write it. */
const ZERO_CONFIG = workspace({
  'citrix/vda-network.tf':
    'resource "azurerm_network_security_group" "vda" {\n  name                = "vda-inbound-rules"\n  location            = "westeurope"\n  resource_group_name = "rg-citrix"\n\n' +
    '  security_rule {\n    name                       = "Deny-All-Inbound"\n    priority                   = 4000\n    direction                  = "Inbound"\n    access                     = "Deny"\n' +
    '    protocol                   = "*"\n    source_port_range          = "*"\n    destination_port_range     = "*"\n    source_address_prefix      = "*"\n    destination_address_prefix = "*"\n  }\n}\n',
});

test('check: with nothing declared, roles and peers are inferred, listed under "Assumed" and named in each finding', () => {
  const text = cli(['check'], ZERO_CONFIG);
  assert.equal(text.status, 1, text.stderr);
  assert.match(text.stdout, /\nAssumed .*\n {2}citrix\/vda-network\.tf {2}azurerm_network_security_group\.vda: Virtual Delivery Agent \(VDA\) from the name "vda-inbound-rules"/);
  assert.match(text.stdout, /Delivery Controller or Citrix Cloud Connector: not declared, needed by Virtual Delivery Agent \(VDA\)/);
  assert.doesNotMatch(text.stdout, / 0 required flows checked/);
  const json = JSON.parse(cli(['check', '--format', 'json'], ZERO_CONFIG).stdout) as {
    findings: { checkId: string; message: string; assumptions?: { kind: string; role: string; text: string }[] }[];
    assumed: { ruleSets: { ruleSet: string; roles: string[] }[]; peers: { role: string }[] };
  };
  const registration = json.findings.find((f) => f.checkId === 'missing-flow' && f.message.includes('Delivery Controller → VDA discovery'));
  assert.ok(registration, json.findings.map((f) => f.message).join('\n'));
  assert.deepEqual(registration.assumptions?.map((a) => `${a.kind}:${a.role}`), ['role:vda', 'peer:delivery-controller']);
  assert.match(registration.message, /\. Assumed: Virtual Delivery Agent \(VDA\), from the name "vda-inbound-rules"[^;]*; Delivery Controller or Citrix Cloud Connector not declared, so checked against any address\.$/);
  assert.deepEqual(json.assumed.ruleSets.map((r) => [r.ruleSet, r.roles]), [['azurerm_network_security_group.vda', ['vda']]]);
  const sarif = JSON.parse(cli(['check', '--format', 'sarif'], ZERO_CONFIG).stdout) as { runs: { results: { properties?: { assumptions?: string[] } }[] }[] };
  assert.ok(sarif.runs[0].results.some((r) => r.properties?.assumptions?.length === 2));
  const off = cli(['check', '--no-infer'], ZERO_CONFIG);
  assert.doesNotMatch(off.stdout, /Assumed/);
  assert.match(off.stdout, / 0 required flows checked/);
});

test('init: writes a commented citrix-flows.yaml; check with it gives the same verdicts, declared', () => {
  const dir = workspace({ 'citrix/vda-network.tf': fs.readFileSync(path.join(ZERO_CONFIG, 'citrix', 'vda-network.tf'), 'utf8') });
  const verdicts = (out: string): string[] =>
    (JSON.parse(out) as { findings: { checkId: string; line: number; message: string }[] }).findings.map((f) => `${f.checkId}:${f.line}:${f.message.replace(/ Assumed: .*$/, '')}`).sort();
  const before = cli(['check', '--format', 'json'], dir);
  const init = cli(['init'], dir);
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /^Wrote citrix-flows\.yaml: 2 roles, 1 binding\./);
  const yaml = fs.readFileSync(path.join(dir, 'citrix-flows.yaml'), 'utf8');
  assert.match(yaml, /\n {2}# Virtual Delivery Agent \(VDA\): citrix\/vda-network\.tf: the name "vda-inbound-rules"[^\n]*\n {2}vda: \[\]\n/);
  assert.match(yaml, /\n {2}# Delivery Controller: not in these files, but Virtual Delivery Agent \(VDA\) always talks to one \(or Citrix Cloud Connector[^\n]*\n {2}delivery-controller: \[\]\n/);
  assert.match(yaml, /\n {2}- \{ files: "citrix\/vda-network\.tf", ruleSet: "azurerm_network_security_group\.vda", roles: \[vda\] \}\n/);
  const after = cli(['check', '--format', 'json'], dir);
  assert.deepEqual(verdicts(after.stdout), verdicts(before.stdout));
  assert.ok(verdicts(before.stdout).some((v) => v.startsWith('missing-flow:')), 'the comparison compares something');
  assert.doesNotMatch(after.stdout, /Assumed:/, 'declared: no finding rests on an assumption');
  assert.doesNotMatch(cli(['check'], dir).stdout, /\nAssumed /);
  const again = cli(['init'], dir);
  assert.equal(again.status, 2, 'an existing file is not overwritten without --force');
  assert.match(again.stderr, /citrix-flows\.yaml exists; pass --force/);
});

test('check: when nothing can be declared or inferred, one hint says how to declare roles', () => {
  const plain = workspace({ 'host.rules': '*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n' });
  const r = cli(['check'], plain);
  assert.equal(r.stdout.match(/No Citrix roles declared or inferred/g)?.length, 1, r.stdout);
  assert.match(r.stdout, /citrix-flow-lint init/);
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
  const allowed = ['checkId', 'severity', 'file', 'line', 'column', 'endLine', 'endColumn', 'message', 'flowId', 'decidingRule', 'assumptions'];
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

// SARIF output is tested in sarif.test.ts.

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

test('test-flow on an ASA: the ACLs of the interfaces the flow crosses, forward by default', () => {
  const edge = workspace({ 'edge.asa': 'asa-paths/citrix-edge.asa' });
  const denied = cli(['test-flow', 'edge.asa', '--from', '10.60.10.5', '--to', '198.51.100.7', '--port', '443'], edge);
  assert.equal(denied.status, 1, denied.stderr);
  assert.match(denied.stdout, /^DENIED: tcp 10\.60\.10\.5 → 198\.51\.100\.7 port 443 \(forward\)\n {2}through citrix-edge: denied — arrives on servers \(connected 10\.60\.0\.0\/16\), leaves by outside \(route outside 0\.0\.0\.0 0\.0\.0\.0 203\.0\.113\.1\)\n {4}global_in: denied/);
  assert.match(denied.stdout, /old_vpn_filter: bound by no access-group, so it filters nothing/);
  const allowed = cli(['test-flow', 'edge.asa', '--from', '10.50.0.11', '--to', '10.60.10.5', '--port', '1494', '--json'], edge);
  assert.equal(allowed.status, 0, allowed.stderr);
  const out = JSON.parse(allowed.stdout) as { verdict: string; paths: { ingress: string; egress: string; stages: { ruleSet: string; decidingRule: { line: number } }[] }[] };
  assert.equal(out.verdict, 'allowed');
  assert.deepEqual(out.paths.map((p) => [p.ingress, p.egress, p.stages.map((s) => `${s.ruleSet}:${s.decidingRule.line}`)]), [['dmz', 'servers', ['dmz_in:26']]]);
});

test('check --role ROLE=RULESET binds only the rule set it names, says what it bound, and stops on a name that matches nothing', () => {
  // A StoreFront load balancer's group beside the VDA group: --role vda alone judged both as VDAs (issue 15 item 6).
  const site = workspace({
    'main.tf':
      'resource "aws_security_group" "vda" {\n  ingress {\n    from_port   = 1494\n    to_port     = 1494\n    protocol    = "tcp"\n    cidr_blocks = ["10.0.0.20/32"]\n  }\n}\n' +
      'resource "aws_security_group" "storefront_lb" {\n  ingress {\n    from_port   = 443\n    to_port     = 443\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n',
  });
  // Lines of the groups judged as a VDA: the VDA group starts on line 1, the load balancer's on line 9.
  const vdaGroupLines = (args: string[]): number[] => {
    const run = cli(['check', ...args, '--format', 'json', '--exit-zero'], site);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { findings: { line: number; flowId?: string }[] };
    return [...new Set(out.findings.filter((f) => f.flowId?.includes('-to-vda.')).map((f) => f.line))].sort((a, b) => a - b);
  };
  assert.deepEqual(vdaGroupLines(['--role', 'vda']), [1, 9]);
  assert.deepEqual(vdaGroupLines(['--role', 'vda=aws_security_group.vda']), [1]);
  const said = cli(['check', '--role', 'vda=vda', '--exit-zero'], site);
  assert.match(said.stderr, /--role vda=vda bound aws_security_group\.vda \(main\.tf\)\n/);
  const typo = cli(['check', '--role', 'vda=vdaa'], site);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /--role vda=vdaa names no rule set in the files checked; rule sets there: "aws_security_group\.vda", "aws_security_group\.storefront_lb"/);
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

// ---- never silent: what was not read is said, and a CI run fails when its named paths give nothing ----

/** Minimal AWS CloudFormation template and Terraform JSON syntax (both read), and an Ansible template (not read: it is not rendered). */
const CLOUDFORMATION = '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": { "Sg": { "Type": "AWS::EC2::SecurityGroup", "Properties": {} } }\n}\n';
const TF_JSON = '{\n  "resource": { "aws_security_group": { "sg": { "name": "x" } } }\n}\n';
const SILENT = workspace({
  'vda.tf': 'checks/missing-flow/good.tf',
  'cfn/sg.json': CLOUDFORMATION,
  'tfjson/main.tf.json': TF_JSON,
  'templates/nftables.conf.j2': 'table inet filter {\n  chain input {\n    type filter hook input priority 0; policy {{ nft_policy }};\n  }\n}\n',
  'notes.txt': 'nothing to see\n',
  'empty/.keep': '\n',
  'nacl.tf': 'resource "aws_network_acl" "main" {\n  ingress {\n    protocol   = "tcp"\n    rule_no    = 100\n    action     = "deny"\n    cidr_block = "0.0.0.0/0"\n    from_port  = 1494\n    to_port    = 1494\n  }\n}\n',
  'netfw.tf': 'resource "aws_networkfirewall_rule_group" "main" {\n  capacity = 100\n  name     = "citrix"\n  type     = "STATEFUL"\n}\n',
  // vcapra1/dots scripts/firewall/arm.sh and ipv4 at 9f9f85ec / 2f2ce202 (no licence stated), excerpts:
  // the script loads the rules file that sits beside it.
  'beside/arm.sh': '#!/bin/sh\n\niptables -F\niptables -X\n\niptables-restore < ipv4\n',
  'beside/ipv4': '*filter\n-P INPUT DROP\n-A INPUT -p tcp -s localhost -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n',
  'lonely/apply.sh': '#!/bin/sh\nsudo iptables-restore < /etc/iptables/rules.v4\n',
  // 40 rules of 44 bytes: about 1.9 KB, over a 1 KB limit and under a 4 KB one.
  'sized/rules.v4': `*filter\n:INPUT DROP [0:0]\n${Array.from({ length: 40 }, (_, i) => `-A INPUT -s 10.9.${i}.0/24 -p tcp --dport 443 -j ACCEPT\n`).join('')}COMMIT\n`,
});

test('check: --max-file-size reads files up to the size asked for, and refuses a size it cannot take', () => {
  const skipped = cli(['check', 'sized/rules.v4', '--max-file-size', '1KB'], SILENT);
  assert.equal(skipped.status, 2, skipped.stdout + skipped.stderr);
  assert.match(skipped.stderr, /skipped sized\/rules\.v4: larger than 1 KB/);
  const read = cli(['check', 'sized/rules.v4', '--max-file-size', '4KB', '--exit-zero'], SILENT);
  assert.equal(read.status, 0, read.stdout + read.stderr);
  assert.match(read.stdout, /in 1 file with 1 rule set/);
  assert.equal(cli(['check', 'sized/rules.v4', '--max-file-size', '4096', '--exit-zero'], SILENT).status, 0);
  for (const bad of ['2GB', '513MB', '100', 'lots', '0.5KB']) {
    const r = cli(['check', 'sized/rules.v4', '--max-file-size', bad], SILENT);
    assert.equal(r.status, 2, bad);
    assert.match(r.stderr, new RegExp(`--max-file-size must be a size from 1KB to 512MB[^\n]*not "${bad}"`), bad);
  }
});

test('parseSize: sizes as people write them, in bytes', () => {
  const table: [string, number | undefined][] = [
    ['64MB', 64 * 1024 * 1024],
    ['64mb', 64 * 1024 * 1024],
    ['64M', 64 * 1024 * 1024],
    ['1.5MB', 1.5 * 1024 * 1024],
    ['500KB', 500 * 1024],
    ['500k', 500 * 1024],
    ['1024', 1024],
    ['2048b', 2048],
    ['512MB', 512 * 1024 * 1024],
    ['1023', undefined],
    ['513MB', undefined],
    ['1GB', undefined],
    ['', undefined],
    ['MB', undefined],
  ];
  for (const [text, bytes] of table) assert.equal(parseSize(text), bytes, text);
});

test('check: explicit paths that give nothing fail the run with exit 2, unless asked otherwise', () => {
  const table: { args: string[]; status: number; stderr?: RegExp; stdout?: RegExp }[] = [
    { args: ['check', 'missing.tf'], status: 2, stderr: /missing\.tf: no such file or folder/ },
    { args: ['check', 'vda.tf', 'gone/'], status: 2, stderr: /gone\/: no such file or folder/ },
    { args: ['check', 'templates/nftables.conf.j2'], status: 2, stderr: /skipped templates\/nftables\.conf\.j2: a template \(\.j2\): its rules exist only once it is rendered[^]*--skip-unsupported/ },
    { args: ['check', 'tfjson/main.tf.json', '--exit-zero'], status: 0, stdout: /in 1 file with 1 rule set/ },
    { args: ['check', 'notes.txt'], status: 2, stderr: /skipped notes\.txt: not a supported format \(Terraform\/OpenTofu \(HCL or JSON\), Bicep/ },
    { args: ['check', 'templates/nftables.conf.j2', 'vda.tf'], status: 2, stderr: /in no supported format/ },
    { args: ['check', 'templates/nftables.conf.j2', 'vda.tf', '--skip-unsupported', '--exit-zero'], status: 0, stderr: /^skipped templates\/nftables\.conf\.j2: a template[^\n]*\n$/, stdout: /in 1 file with 1 rule set/ },
    { args: ['check', 'templates/nftables.conf.j2', '--skip-unsupported'], status: 2, stderr: /nothing was checked \(--allow-empty/ },
    { args: ['check', 'templates/nftables.conf.j2', '--skip-unsupported', '--allow-empty'], status: 0, stdout: /No problems in 0 files/ },
    { args: ['check', 'empty'], status: 2, stderr: /no file in the given paths/ },
    { args: ['check', 'empty', '--allow-empty'], status: 0 },
    { args: ['check', 'templates'], status: 2, stderr: /no file in the given paths/ },
    { args: ['check', 'cfn/sg.json'], status: 0, stdout: /in 1 file with 1 rule set/ },
  ];
  for (const c of table) {
    const r = cli(c.args, SILENT);
    assert.equal(r.status, c.status, `${c.args.join(' ')}: ${r.stdout}${r.stderr}`);
    if (c.stderr) assert.match(r.stderr, c.stderr, c.args.join(' '));
    if (c.stdout) assert.match(r.stdout, c.stdout, c.args.join(' '));
  }
});

test('check: skipped files are listed in JSON and as SARIF tool execution notifications', () => {
  const reason = 'a template (.j2): its rules exist only once it is rendered (Ansible, Salt, Puppet, Helm); check the rendered file';
  const json = JSON.parse(cli(['check', 'templates/nftables.conf.j2', 'vda.tf', '--skip-unsupported', '--format', 'json'], SILENT).stdout) as { skipped?: { file: string; reason: string }[] };
  assert.deepEqual(json.skipped, [{ file: 'templates/nftables.conf.j2', reason }]);
  const r = cli(['check', 'templates/nftables.conf.j2', 'vda.tf', '--skip-unsupported', '--format', 'sarif'], SILENT);
  const sarif = JSON.parse(r.stdout) as { runs: { invocations: { executionSuccessful: boolean; toolExecutionNotifications: { level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] }[] };
  assert.ok(sarifValidator()(sarif));
  const notes = sarif.runs[0].invocations[0].toolExecutionNotifications;
  assert.equal(notes.length, 1);
  assert.equal(notes[0].level, 'warning');
  assert.equal(notes[0].message.text, `Skipped templates/nftables.conf.j2: ${reason}`);
  assert.equal(notes[0].locations[0].physicalLocation.artifactLocation.uri, 'templates/nftables.conf.j2');
});

test('check: a script that loads its rules from a file beside it is checked through that file', () => {
  const r = cli(['check', 'beside/arm.sh', '--format', 'json'], SILENT);
  const out = JSON.parse(r.stdout) as { findings: { checkId: string; file: string; line: number; severity: string; message: string }[]; files: { file: string; ruleSets: number; parseProblems: number }[] };
  assert.deepEqual(out.files.map((f) => [f.file, f.ruleSets]), [['beside/arm.sh', 0], ['beside/ipv4', 1]]);
  assert.ok(out.findings.some((f) => f.file === 'beside/arm.sh' && f.line === 6 && f.severity === 'info' && /loads its rules from ipv4/.test(f.message)), r.stdout);
  assert.ok(out.findings.some((f) => f.file === 'beside/ipv4' && f.checkId === 'exposed-to-internet' && f.line === 4), r.stdout);
  // Not beside the script: a warning says its rules are not checked.
  const lonely = JSON.parse(cli(['check', 'lonely/apply.sh', '--format', 'json'], SILENT).stdout) as typeof out;
  assert.ok(lonely.findings.some((f) => f.line === 2 && f.severity === 'warning' && /\/etc\/iptables\/rules\.v4 is not beside this script/.test(f.message)), JSON.stringify(lonely.findings));
});

test('check: every parse problem is a finding with its line, in text, JSON and SARIF alike', () => {
  const dir = workspace({
    'a.rules': 'iptables/bare-list.rules',
    'b.sh': '#!/bin/sh\niptables -A INPUT -p tcp --dport 22 --bogus -j ACCEPT\nsource ./vars.sh\n$IPT -A INPUT -j DROP\n',
    'netfw.tf': 'resource "aws_networkfirewall_rule_group" "x" {\n}\n',
  });
  const json = JSON.parse(cli(['check', '--format', 'json'], dir).stdout) as { findings: { checkId: string; file: string; line: number }[]; files: { file: string; parseProblems: number }[] };
  const parseFindings = (file: string): number => json.findings.filter((f) => f.file === file && (f.checkId === 'unparsed-rule' || f.checkId === 'unresolved-value')).length;
  for (const f of json.files) assert.equal(parseFindings(f.file), f.parseProblems, `${f.file}: parseProblems equals its parse findings`);
  assert.deepEqual(json.files.map((f) => [f.file, f.parseProblems]), [['a.rules', 1], ['b.sh', 3], ['netfw.tf', 1]]);
  const sarif = JSON.parse(cli(['check', '--format', 'sarif'], dir).stdout) as { runs: { results: unknown[] }[] };
  assert.equal(sarif.runs[0].results.length, json.findings.length);
  const text = cli(['check'], dir).stdout;
  assert.equal(text.split('\n').filter((l) => /^ {2}\d+:\d+ /.test(l)).length, json.findings.length);
  assert.match(text, new RegExp(`^${json.findings.length} problems`, 'm'));
});

test('test-flow: no rule set read is unknown, exit 2, and says what was not read', () => {
  const args = ['test-flow', 'netfw.tf', '--from', '192.0.2.1', '--to', '10.0.2.5', '--proto', 'tcp', '--port', '1494'];
  const plain = cli(args, SILENT);
  assert.equal(plain.status, 2, plain.stdout + plain.stderr);
  assert.match(plain.stdout, /^UNKNOWN: tcp 192\.0\.2\.1 → 10\.0\.2\.5 port 1494 \(in\)\n {2}no rule set was read from netfw\.tf[^\n]*\n {2}line 1: No rule set was read from this file: it declares aws_networkfirewall_rule_group, which Citrix Flow Lint does not read yet/);
  assert.doesNotMatch(plain.stdout, /ALLOWED/);
  const json = cli([...args, '--json'], SILENT);
  assert.equal(json.status, 2);
  const out = JSON.parse(json.stdout) as { verdict: string; stages: unknown[]; reasons: string[] };
  assert.equal(out.verdict, 'unknown');
  assert.deepEqual(out.stages, []);
  assert.match(out.reasons.join('\n'), /aws_networkfirewall_rule_group/);
});

test('test-flow: an AWS network ACL decides by its first matching rule number', () => {
  const r = cli(['test-flow', 'nacl.tf', '--from', '192.0.2.1', '--to', '10.0.2.5', '--proto', 'tcp', '--port', '1494'], SILENT);
  assert.match(r.stdout, /^DENIED: tcp 192\.0\.2\.1 → 10\.0\.2\.5 port 1494 \(in\)/, r.stdout + r.stderr);
});

test('every command answers -h, --help and --version', () => {
  const version = (JSON.parse(fs.readFileSync(path.join(repoRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  for (const command of ['check', 'test-flow', 'explain', 'generate', 'report']) {
    for (const flag of ['-h', '--help']) {
      const r = cli([command, flag], GOOD);
      assert.equal(r.status, 0, `${command} ${flag}: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`citrix-flow-lint ${command}`), `${command} ${flag}`);
    }
    const v = cli([command, '--version'], GOOD);
    assert.equal(v.status, 0, `${command} --version: ${v.stderr}`);
    assert.equal(v.stdout, `${version}\n`);
  }
  assert.equal(cli(['--version'], GOOD).stdout, `${version}\n`);
});

test('argument parsing: values, repeats, lists and errors as before', () => {
  const table: [string[], number, RegExp][] = [
    [['check', '--format=json'], 0, /"findings"/],
    [['check', '--role', 'vda', '--role=storefront', '--format', 'json'], 1, /"findings"/],
    [['check', '--exit-zero=yes'], 2, /--exit-zero takes no value/],
    [['check', '--role'], 2, /--role needs a value/],
    [['check', '--role', '--format', 'json'], 2, /--role needs a value/],
    [['check', '-x'], 2, /unknown option -x/],
    [['check', '--', '--not-an-option'], 2, /--not-an-option: no such file or folder/],
  ];
  for (const [args, status, out] of table) {
    const r = cli(args, GOOD);
    assert.equal(r.status, status, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, out, args.join(' '));
  }
});
