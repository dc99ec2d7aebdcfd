import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  AddressSet,
  formatIPv4,
  formatIPv6,
  formatPortSet,
  numberDomain,
  parseAddressBlock,
  parseIPv6,
  parsePortRange,
  parseProtocol,
  RangeSet,
} from '../../../server/src/net';

const SMALL = numberDomain(0, 63);
const smallSet = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 })), { maxLength: 6 })
  .map((pairs) => RangeSet.of(SMALL, pairs.map(([a, b]) => ({ from: a, to: b }))));
const members = (s: RangeSet<number>): Set<number> => new Set([...Array(64).keys()].filter((v) => s.has(v)));
const brute = (s: RangeSet<number>): Set<number> => {
  const out = new Set<number>();
  for (const r of s.ranges) for (let v = r.from; v <= r.to; v++) out.add(v);
  return out;
};
const runs = { numRuns: 1000, seed: 424242 };

test('range sets obey the set laws and agree with brute force', () => {
  fc.assert(
    fc.property(smallSet, smallSet, smallSet, (a, b, c) => {
      const A = brute(a);
      const B = brute(b);
      assert.deepEqual(members(a), A, 'has() agrees with the ranges');
      assert.deepEqual(brute(a.union(b)), new Set([...A, ...B]));
      assert.deepEqual(brute(a.intersect(b)), new Set([...A].filter((v) => B.has(v))));
      assert.deepEqual(brute(a.difference(b)), new Set([...A].filter((v) => !B.has(v))));
      assert.equal(a.isSubsetOf(b), [...A].every((v) => B.has(v)));
      assert.ok(a.union(b).equals(b.union(a)), 'union commutes');
      assert.ok(a.intersect(b.union(c)).equals(a.intersect(b).union(a.intersect(c))), 'intersection distributes');
      assert.ok(a.complement().complement().equals(a), 'double complement');
      assert.ok(a.union(b).complement().equals(a.complement().intersect(b.complement())), 'De Morgan');
      assert.equal(a.intersects(b), [...A].some((v) => B.has(v)));
      assert.ok(a.difference(a.complement()).equals(a), 'a minus what it is not is a');
      assert.ok(a.intersect(a.complement()).isEmpty && a.difference(a).isEmpty);
      // Normal form, of what is read and of every result: sorted, disjoint and not adjacent.
      for (const s of [a, a.union(b), a.intersect(b), a.difference(b), a.complement()]) {
        for (let i = 1; i < s.ranges.length; i++) assert.ok(s.ranges[i].from > s.ranges[i - 1].to + 1, `normal form of ${JSON.stringify(s.ranges)}`);
        for (const r of s.ranges) assert.ok(r.from <= r.to && r.from >= 0 && r.to <= 63);
      }
    }),
    runs,
  );
});

test('range sets read from ranges hold exactly the integers written, whatever their order, direction or overflow', () => {
  // Ranges as parsers hand them: unsorted, backwards (to < from), overlapping, adjacent, and past the domain.
  const written = fc.array(fc.tuple(fc.integer({ min: -10, max: 73 }), fc.integer({ min: -10, max: 73 })), { maxLength: 8 });
  fc.assert(
    fc.property(written, (pairs) => {
      const set = RangeSet.of(SMALL, pairs.map(([a, b]) => ({ from: a, to: b })));
      const expected = new Set<number>();
      for (const [a, b] of pairs) for (let v = Math.max(0, Math.min(a, b)); v <= Math.min(63, Math.max(a, b)); v++) expected.add(v);
      assert.deepEqual(brute(set), expected, JSON.stringify(pairs));
      for (let i = 1; i < set.ranges.length; i++) assert.ok(set.ranges[i].from > set.ranges[i - 1].to + 1, `normal form of ${JSON.stringify(set.ranges)}`);
      for (const r of set.ranges) assert.ok(r.from >= 0 && r.to <= 63 && r.from <= r.to);
      assert.equal(set.isEmpty, expected.size === 0);
      assert.equal(set.isFull, expected.size === 64);
    }),
    runs,
  );
});

