import { numberDomain, RangeSet } from './rangeSet';
import type { ParseResult } from './ports';

/** IP protocol numbers (0–255) so "any", "tcp-udp" and numeric protocols share one algebra. */
export const PROTOCOL_DOMAIN = numberDomain(0, 255);
export type ProtocolSet = RangeSet<number>;

export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = {
  icmp: 1,
  igmp: 2,
  ipip: 4,
  tcp: 6,
  egp: 8,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  'ipv6-icmp': 58,
  eigrp: 88,
  ospf: 89,
  pim: 103,
  vrrp: 112,
  sctp: 132,
};

const NAMES_BY_NUMBER = new Map<number, string>([
  [1, 'icmp'],
  [6, 'tcp'],
  [17, 'udp'],
  [58, 'icmpv6'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [132, 'sctp'],
]);

export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;
export const ICMPV6 = 58;

export const Protocols = {
  any: (): ProtocolSet => RangeSet.full(PROTOCOL_DOMAIN),
  none: (): ProtocolSet => RangeSet.empty(PROTOCOL_DOMAIN),
  of: (...numbers: number[]): ProtocolSet => RangeSet.of(PROTOCOL_DOMAIN, numbers.map((n) => ({ from: n, to: n }))),
};

/** Accepts names (`tcp`, `UDP`), numbers (`6`) and the "any" spellings formats use (`*`, `-1`, `all`, `any`, `ip`). */
export function parseProtocol(text: string): ParseResult<ProtocolSet> {
  const t = text.trim().toLowerCase();
  if (t === '*' || t === '-1' || t === 'all' || t === 'any' || t === 'ip') return { ok: true, value: Protocols.any() };
  if (/^\d{1,3}$/.test(t)) {
    const n = Number(t);
    if (n > 255) return { ok: false, error: `protocol number ${n} is above 255` };
    return { ok: true, value: Protocols.of(n) };
  }
  const n = PROTOCOL_NUMBERS[t];
  if (n === undefined) return { ok: false, error: `unknown protocol "${text.trim()}"` };
  return { ok: true, value: Protocols.of(n) };
}

export function protocolName(n: number): string {
  return NAMES_BY_NUMBER.get(n) ?? `protocol ${n}`;
}

export function formatProtocolSet(set: ProtocolSet): string {
  if (set.isFull) return 'any protocol';
  const names: string[] = [];
  for (const r of set.ranges) {
    if (r.to - r.from > 8) names.push(`${r.from}-${r.to}`);
    else for (let n = r.from; n <= r.to; n++) names.push(protocolName(n).toUpperCase());
  }
  return names.join('/');
}
