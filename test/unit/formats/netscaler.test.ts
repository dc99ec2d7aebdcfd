import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseNetscaler } from '../../../server/src/formats/netscaler';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { formatPortSet } from '../../../server/src/net';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { fixtureInputs, fixturePath, snapshotSuite } from '../../helpers/fixtures';

snapshotSuite('netscaler', (text, file) => snapshotParsedFile(parseNetscaler(text, path.basename(file))));

/**
 * Each fixture states the verdicts it must produce in its own comments:
 * `# expect: <flow> => <verdict> (<deciding ACL names> | -)`, worked out by
 * hand from NetScaler's rules: simple ACLs first, then extended ACLs by
 * priority, first match, allow when nothing matches, no state for replies.
 */
const EXPECT = /^expect: (.+) => (allowed|denied|partial|unknown) \(([^)]*)\)$/;
for (const file of fixtureInputs('netscaler')) {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseNetscaler(text, path.basename(file));
  const expectations = parsed.comments.map((c) => EXPECT.exec(c.text)).filter((m): m is RegExpExecArray => m !== null);
  test(`netscaler verdicts: ${path.basename(file)} states its verdicts`, () => {
    assert.ok(expectations.length >= 5, 'each fixture carries hand-worked verdicts');
    assert.equal(parsed.ruleSets.length, 1);
    for (const [line, flowText, verdict, deciding] of expectations) {
      const result = evaluate(parsed.ruleSets[0], flow(flowText));
      assert.equal(result.verdict, verdict, `${line}: ${result.reasons.join('; ')}`);
      const ids = [...new Set(result.decidingRules.map((r) => r.id))].join(', ') || '-';
      assert.equal(ids, deciding.trim(), `${line}: deciding rules`);
    }
  });
}

test('netscaler: what a batch file leaves unapplied, and options it does not know, are said at their place', () => {
  const text = fs.readFileSync(fixturePath('netscaler', 'change-batch.txt'), 'utf8');
  const parsed = parseNetscaler(text, 'change-batch.txt');
  const at = (p: { span: { start: number } }): number => text.slice(0, p.span.start).split('\n').length;
  assert.deepEqual(
    [...parsed.problems].sort((a, b) => a.span.start - b.span.start).map((p) => [at(p), p.severity, p.message]),
    [
      [15, 'warning', 'ACL odd-option: the option "-frobnicate" is not one this reader knows; flows it may decide are unknown'],
      [17, 'warning', 'ACL allow-late was added or changed on line 17, after the last "apply ns acls" (line 16): it is not in force until the ACLs are applied again'],
    ],
  );
  const late = parsed.ruleSets[0].rules.find((r) => r.id === 'allow-late');
  assert.equal(late?.enabled.value, false);
});

test('netscaler: a batch file that never applies its extended ACLs has none in force; a saved ns.conf needs no apply', () => {
  const acl = 'add ns acl deny-ssh DENY -destPort = 22 -protocol TCP -priority 10\n';
  const batch = parseNetscaler(acl, 'batch.txt');
  assert.equal(evaluate(batch.ruleSets[0], flow('in tcp 10.0.0.1 -> 10.0.0.2:22')).verdict, 'allowed');
  assert.match(batch.problems[0].message, /not in force: extended ACLs take effect only after "apply ns acls", and this file never applies them/);
  const saved = parseNetscaler(`#NS14.1 Build 25.56\n${acl}`, 'ns.conf');
  assert.equal(evaluate(saved.ruleSets[0], flow('in tcp 10.0.0.1 -> 10.0.0.2:22')).verdict, 'denied');
  assert.deepEqual(saved.problems, []);
});

