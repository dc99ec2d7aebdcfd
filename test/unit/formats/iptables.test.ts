import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseIptables } from '../../../server/src/formats/iptables';
import { readShell } from '../../../server/src/formats/shell';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { snapshotSuite } from '../../helpers/fixtures';
import { fixtureFlows, readFixtures, verdictOf } from '../kernel/fixtureFlows';

snapshotSuite('iptables', (text, file) => snapshotParsedFile(parseIptables(text, file)));

for (const { file, text } of readFixtures('iptables')) {
  test(`iptables flows: ${path.basename(file)}`, () => {
    const parsed = parseIptables(text, file);
    const flows = fixtureFlows(parsed);
    assert.ok(flows.length > 0, 'every fixture lists flows with expected verdicts');
    for (const f of flows) {
      const r = verdictOf(parsed, f.spec);
      assert.equal(r.verdict, f.expected, `${f.spec}: ${r.reasons.join('; ')}`);
    }
  });
}

const one = (rule: string, extra = ''): ReturnType<typeof parseIptables> =>
  parseIptables(`*filter\n:INPUT DROP [0:0]\n${extra}-A INPUT ${rule}\nCOMMIT\n`, 'mem.rules');

test('iptables: rule fields', async (t) => {
  const cases: { rule: string; source?: string; destination?: string; ports?: string; protocols?: string; target?: string }[] = [
    { rule: '-s 0.0.0.0 -j ACCEPT', source: '0.0.0.0' },
    { rule: '-s 0.0.0.0/0 -j ACCEPT', source: '0.0.0.0/0' },
    { rule: '-s 10.0.0.1,10.0.0.2 -j ACCEPT', source: '10.0.0.1, 10.0.0.2' },
    { rule: '! -d 10.0.0.0/8 -j ACCEPT', destination: '0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8, 12.0.0.0/6, 16.0.0.0/4, 32.0.0.0/3, 64.0.0.0/2, 128.0.0.0/1, ::/0' },
    { rule: '-d ! 10.0.0.0/8 -j ACCEPT', destination: '0.0.0.0/5, 8.0.0.0/7, 11.0.0.0/8, 12.0.0.0/6, 16.0.0.0/4, 32.0.0.0/3, 64.0.0.0/2, 128.0.0.0/1, ::/0' },
    { rule: '-p tcp --dport 1000:2000 -j ACCEPT', ports: '1000-2000' },
    { rule: '-p tcp --dport :1023 -j ACCEPT', ports: '0-1023' },
    { rule: '-p udp -m multiport --dports 53,67:68 -j ACCEPT', ports: '53, 67-68', protocols: 'UDP' },
    { rule: '-p 17 -j ACCEPT', protocols: 'UDP' },
    { rule: '-m iprange --src-range 10.0.0.1-10.0.0.3 -j ACCEPT', source: '10.0.0.1, 10.0.0.2/31' },
    { rule: '-m set --match-set admins src -j ACCEPT', source: 'admins' },
    { rule: '-j LOG --log-prefix "x y"', target: 'continue' },
    { rule: '-p tcp --dport 1494', target: 'continue' },
    { rule: '-j REJECT --reject-with icmp-host-prohibited', target: 'deny' },
  ];
  for (const c of cases) {
    await t.test(c.rule, () => {
      const file = one(c.rule);
      const r = file.ruleSets[0].rules[0];
      if (c.source) assert.equal(r.source.value.toString(), c.source);
      if (c.destination) assert.equal(r.destination.value.toString(), c.destination);
      if (c.ports) assert.equal(snapshotRule(file).destinationPorts, c.ports);
      if (c.protocols) assert.equal(snapshotRule(file).protocols, c.protocols);
      if (c.target) assert.equal(r.target.kind, c.target);
      assert.deepEqual(file.problems, []);
    });
  }
});

function snapshotRule(file: ReturnType<typeof parseIptables>): Record<string, unknown> {
  const snap = snapshotParsedFile(file) as { ruleSets: { rules: Record<string, unknown>[] }[] };
  return snap.ruleSets[0].rules[0];
}