test('IPv4 CIDRs round-trip through formatting', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (addr, prefix) => {
      const set = AddressSet.parse(`${formatIPv4(addr)}/${prefix}`);
      assert.ok(set.ok);
      const back = AddressSet.parseList(set.value.toStrings());
      assert.ok(back.ok);
      assert.ok(back.value.equals(set.value));
    }),
    runs,
  );
});

test('IPv6 addresses round-trip through canonical text', () => {
  fc.assert(
    fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (value) => {
      const text = formatIPv6(value);
      const parsed = parseIPv6(text);
      assert.ok(parsed.ok);
      assert.equal(parsed.value, value);
    }),
    runs,
  );
});

test('address parsing: good and bad input', () => {
  const cases: [string, string | RegExp][] = [
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['0.0.0.0', '0.0.0.0'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['10.0.0.1-10.0.0.6', '10.0.0.1, 10.0.0.2/31, 10.0.0.4/31, 10.0.0.6'],
    ['2001:db8::/32', '2001:db8::/32'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['any', 'any'],
    ['10.0.0.256/24', /256 is above 255/],
    ['10.0.0.0/33', /at most 32/],
    ['::gggg', /not a hex group/],
    ['10.0.0.0/8 ', /white space/],
    ['10.0.0', /four dotted/],
    ['1::2::3', /"::" may appear once/],
    ['2001:db8::/129', /at most 128/],
    ['', /empty/],
  ];
  for (const [input, expected] of cases) {
    const r = AddressSet.parse(input);
    if (typeof expected === 'string') {
      assert.ok(r.ok, `${input}: ${!r.ok && r.error}`);
      assert.equal(r.value.toString(), expected, input);
    } else {
      assert.ok(!r.ok, `${input} should fail`);
      assert.match(r.error, expected, input);
    }
  }
  assert.ok(!parseAddressBlock('10.0.0.9-10.0.0.1').ok, 'backwards range');
});

test('address sets with symbols stay unknown until resolved', () => {
  const vnet = AddressSet.symbol('service-tag', 'VirtualNetwork');
  assert.equal(vnet.isConcrete, false);
  const range = (text: string): AddressSet => {
    const r = AddressSet.parse(text);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  const resolved = vnet.resolve((s) => (s.name === 'VirtualNetwork' ? range('10.0.0.0/16') : undefined));
  assert.equal(resolved.toString(), '10.0.0.0/16');
  const negated = vnet.complement().resolve(() => range('10.0.0.0/8'));
  assert.ok(negated.isConcrete);
  assert.equal(negated.v4.has(0x0a000001), false);
  assert.equal(negated.v4.has(0x0b000001), true);
});

test('ports and protocols', () => {
  const table: [string, string][] = [
    ['1494', '1494'],
    ['16500-16509', '16500-16509'],
    ['*', 'any'],
  ];
  for (const [input, expected] of table) {
    const r = parsePortRange(input, ['-', ':']);
    assert.ok(r.ok);
    assert.equal(formatPortSet(r.value), expected);
  }
  const colon = parsePortRange('6000:6010', [':']);
  assert.ok(colon.ok && formatPortSet(colon.value) === '6000-6010');
  assert.ok(!parsePortRange('70000').ok);
  assert.ok(!parsePortRange('20-10').ok);
  assert.ok(!parsePortRange('http').ok);
  for (const p of ['-1', 'all', '*', 'Any']) assert.ok((parseProtocol(p) as { value: RangeSet<number> }).value.isFull, p);
  const tcp = parseProtocol('Tcp');
  assert.ok(tcp.ok && tcp.value.has(6) && !tcp.value.has(17));
  assert.ok(!parseProtocol('tcpx').ok);
  assert.ok(!parseProtocol('300').ok);
});