test('netscaler: operators, ranges and protocols as the CLI writes them', () => {
  const table: [string, string, string][] = [
    // option text, flow, verdict of a DENY with it (else the default allow)
    ['-srcIP = 10.1.0.1-10.1.0.9', 'in tcp 10.1.0.5 -> 10.2.0.1:80', 'denied'],
    ['-srcIP 10.1.0.1', 'in tcp 10.1.0.1 -> 10.2.0.1:80', 'denied'],
    ['-srcIP != 10.1.0.1', 'in tcp 10.1.0.1 -> 10.2.0.1:80', 'allowed'],
    ['-srcIP NEQ 10.1.0.1', 'in tcp 10.1.0.2 -> 10.2.0.1:80', 'denied'],
    ['-destPort = 1494-1495 -protocol TCP', 'in tcp 10.1.0.1 -> 10.2.0.1:1495', 'denied'],
    ['-destPort != 443 -protocol TCP', 'in tcp 10.1.0.1 -> 10.2.0.1:443', 'allowed'],
    ['-protocol UDP', 'in tcp 10.1.0.1 -> 10.2.0.1:443', 'allowed'],
    ['-protocolNumber 17', 'in udp 10.1.0.1 -> 10.2.0.1:2598', 'denied'],
    // An IPv4 ACL never sees an IPv6 packet.
    ['', 'in tcp 2001:db8::1 -> 2001:db8::2:443', 'allowed'],
    ['-td 0', 'in tcp 10.1.0.1 -> 10.2.0.1:80', 'denied'],
    ['-td 5', 'in tcp 10.1.0.1 -> 10.2.0.1:80', 'unknown'],
    ['-vlan 20', 'in tcp 10.1.0.1 -> 10.2.0.1:80', 'unknown'],
    ['-logstate ENABLED -ratelimit 100', 'in tcp 10.1.0.1 -> 10.2.0.1:80', 'denied'],
    ['-srcIPDataset admins', 'in tcp 10.1.0.1 -> 10.2.0.1:80', 'unknown'],
  ];
  for (const [options, flowText, verdict] of table) {
    const parsed = parseNetscaler(`#NS13.1 Build 1.1\nadd ns acl x DENY ${options} -priority 10\n`, 'ns.conf');
    assert.equal(evaluate(parsed.ruleSets[0], flow(flowText)).verdict, verdict, `${options}: ${flowText}`);
  }
});

test('netscaler: policy datasets defined in the file are their addresses; an empty one matches nothing', () => {
  const text = [
    '#NS13.1 Build 1.1',
    'add policy dataset admins ipv4',
    'bind policy dataset admins 10.5.0.1',
    'bind policy dataset admins 10.5.0.10 -endRange 10.5.0.20',
    'add policy dataset nobody ipv4',
    'add ns acl allow-admins ALLOW -srcIPDataset admins -destPort = 22 -protocol TCP -priority 10',
    'add ns acl deny-nobody DENY -srcIPDataset nobody -priority 15',
    'add ns acl deny-ssh DENY -destPort = 22 -protocol TCP -priority 20',
    '',
  ].join('\n');
  const rs = parseNetscaler(text, 'ns.conf').ruleSets[0];
  assert.equal(evaluate(rs, flow('in tcp 10.5.0.15 -> 10.0.0.1:22')).verdict, 'allowed');
  assert.equal(evaluate(rs, flow('in tcp 10.5.0.9 -> 10.0.0.1:22')).verdict, 'denied');
  assert.equal(evaluate(rs, flow('in tcp 10.7.0.1 -> 10.0.0.1:80')).verdict, 'allowed');
});

test('netscaler: set, unset, rename, disable, rm and clear change what is in force, in order', () => {
  const text = [
    '#NS13.1 Build 1.1',
    'add ns acl a DENY -destPort = 80 -protocol TCP -priority 10',
    'set ns acl a -destPort = 81',
    'add ns acl b DENY -destPort = 82 -protocol TCP -priority 20',
    'disable ns acl b',
    'add ns acl c DENY -destPort = 83 -protocol TCP -priority 30',
    'rm ns acl c',
    'rename ns acl a a2',
    'add ns acl d DENY -srcIP = 10.9.0.1 -destPort = 84 -protocol TCP -priority 40',
    'unset ns acl d -srcIP',
    '',
  ].join('\n');
  const parsed = parseNetscaler(text, 'ns.conf');
  const rs = parsed.ruleSets[0];
  const verdict = (port: number): string => evaluate(rs, flow(`in tcp 10.1.0.1 -> 10.2.0.1:${port}`)).verdict;
  assert.deepEqual([80, 81, 82, 83, 84].map(verdict), ['allowed', 'denied', 'allowed', 'allowed', 'denied']);
  assert.deepEqual(rs.rules.map((r) => r.id), ['a2', 'b', 'd']);
  assert.equal(formatPortSet(rs.rules[0].destinationPorts.value), '81');
});

test('netscaler: the ADC’s own addresses are read from set ns config, add ns ip and the vservers', () => {
  const rs = parseNetscaler(fs.readFileSync(fixturePath('netscaler', 'gateway-saved.conf'), 'utf8'), 'ns.conf').ruleSets[0];
  assert.deepEqual(rs.appliesTo, ['NSIP 10.10.0.10', 'SNIP 10.10.1.20', 'VIP 203.0.113.10', 'Gateway VIP 203.0.113.10']);
});