test('iptables: a field span points at its value', () => {
  const text = '*filter\n:INPUT DROP [0:0]\n-A INPUT -s 10.1.2.0/24 -p tcp --dport 2598 -j ACCEPT\nCOMMIT\n';
  const r = parseIptables(text, 'x').ruleSets[0].rules[0];
  const at = (s?: { start: number; end: number }): string => (s ? text.slice(s.start, s.end) : '');
  assert.equal(at(r.source.span), '10.1.2.0/24');
  assert.equal(at(r.destinationPorts.span), '2598');
  assert.equal(at(r.protocols.span), 'tcp');
  assert.equal(at(r.span), '-A INPUT -s 10.1.2.0/24 -p tcp --dport 2598 -j ACCEPT');
});

test('iptables: an unknown option is unparsed and the next rule still parses', () => {
  const file = parseIptables('iptables -A INPUT -p tcp --bogus 1 -j ACCEPT\niptables -A INPUT -p tcp --dport 443 -j ACCEPT\n', 'x.sh');
  assert.equal(file.problems.length, 1);
  assert.equal(file.problems[0].code, 'unparsed-rule');
  assert.equal(file.text.slice(file.problems[0].span.start, file.problems[0].span.end), '--bogus 1');
  assert.equal(file.ruleSets[0].rules.length, 2);
  assert.equal(file.ruleSets[0].rules[1].destinationPorts.value.ranges[0].from, 443);
});

test('shell reader: variables, loops, continuations, quoting', async (t) => {
  const cases: { script: string; commands: string[] }[] = [
    { script: 'A=1\necho $A "$A" \'$A\'', commands: ['echo 1 1 $A'] },
    { script: 'L="a b"\nfor x in $L c; do echo $x; done', commands: ['echo a', 'echo b', 'echo c'] },
    { script: 'for x in 1 2\ndo\n  for y in a b; do echo $x$y; done\ndone', commands: ['echo 1a', 'echo 1b', 'echo 2a', 'echo 2b'] },
    { script: 'echo a \\\r\n  b # comment\r\n', commands: ['echo a b'] },
    { script: 'export P=22; echo ${P}', commands: ['echo 22'] },
    { script: 'echo "$UNSET"', commands: ['echo $UNSET'] },
    { script: 'if true; then echo yes; fi', commands: ['true', 'echo yes'] },
    { script: 'cat <<EOF\n$X\nEOF\necho after', commands: ['cat', 'echo after'] },
  ];
  for (const c of cases) {
    await t.test(JSON.stringify(c.script), () => {
      const s = readShell(c.script);
      assert.deepEqual(
        s.commands.map((cmd) => cmd.words.map((w) => w.value).join(' ')),
        c.commands,
      );
    });
  }
  const unknown = readShell('echo "$UNSET"').commands[0].words[1];
  assert.equal(unknown.unresolved.length, 1);
  assert.match(unknown.unresolved[0].reason, /UNSET/);
});

test('iptables: never throws, whatever the input', () => {
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = ['-A', 'INPUT', '-s', '!', '"', "'", '\\', '\n', '\r\n', '$X', '${', 'for', 'do', 'done', ';', '*filter', ':X', 'COMMIT', '-p', 'tcp', '--dport', '1:', '-j', ' ', 'iptables', '<<', '#', '\uFEFF', 'é'];
  for (let i = 0; i < 300; i++) {
    let text = '';
    const n = Math.floor(rand() * 60);
    for (let k = 0; k < n; k++) text += alphabet[Math.floor(rand() * alphabet.length)] + (rand() < 0.5 ? ' ' : '');
    assert.doesNotThrow(() => parseIptables(text, 'fuzz'), text);
  }
});

test('iptables: reads every rule of a 10,000-rule file', () => {
  const make = (n: number): string => {
    const lines = ['*filter', ':INPUT DROP [0:0]'];
    for (let i = 0; i < n; i++) lines.push(`-A INPUT -s 10.${i >> 8}.${i & 255}.0/24 -p tcp -m multiport --dports 80,443 -j ACCEPT`);
    lines.push('COMMIT');
    return lines.join('\n');
  };
  assert.equal(parseIptables(make(10_000), 'big').ruleSets[0].rules.length, 10_000);
  // Growth with size is measured in the bench (bench/growth.mjs), not timed here.
});
