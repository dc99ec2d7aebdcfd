import type { MatchCondition } from '../model';

/** TCP header flag bits, by the names iptables (upper case) and nft (lower case) give them. */
const BITS: Readonly<Record<string, number>> = { fin: 0x01, syn: 0x02, rst: 0x04, psh: 0x08, ack: 0x10, urg: 0x20, ecn: 0x40, ece: 0x40, cwr: 0x80 };
const ALL = 0xff;

/** A flag list (`FIN,SYN,RST,ACK`, `fin|syn`, `ALL`, `NONE`) as bits; undefined when a name is not a flag. */
export function tcpFlagBits(names: readonly string[]): number | undefined {
  let bits = 0;
  for (const raw of names) {
    const n = raw.trim().toLowerCase();
    if (n === '') continue;
    if (n === 'all') bits |= ALL;
    else if (n === 'none') continue;
    else if (/^0x[0-9a-f]{1,2}$/.test(n)) bits |= Number.parseInt(n, 16);
    else if (BITS[n] !== undefined) bits |= BITS[n];
    else return undefined;
  }
  return bits;
}

/**
 * The first packet of a new TCP connection carries SYN alone, or SYN with
 * ECE and CWR when the client asks for ECN (RFC 3168). A test of the flags is
 * decided for a new flow when both forms give the same answer.
 */
const FIRST_PACKETS = [0x02, 0x02 | 0x40 | 0x80];

/** How `flags & mask == compare` (negated: `!=`) bears on the first packet of a new connection. */
export function firstPacketEffect(test: (flags: number) => boolean): MatchCondition['effect'] {
  const answers = new Set(FIRST_PACKETS.map(test));
  if (answers.size > 1) return 'unknown';
  return answers.has(true) ? 'assume-match' : 'never-matches-new';
}

/** `--tcp-flags MASK COMP` / `--syn` (= `--tcp-flags FIN,SYN,RST,ACK SYN`), with `!` before it. */
export function maskCompareEffect(mask: number, compare: number, negated: boolean): MatchCondition['effect'] {
  return firstPacketEffect((flags) => ((flags & mask) === compare) !== negated);
}
