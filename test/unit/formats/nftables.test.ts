import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseNftables } from '../../../server/src/formats/nftables';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { snapshotSuite } from '../../helpers/fixtures';
import { fixtureFlows, readFixtures, verdictOf } from '../kernel/fixtureFlows';

snapshotSuite('nftables', (text, file) => snapshotParsedFile(parseNftables(text, file)));

for (const { file, text } of readFixtures('nftables')) {
  test(`nftables flows: ${path.basename(file)}`, () => {
    const parsed = parseNftables(text, file);
    const flows = fixtureFlows(parsed);
    assert.ok(flows.length > 0, 'every fixture lists flows with expected verdicts');
    for (const f of flows) {
      const r = verdictOf(parsed, f.spec);
      assert.equal(r.verdict, f.expected, `${f.spec}: ${r.reasons.join('; ')}`);
    }
  });
}

const chain = (body: string, head = ''): ReturnType<typeof parseNftables> =>
  parseNftables(`${head}table inet t {\n chain c {\n  type filter hook input priority 0; policy drop;\n  ${body}\n }\n}\n`, 'mem.nft');

test('nftables: rule fields', async (t) => {
  const cases: { body: string; head?: string; source?: string; ports?: string; protocols?: string; target?: string; conditions?: string[] }[] = [
    { body: 'ip saddr 10.0.0.0/8 accept', source: '10.0.0.0/8' },
    { body: 'ip saddr { 10.0.0.1, 10.0.0.2-10.0.0.3 } accept', source: '10.0.0.1, 10.0.0.2/31' },
    { body: 'ip6 saddr != ::/1 accept', source: '8000::/1' },
    { body: 'tcp dport { 80, 443, 1000-2000 } accept', ports: '80, 443, 1000-2000', protocols: 'TCP' },
    { body: 'th dport 53 accept', ports: '53' },
    { body: 'meta l4proto { tcp, udp } accept', protocols: 'TCP/UDP' },
    { body: 'tcp dport ssh accept', ports: '22' },
    { body: 'tcp dport $p accept', head: 'define p = 8080\n', ports: '8080' },
    { body: 'ip saddr @s accept', head: '', source: '@s' },
    { body: 'tcp dport 22 counter log prefix "ssh " drop', target: 'deny' },
    { body: 'tcp dport 22 log', target: 'continue' },
    { body: 'ct state new,established accept', conditions: ['conntrack: ct state new,established (assume-match)'] },
    { body: 'ct state != established accept', conditions: ['conntrack: ct state != established (assume-match)'] },
    { body: 'oifname "eth0" accept', conditions: ['interface-out: oifname "eth0" (assume-match)'] },
  ];
  for (const c of cases) {
    await t.test(c.body, () => {
      const file = chain(c.body, c.head);
      const r = (snapshotParsedFile(file) as { ruleSets: { rules: Record<string, unknown>[] }[] }).ruleSets[0].rules[0];
      if (c.source) assert.equal(r.source, c.source);
      if (c.ports) assert.equal(r.destinationPorts, c.ports);
      if (c.protocols) assert.equal(r.protocols, c.protocols);
      if (c.target) assert.equal(r.target, c.target);
      if (c.conditions) assert.deepEqual(r.conditions, c.conditions);
    });
  }
});

test('nftables: field spans point at values, also in shell commands', () => {
  const text = 'P=2598\nnft add rule inet t c tcp dport 1494 accept\nnft "add rule inet t c ip saddr 10.0.0.1 tcp dport $P accept"\n';
  const file = parseNftables(`${text}`, 'x.sh');
  const rules = file.ruleSets.length ? file.ruleSets[0].rules : [];
  // Rules in a chain with no base-chain header belong to no rule set; read them through a base chain instead.
  assert.equal(rules.length, 0);
  const text2 = 'nft add chain inet t c "{ type filter hook input priority 0; }"\nnft add rule inet t c tcp dport 1494 accept\nnft \'add rule inet t c ip saddr 10.0.0.1 drop\'\n';
  const f2 = parseNftables(text2, 'y.sh');
  const [r1, r2] = f2.ruleSets[0].rules;
  const at = (s?: { start: number; end: number }): string => (s ? text2.slice(s.start, s.end) : '');
  assert.equal(at(r1.destinationPorts.span), '1494');
  assert.equal(at(r2.source.span), '10.0.0.1');
  assert.equal(at(r1.span), 'nft add rule inet t c tcp dport 1494 accept');
});

test('nftables: the filter base chains a packet crosses become ordered stages, by hook and then priority', () => {
  const file = parseNftables(
    [
      'table inet a { chain x { type filter hook input priority 10; } }',
      'table ip b { chain y { type filter hook input priority filter - 5; policy drop; } }',
      'table inet c { chain pre { type filter hook prerouting priority -150; } chain post { type filter hook postrouting priority 0; } }',
      'table inet d { chain out { type route hook output priority 0; } chain fwd { type filter hook forward priority 0; } }',
      '',
    ].join('\n'),
    'm.nft',
  );
  const sorted = [...file.ruleSets].sort((p, q) => (p.stage?.order ?? 0) - (q.stage?.order ?? 0));
  assert.deepEqual(sorted.map((r) => [r.id, r.stage?.group, r.directions]), [
    ['inet c/pre', 'netfilter', ['inbound', 'forward']],
    ['ip b/y', 'netfilter', ['inbound']],
    ['inet a/x', 'netfilter', ['inbound']],
    ['inet d/out', 'netfilter', ['outbound']],
    ['inet d/fwd', 'netfilter', ['forward']],
    ['inet c/post', 'netfilter', ['outbound', 'forward']],
  ].sort((p, q) => sorted.findIndex((r) => r.id === p[0]) - sorted.findIndex((r) => r.id === q[0])));
  assert.deepEqual(file.problems, []);
  const order = (id: string): number => sorted.findIndex((r) => r.id === id);
  assert.ok(order('inet c/pre') < order('ip b/y') && order('ip b/y') < order('inet a/x') && order('inet a/x') < order('inet c/post'));
  assert.deepEqual(file.ruleSets.find((r) => r.id === 'ip b/y')?.families, [4]);
  assert.equal(file.ruleSets.find((r) => r.id === 'inet a/x')?.families, undefined);
});

test('nftables: never throws, whatever the input', () => {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = ['table', 'inet', 'chain', '{', '}', ';', '\n', 'type', 'filter', 'hook', 'input', 'priority', '-', '+', 'policy', 'drop', 'tcp', 'dport', '$x', '@s', 'define', '=', '!=', '"', 'jump', 'set', 'elements', ',', 'ip', 'saddr', 'nft', 'add', 'rule', '#', '\r\n', 'é'];
  for (let i = 0; i < 300; i++) {
    let text = '';
    const n = Math.floor(rand() * 60);
    for (let k = 0; k < n; k++) text += alphabet[Math.floor(rand() * alphabet.length)] + ' ';
    assert.doesNotThrow(() => parseNftables(text, 'fuzz.nft'), text);
  }
});

test('nftables: reads every rule of a 10,000-rule file', () => {
  const make = (n: number): string => {
    const lines = ['table inet f {', ' chain input {', '  type filter hook input priority 0; policy drop;'];
    for (let i = 0; i < n; i++) lines.push(`  ip saddr 10.${i >> 8}.${i & 255}.0/24 tcp dport { 80, 443 } accept`);
    lines.push(' }', '}');
    return lines.join('\n');
  };
  assert.equal(parseNftables(make(10_000), 'big.nft').ruleSets[0].rules.length, 10_000);
  // Growth with size is measured in the bench (bench/growth.mjs), not timed here.
});
