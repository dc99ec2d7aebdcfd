import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow, MAX_CELL_SPLITS } from '../../../server/src/analysis/evaluate';
import { initTreeSitter, MAX_ANALYZED_BYTES, parseAs } from '../../../server/src/formats';
import type { FormatId, RuleSet } from '../../../server/src/model';
import { checkInput } from '../../fuzz/check';
import { HANG_GUARD_MS } from '../../helpers/hangGuard';

// These bounds detect a hang or a blow-up, not speed (the bench measures speed): the suite shares two
// cores with other test files and CI's own work, so they are far above a quiet machine's times.

before(async () => {
  await initTreeSitter();
});

const FORMATS: readonly [FormatId, string][] = [
  ['terraform', 'tf'],
  ['bicep', 'bicep'],
  ['arm', 'json'],
  ['iptables', 'rules'],
  ['iptables', 'sh'],
  ['nftables', 'nft'],
  ['asa', 'asa'],
  ['windows-firewall', 'ps1'],
  ['windows-firewall', 'cmd'],
];

function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, performance.now() - t0];
}

function iptablesSave(rules: number): string {
  const lines = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < rules; i++) lines.push(`-A INPUT -s 10.${(i >> 8) & 255}.${i & 255}.0/24 -p tcp -m tcp --dport ${1 + (i % 60000)} -m comment --comment "rule ${i}" -j ${i % 3 ? 'ACCEPT' : 'DROP'}`);
  lines.push('COMMIT', '');
  return lines.join('\n');
}

test('a 100,000-rule iptables-save file parses in seconds, not minutes, every rule of it (a save file has no loops to unroll, so no command cap)', () => {
  const text = iptablesSave(100_000);
  assert.ok(text.length < MAX_ANALYZED_BYTES, 'under the size limit, so it is really parsed');
  const heapBefore = process.memoryUsage().heapUsed;
  const [parsed, ms] = timed(() => parseAs('iptables', text, 'file:///big.rules'));
  const input = parsed.ruleSets.find((r) => r.name.includes('INPUT'));
  assert.equal(input?.rules.length, 100_000);
  assert.deepEqual(parsed.problems.filter((p) => p.code === 'limit'), []);
  assert.ok(ms < HANG_GUARD_MS, `took ${ms.toFixed(0)} ms`);
  // Bounded memory: a few KB per rule at most.
  const grown = (process.memoryUsage().heapUsed - heapBefore) / (1024 * 1024);
  assert.ok(grown < 800, `heap grew ${grown.toFixed(0)} MB`);
});

test('a 100,000-rule rule set is evaluated in bounded time, and a flow that splits too far is unknown with a reason', () => {
  const parsed = parseAs('iptables', iptablesSave(100_000), 'file:///big.rules');
  const input = parsed.ruleSets.find((r) => r.name.includes('INPUT')) as RuleSet;
  const [narrow, narrowMs] = timed(() => evaluate(input, flow('in tcp 10.0.0.5 -> 10.1.0.7:1494')));
  assert.equal(narrow.verdict, 'denied');
  assert.ok(narrowMs < HANG_GUARD_MS, `narrow flow took ${narrowMs.toFixed(0)} ms`);
  // Any source on every port against 100,000 distinct /24s and ports: exact cells would be quadratic.
  const [wide, wideMs] = timed(() => evaluate(input, flow('in tcp any -> 10.1.0.7:1-65535')));
  assert.ok(wideMs < HANG_GUARD_MS, `wide flow took ${wideMs.toFixed(0)} ms`);
  assert.ok(wide.decisions.some((d) => d.outcome === 'unknown' && d.reason?.includes('analysis is limited')), 'the part not evaluated is unknown');
  assert.ok(wide.reasons.some((r) => r.includes(`${MAX_CELL_SPLITS}`)), wide.reasons.join('\n'));
});

test('past MAX_ANALYZED_BYTES a 50 MB file is not parsed: one limit problem says so, at once', () => {
  const rule = '-A INPUT -s 10.0.0.0/8 -p tcp --dport 1494 -j ACCEPT\n';
  const ipt = `*filter\n${rule.repeat(Math.ceil((50 * 1024 * 1024) / rule.length))}COMMIT\n`;
  const block = 'resource "aws_security_group" "sg" {\n  ingress {\n    from_port = 1494\n    to_port = 1494\n    protocol = "tcp"\n    cidr_blocks = ["10.0.0.0/8"]\n  }\n}\n';
  const tf = block.repeat(Math.ceil((50 * 1024 * 1024) / block.length));
  for (const [format, text] of [['iptables', ipt], ['terraform', tf]] as const) {
    assert.ok(text.length >= 50 * 1024 * 1024);
    const [parsed, ms] = timed(() => parseAs(format, text, `file:///huge.${format}`));
    assert.ok(ms < HANG_GUARD_MS, `${format}: ${ms.toFixed(0)} ms`);
    assert.equal(parsed.ruleSets.length, 0);
    assert.equal(parsed.problems.length, 1);
    const [p] = parsed.problems;
    assert.equal(p.code, 'limit');
    assert.match(p.message, /^Analysis is limited: this .* file is 5\d\.\d MB, more than the 16\.0 MB Citrix Flow Lint analyses/);
    assert.ok(p.span.start === 0 && p.span.end > 0 && p.span.end <= 200);
  }
});

