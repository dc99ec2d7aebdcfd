import { bigintDomain, numberDomain, RangeSet } from './rangeSet';
import type { ParseResult } from './ports';

export const IPV4_DOMAIN = numberDomain(0, 0xffffffff);
export const IPV6_DOMAIN = bigintDomain(0n, (1n << 128n) - 1n);
export type Ipv4Set = RangeSet<number>;
export type Ipv6Set = RangeSet<bigint>;

const fail = (error: string): { ok: false; error: string } => ({ ok: false, error });

export function parseIPv4(text: string): ParseResult<number> {
  const parts = text.split('.');
  if (parts.length !== 4) return fail(`"${text}" is not an IPv4 address (expected four dotted numbers)`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return fail(`"${text}" is not an IPv4 address ("${part}" is not a number from 0 to 255)`);
    const octet = Number(part);
    if (octet > 255) return fail(`"${text}" is not an IPv4 address (${octet} is above 255)`);
    value = value * 256 + octet;
  }
  return { ok: true, value };
}

export function parseIPv6(text: string): ParseResult<bigint> {
  let body = text;
  const zone = body.indexOf('%');
  if (zone >= 0) body = body.slice(0, zone);
  let tailV4: number | undefined;
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.') && lastColon >= 0) {
    const v4 = parseIPv4(body.slice(lastColon + 1));
    if (!v4.ok) return fail(`"${text}" is not an IPv6 address (bad embedded IPv4 part)`);
    tailV4 = v4.value;
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const halves = body.split('::');
  if (halves.length > 2) return fail(`"${text}" is not an IPv6 address ("::" may appear once)`);
  const parseGroups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 && head.length !== 8) return fail(`"${text}" is not an IPv6 address (expected eight groups)`);
  if (halves.length === 2 && missing < 1) return fail(`"${text}" is not an IPv6 address (too many groups)`);
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return fail(`"${text}" is not an IPv6 address ("${g}" is not a hex group)`);
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | BigInt(tailV4);
  return { ok: true, value };
}

export function formatIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** RFC 5952 canonical text: lower case, longest run of zero groups (two or more) compressed. */
export function formatIPv6(value: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

export type Cidr4 = { family: 4; from: number; to: number };
export type Cidr6 = { family: 6; from: bigint; to: bigint };

/**
 * One address, a CIDR (`10.0.0.0/8`, `2001:db8::/32`) or a dash range
 * (`10.0.0.1-10.0.0.9`). Host bits set under the mask are accepted, as the
 * firewalls we read accept them; the block is the network that contains them.
 */
export function parseAddressBlock(text: string): ParseResult<Cidr4 | Cidr6> {
  const t = text;
  if (t.trim().length === 0) return fail('empty address');
  // Trailing or embedded garbage is an error, not something to trim away: a
  // stray space in a CIDR usually means two values were glued together.
  if (/\s/.test(t)) return fail(`"${t}" has unexpected white space`);
  const dash = t.indexOf('-');
  if (dash > 0 && !t.includes('/')) {
    const a = parseSingle(t.slice(0, dash));
    const b = parseSingle(t.slice(dash + 1));
    if (!a.ok) return a;
    if (!b.ok) return b;
    if (a.value.family !== b.value.family) return fail(`"${t}" mixes IPv4 and IPv6`);
    if (a.value.from > b.value.from) return fail(`address range "${t}" runs backwards`);
    return { ok: true, value: { ...a.value, to: b.value.to } as Cidr4 | Cidr6 };
  }
  const slash = t.indexOf('/');
  const addrText = slash >= 0 ? t.slice(0, slash) : t;
  const single = parseSingle(addrText);
  if (!single.ok) return single;
  if (slash < 0) return single;
  const prefixText = t.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return fail(`"${t}": "/${prefixText}" is not a prefix length`);
  const prefix = Number(prefixText);
  if (single.value.family === 4) {
    if (prefix > 32) return fail(`"${t}": an IPv4 prefix length is at most 32, not ${prefix}`);
    const size = 2 ** (32 - prefix);
    const from = Math.floor(single.value.from / size) * size;
    return { ok: true, value: { family: 4, from, to: from + size - 1 } };
  }
  if (prefix > 128) return fail(`"${t}": an IPv6 prefix length is at most 128, not ${prefix}`);
  const hostBits = BigInt(128 - prefix);
  const from = (single.value.from >> hostBits) << hostBits;
  return { ok: true, value: { family: 6, from, to: from + (1n << hostBits) - 1n } };
}

function parseSingle(text: string): ParseResult<Cidr4 | Cidr6> {
  if (text.includes(':')) {
    const v6 = parseIPv6(text);
    return v6.ok ? { ok: true, value: { family: 6, from: v6.value, to: v6.value } } : v6;
  }
  const v4 = parseIPv4(text);
  return v4.ok ? { ok: true, value: { family: 4, from: v4.value, to: v4.value } } : v4;
}

/** Smallest list of CIDR blocks that covers exactly [from, to]. */
export function rangeToCidrs4(from: number, to: number): string[] {
  const out: string[] = [];
  let start = from;
  while (start <= to) {
    let size = 1;
    while (start % (size * 2) === 0 && start + size * 2 - 1 <= to && size < 2 ** 32) size *= 2;
    const prefix = 32 - Math.log2(size);
    out.push(`${formatIPv4(start)}/${prefix}`);
    start += size;
  }
  return out;
}

export function rangeToCidrs6(from: bigint, to: bigint): string[] {
  const out: string[] = [];
  let start = from;
  while (start <= to) {
    let bits = 0n;
    while (bits < 128n && (start & ((1n << (bits + 1n)) - 1n)) === 0n && start + (1n << (bits + 1n)) - 1n <= to) bits++;
    out.push(`${formatIPv6(start)}/${128n - bits}`);
    start += 1n << bits;
  }
  return out;
}
