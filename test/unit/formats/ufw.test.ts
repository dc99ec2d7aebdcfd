import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUfw } from '../../../server/src/formats/ufw';
import { parseIptables } from '../../../server/src/formats/iptables';
import { detectFormat } from '../../../server/src/formats/detect';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import type { RuleSet } from '../../../server/src/model';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { fixtureInputs, snapshotSuite } from '../../helpers/fixtures';

snapshotSuite('ufw', (text, file) => snapshotParsedFile(parseUfw(text, path.basename(file))));

const pick = (ruleSets: readonly RuleSet[], flowText: string): RuleSet => {
  const dir = flowText.startsWith('out') ? 'outbound' : flowText.startsWith('fwd') ? 'forward' : 'inbound';
  return ruleSets.find((r) => r.directions.includes(dir))!;
};

/**
 * Each fixture states its verdicts in its comments, worked out by hand from
 * ufw(8): before.rules first (ICMP, DHCP client, mDNS, UPnP), then the user
 * rules in order, first match (`insert N` and `prepend` place a rule), then
 * the default policy (shipped: incoming deny, outgoing allow, routed deny).
 */
const EXPECT = /^\s*expect: (.+) => (allowed|denied|partial|unknown) \(([^)]*)\)\s*$/;
for (const file of fixtureInputs('ufw')) {
  const text = fs.readFileSync(file, 'utf8');
  const parsed = parseUfw(text, path.basename(file));
  const expectations = parsed.comments.map((c) => EXPECT.exec(c.text)).filter((m): m is RegExpExecArray => m !== null);
  test(`ufw verdicts: ${path.basename(file)} states its verdicts`, () => {
    assert.ok(expectations.length >= 5, 'each fixture carries hand-worked verdicts');
    for (const [line, flowText, verdict, deciding] of expectations) {
      const result = evaluate(pick(parsed.ruleSets, flowText), flow(flowText));
      assert.equal(result.verdict, verdict, `${line}: ${result.reasons.join('; ')}`);
      const ids = [...new Set(result.decidingRules.map((r) => r.id))].join(', ') || '-';
      assert.equal(ids, deciding.trim(), `${line}: deciding rules`);
    }
  });
}

test('ufw: verdicts of single commands after a reset', () => {
  const table: [string, string, string][] = [
    // commands, flow, verdict — and why
    ['ufw allow 1494/tcp', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'allowed'],
    ['ufw allow 1494/tcp', 'in udp 10.0.0.1 -> 10.0.0.2:1494', 'denied'], // incoming default deny
    ['ufw allow 2598', 'in udp 10.0.0.1 -> 10.0.0.2:2598', 'allowed'], // no protocol: tcp and udp
    ['ufw deny 1494\nufw allow 1494/tcp', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'denied'], // first match
    ['ufw allow 1494/tcp\nufw insert 1 deny from 10.0.0.1', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'denied'], // insert 1 goes first
    ['ufw allow 1494/tcp\nufw delete allow 1494/tcp', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'denied'],
    ['ufw default allow incoming', 'in tcp 10.0.0.1 -> 10.0.0.2:1494', 'allowed'],
    ['ufw limit 22/tcp', 'in tcp 10.0.0.1 -> 10.0.0.2:22', 'allowed'], // within the rate
    ['ufw deny from 10.0.0.1', 'in icmp 10.0.0.1 -> 10.0.0.2', 'allowed'], // before.rules accept ICMP first
    ['ufw allow proto tcp from 10.0.0.0/24 to any port 1494,2598', 'in tcp 10.0.0.9 -> 10.0.0.2:2598', 'allowed'],
    ['ufw allow proto tcp from 10.0.0.0/24 to any port 1494,2598', 'in tcp 10.1.0.9 -> 10.0.0.2:2598', 'denied'],
    ['ufw deny out to 203.0.113.0/24', 'out tcp 10.0.0.2 -> 203.0.113.9:443', 'denied'],
    ['ufw allow 1494/tcp', 'out tcp 10.0.0.2 -> 203.0.113.9:443', 'allowed'], // outgoing default allow
    ['ufw allow OpenSSH', 'in tcp 10.0.0.1 -> 10.0.0.2:22', 'allowed'], // openssh-server's profile: 22/tcp
    ['ufw allow OpenSSH', 'in tcp 10.0.0.1 -> 10.0.0.2:2222', 'denied'], // nothing else
    ['ufw allow "Nginx Full"', 'in tcp 10.0.0.1 -> 10.0.0.2:443', 'allowed'], // nginx's: 80,443/tcp
    ['ufw allow from 10.9.0.0/24 to any app OpenSSH', 'in tcp 10.1.0.1 -> 10.0.0.2:22', 'denied'], // app in the full form: from the admins only
    ['ufw allow from 10.9.0.0/24 to any app OpenSSH', 'in tcp 10.9.0.1 -> 10.0.0.2:22', 'allowed'],
    ['ufw allow MyCustomApp', 'in tcp 10.0.0.1 -> 10.0.0.2:22', 'unknown'], // a profile this reader does not have
  ];
  for (const [commands, flowText, verdict] of table) {
    const parsed = parseUfw(`ufw --force reset\n${commands}\nufw --force enable\n`, 'x.sh');
    assert.equal(evaluate(pick(parsed.ruleSets, flowText), flow(flowText)).verdict, verdict, `${commands}: ${flowText}`);
  }
});