test('the size limit counts UTF-8 bytes and can be set per call', () => {
  const text = `# ${'é'.repeat(600)}\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\n`;
  assert.equal(parseAs('iptables', text, 'file:///x.rules', { maxAnalyzedBytes: 1000 }).problems[0]?.code, 'limit', '600 characters of é are 1,200 bytes');
  assert.ok(parseAs('iptables', text, 'file:///x.rules', { maxAnalyzedBytes: 2000 }).ruleSets.length > 0);
});

const N = 10_000;
const DEEP: readonly [string, FormatId, string, string][] = [
  ['HCL object nesting', 'terraform', 'tf', `locals {\n  x = ${'{ a = '.repeat(N)}1${' }'.repeat(N)}\n}\n`],
  ['HCL unclosed blocks', 'terraform', 'tf', `resource "aws_security_group" "x" ${'{\n'.repeat(N)}`],
  ['HCL list nesting', 'terraform', 'tf', `locals {\n  x = ${'['.repeat(N)}\n}\n`],
  ['Bicep object nesting', 'bicep', 'bicep', `var x = ${'{\n a: '.repeat(N)}1${'\n}'.repeat(N)}\n`],
  ['Bicep unclosed arrays', 'bicep', 'bicep', `var x = ${'['.repeat(N)}`],
  ['JSON arrays', 'arm', 'json', `${'['.repeat(N)}${']'.repeat(N)}`],
  ['JSON objects', 'arm', 'json', `${'{"a":'.repeat(N)}1${'}'.repeat(N)}`],
  ['nft chains', 'nftables', 'nft', `table inet f {\n${'chain c {\n'.repeat(N)}${'}\n'.repeat(N + 1)}`],
  ['nft sets', 'nftables', 'nft', `table inet f { chain c { ip saddr ${'{ '.repeat(N)}10.0.0.1${' }'.repeat(N)} accept } }`],
  ['PowerShell arrays', 'windows-firewall', 'ps1', `New-NetFirewallRule -DisplayName x -RemoteAddress ${'@('.repeat(N)}'1.2.3.4'${')'.repeat(N)}`],
  ['PowerShell hashtables', 'windows-firewall', 'ps1', `$a = ${'@{ b = '.repeat(N)}1${' }'.repeat(N)}\nNew-NetFirewallRule @a`],
  ['shell substitutions', 'iptables', 'sh', `iptables -A INPUT ${'$('.repeat(N)}${')'.repeat(N)} -j ACCEPT`],
  ['ASA self-nested groups', 'asa', 'asa', `object-group network g\n${' group-object g\n'.repeat(N)}access-list a extended permit ip object-group g any\n`],
];
for (const [what, format, ext, text] of DEEP) {
  test(`deep nesting (${what}, ${N} levels): no exception, no internal error, valid spans, bounded time`, () => {
    const failure = checkInput(format, `file:///deep.${ext}`, text, HANG_GUARD_MS);
    assert.equal(failure, undefined, `${failure?.kind}: ${failure?.message}`);
  });
}

function hostile(): [string, string][] {
  // A deterministic pseudo-random byte stream: the same "binary file" every run.
  let seed = 12345;
  const bytes = Buffer.alloc(64 * 1024);
  for (let i = 0; i < bytes.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    bytes[i] = seed >> 16;
  }
  const invalidUtf8 = Buffer.from([0x2d, 0x41, 0x20, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0xff, 0xfe, 0x0a]);
  const rules = '-A INPUT -p tcp --dport 1494 -j ACCEPT\n';
  return [
    ['binary (as UTF-8)', bytes.toString('utf8')],
    ['binary (as Latin-1)', bytes.toString('latin1')],
    ['invalid UTF-8', `*filter\n${invalidUtf8.toString('utf8').repeat(50)}COMMIT\n`],
    ['lone surrogates', `\ud800 resource "x" "y" {\udc00}\n\udbff`],
    ['NUL bytes', `*filter\n-A INPUT\0 -p tcp\0\0 --dport 1494 -j ACCEPT\nCOMMIT\n\0`],
    ['10,000-character lines', `# ${'x'.repeat(10_000)}\n-A INPUT -s ${'1'.repeat(10_000)} -j ACCEPT\nresource "a" "${'b'.repeat(10_000)}" {}\n'${'c'.repeat(10_000)}'\n`],
    ['a 10,000-word line', `*filter\n-A INPUT${' -p tcp'.repeat(10_000)} -j ACCEPT\nCOMMIT\n`],
    ['CRLF everywhere', `*filter\r\n${rules.replace('\n', '\r\n').repeat(100)}COMMIT\r\n`],
    ['lone CR line ends', `*filter\r${rules.replace('\n', '\r').repeat(100)}COMMIT\r`],
    ['BOM', `\ufeff*filter\n${rules}COMMIT\n`],
    ['BOM only', '\ufeff'],
    ['empty', ''],
  ];
}

for (const [what, text] of hostile()) {
  test(`hostile input (${what}) in every format: no exception, no internal error, valid spans`, () => {
    for (const [format, ext] of FORMATS) {
      const failure = checkInput(format, `file:///hostile.${ext}`, text, HANG_GUARD_MS);
      assert.equal(failure, undefined, `${format} (.${ext}): ${failure?.kind}: ${failure?.message}`);
    }
  });
}