test('netscaler: a configuration without ACLs says the ADC filters nothing', () => {
  const parsed = parseNetscaler('#NS13.1 Build 1.1\nset ns config -IPAddress 10.0.0.10 -netmask 255.255.255.0\n', 'ns.conf');
  assert.deepEqual(parsed.ruleSets, []);
  assert.match(parsed.problems[0].message, /no ACL: the ADC itself filters nothing/);
});

test('netscaler: hostile input is read in bounded time and never throws', () => {
  const inputs = ['"', 'add ns acl "unterminated', 'add ns acl', `add ns acl x ALLOW ${'-srcIP = '.repeat(5000)}`, '\u0000\u0001 add ns', 'add ns acl x DENY -priority 99999999999999999999'];
  for (const text of inputs) {
    const parsed = parseNetscaler(text, 'x.conf');
    assert.ok(Array.isArray(parsed.problems));
  }
});

import { emitAllowRules } from '../../../server/src/formats/netscaler/emit';
import { applyEdits, type AllowRuleRequest } from '../../../server/src/model';
import { AddressSet } from '../../../server/src/net';

function request(text: string, before: string | undefined, extra: Partial<AllowRuleRequest> = {}): AllowRuleRequest {
  const file = parseNetscaler(text, 'file:///ws/acl.txt');
  const ruleSet = file.ruleSets[0];
  const addr = (a: string): AddressSet => (AddressSet.parse(a) as { ok: true; value: AddressSet }).value;
  return {
    file,
    ruleSet,
    direction: 'inbound',
    protocols: ['tcp'],
    ports: [{ from: 443, to: 443 }],
    source: addr('10.1.0.0/24'),
    destination: addr('10.2.0.5'),
    name: 'Allow Citrix StoreFront',
    comment: 'Citrix: StoreFront',
    before: before ? ruleSet.rules.find((r) => r.id === before) : undefined,
    ...extra,
  };
}

test('netscaler emitter: the allow goes just below the denying priority, and a batch file without a later apply gets one', () => {
  const text = 'add ns acl deny-web DENY -destPort = 443 -protocol TCP -priority 50\n';
  const out = emitAllowRules([request(text, 'deny-web')]);
  assert.ok('edits' in out, JSON.stringify(out));
  assert.equal(
    applyEdits(text, out.edits),
    '# Citrix: StoreFront\n' +
      'add ns acl Allow-Citrix-StoreFront ALLOW -srcIP = 10.1.0.0-10.1.0.255 -destIP = 10.2.0.5 -destPort = 443 -protocol TCP -priority 49\n' +
      'add ns acl deny-web DENY -destPort = 443 -protocol TCP -priority 50\n' +
      'apply ns acls\n',
  );
});

test('netscaler emitter: says why when it cannot write the rule', () => {
  const full = '#NS13.1 Build 1.1\nadd ns acl a ALLOW -destPort = 80 -protocol TCP -priority 49\nadd ns acl deny-web DENY -destPort = 443 -protocol TCP -priority 50\n';
  const noRoom = emitAllowRules([request(full, 'deny-web')]);
  assert.ok('error' in noRoom && /no free priority between 49 and 50.*renumber ns acls/.test(noRoom.error), JSON.stringify(noRoom));
  const simple = '#NS13.1 Build 1.1\nadd ns simpleacl block DENY -srcIP 10.1.0.7\n';
  const bySimple = emitAllowRules([request(simple, 'simple block')]);
  assert.ok('error' in bySimple && /simple ACL block drops these packets before any extended ACL/.test(bySimple.error), JSON.stringify(bySimple));
});

test('netscaler: the running configuration says per ACL whether it is applied (-kernelstate)', () => {
  // As `show ns runningConfig` writes them (one public excerpt: …-priority 170 -kernelstate SFAPPLIED61).
  const text = [
    'add ns acl applied DENY -destPort = 22 -protocol TCP -priority 10 -kernelstate SFAPPLIED61',
    'add ns acl waiting DENY -destPort = 23 -protocol TCP -priority 20 -kernelstate NOTAPPLIED',
    '',
  ].join('\n');
  const parsed = parseNetscaler(text, 'running.txt');
  assert.equal(evaluate(parsed.ruleSets[0], flow('in tcp 10.0.0.1 -> 10.0.0.2:22')).verdict, 'denied');
  assert.equal(evaluate(parsed.ruleSets[0], flow('in tcp 10.0.0.1 -> 10.0.0.2:23')).verdict, 'allowed');
  assert.deepEqual(parsed.problems.map((p) => p.message), ['ACL waiting is not in force: extended ACLs take effect only after "apply ns acls", and this file never applies them']);
});