test('ufw: a script that ends with ufw disabled filters nothing', () => {
  const parsed = parseUfw('ufw --force reset\nufw allow 1494/tcp\nufw disable\n', 'x.sh');
  assert.equal(evaluate(pick(parsed.ruleSets, 'in tcp 10.0.0.1 -> 10.0.0.2:9999'), flow('in tcp 10.0.0.1 -> 10.0.0.2:9999')).verdict, 'allowed');
});

test('ufw: what a command gets wrong is said at its place', () => {
  const table: [string, string, RegExp][] = [
    ['ufw allow 70000/tcp', '70000/tcp', /"70000" is not a port or range/],
    ['ufw allow 1494/gre', '1494/gre', /"gre" is not tcp or udp/],
    ['ufw allow 60000:61000', '60000:61000', /a port list or range needs a protocol/],
    ['ufw allow from nowhere', 'nowhere', /"nowhere" is not an address or network/],
    ['ufw permit 22', 'permit', /"permit" is not a ufw command this reader knows/],
    ['ufw insert 5 allow 22/tcp', 'ufw insert 5 allow 22/tcp', /ufw insert 5: there are only 0 rules/],
    ['ufw default maybe incoming', 'ufw default maybe incoming', /ufw default takes allow, deny or reject/],
    ['ufw allow from 10.0.0.1 port 22 frob 1', 'frob', /"frob" is not part of a ufw rule/],
  ];
  for (const [input, spanned, message] of table) {
    const parsed = parseUfw(`${input}\n`, 'x.sh');
    const p = parsed.problems.find((x) => message.test(x.message));
    assert.ok(p, `${input}: ${JSON.stringify(parsed.problems.map((x) => x.message))}`);
    assert.equal(input.slice(p.span.start, p.span.end), spanned, input);
  }
});

test('ufw: user.rules is iptables-save text; ufw-user-input reads as INPUT with the shipped default drop', () => {
  const text = [
    '*filter',
    ':ufw-user-input - [0:0]',
    ':ufw-user-output - [0:0]',
    ':ufw-user-forward - [0:0]',
    ':ufw-user-limit - [0:0]',
    ':ufw-user-limit-accept - [0:0]',
    '### RULES ###',
    '',
    '### tuple ### allow tcp 1494 0.0.0.0/0 any 10.0.0.0/24 in',
    '-A ufw-user-input -p tcp --dport 1494 -s 10.0.0.0/24 -j ACCEPT',
    '',
    '### END RULES ###',
    '-A ufw-user-limit -j REJECT',
    '-A ufw-user-limit-accept -j ACCEPT',
    'COMMIT',
    '',
  ].join('\n');
  assert.equal(detectFormat('file:///etc/ufw/user.rules', text), 'iptables');
  const parsed = parseIptables(text, 'file:///etc/ufw/user.rules');
  const input = parsed.ruleSets.find((r) => r.meta?.chain === 'ufw-user-input')!;
  assert.deepEqual(input.directions, ['inbound']);
  assert.equal(evaluate(input, flow('in tcp 10.0.0.5 -> 10.0.2.5:1494')).verdict, 'allowed');
  assert.equal(evaluate(input, flow('in tcp 10.1.0.5 -> 10.0.2.5:1494')).verdict, 'denied');
  assert.ok(parsed.problems.some((p) => /ufw's user.rules holds only its user chains/.test(p.message)));
});

test('ufw: detection of scripts of ufw commands', () => {
  const table: [string, string, string | undefined][] = [
    ['#!/bin/sh\nufw allow 1494/tcp\nufw --force enable\n', 'shellscript', 'ufw'],
    ['#!/bin/sh\nsudo ufw default deny incoming\n', 'shellscript', 'ufw'],
    ['#!/bin/sh\nufw status verbose\n', 'shellscript', undefined],
  ];
  for (const [text, languageId, expected] of table) assert.equal(detectFormat('file:///ws/setup.sh', text, languageId), expected, text);
});

test('ufw: hostile input is read in bounded time and never throws', () => {
  const inputs = ['ufw', 'ufw allow', `ufw allow ${'1,'.repeat(20000)}1/tcp`, `ufw ${'insert 1 '.repeat(3000)}`, "ufw allow comment '", '\u0000ufw deny'];
  for (const text of inputs) assert.ok(Array.isArray(parseUfw(text, 'x.sh').problems));
});
