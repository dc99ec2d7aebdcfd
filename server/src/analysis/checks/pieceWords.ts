import type { Catalog, CatalogFlow } from '../../catalog';
import { parseCondition } from '../../catalog';
import { AddressSet, formatPortSet, Ports, protocolName, type PortSet } from '../../net';
import type { FlowPiece } from '../judge';

/** A feature a protocol of the flow exists for, as a mark: UDP 2598 "(EDT)". */
function protocolMark(catalog: Catalog, flow: CatalogFlow, protocol: string): string {
  const conditions = flow.protocolConditions[protocol as keyof typeof flow.protocolConditions] ?? [];
  const labels: string[] = [];
  for (const text of conditions) {
    const c = parseCondition(text);
    if (c?.kind === 'feature') labels.push(c.feature === 'edt' ? 'EDT' : catalog.featureById(c.feature)?.label ?? c.feature);
  }
  return labels.length ? ` (${labels.join(', ')})` : '';
}

/**
 * `TCP 2598`, `TCP/UDP 1494`, `UDP 2598 (EDT)`, `UDP 16505–16509`: exactly
 * the protocols and ports of these pieces, protocols with the same ports
 * said together. `ports` narrows each piece to the ports meant (the blocked
 * ones of a partly open range).
 */
export function piecesInWords(catalog: Catalog, flow: CatalogFlow, pieces: readonly { protocol: number; ports: PortSet }[]): string {
  const byPorts = new Map<string, { protocols: string[]; ports: PortSet }>();
  for (const p of pieces) {
    const name = protocolName(p.protocol);
    const key = p.ports.isFull ? '' : formatPortSet(p.ports, '–');
    const entry = byPorts.get(key) ?? { protocols: [], ports: p.ports };
    if (!entry.protocols.includes(name)) entry.protocols.push(name);
    byPorts.set(key, entry);
  }
  const parts: string[] = [];
  for (const [ports, { protocols }] of byPorts) {
    const mark = protocols.length === 1 ? protocolMark(catalog, flow, protocols[0]) : '';
    parts.push(`${protocols.map((p) => p.toUpperCase()).join('/')}${ports ? ` ${ports}` : ''}${mark}`);
  }
  return parts.join(', ');
}

/** The ports of a piece its allowing decisions leave closed. */
export function blockedPortsOf(piece: FlowPiece): PortSet {
  let open = Ports.none();
  for (const d of piece.decisions) if (d.outcome === 'allow') open = open.union(d.part.destinationPorts);
  return piece.ports.difference(open);
}

const MAX_LISTED = 3;

/**
 * Addresses the way people say them: `anywhere`, `10.20.0.0/24`,
 * `anywhere except 10.20.0.0/24` — never the CIDR fragments of a
 * complement (0.0.0.0/5, 8.0.0.0/7, 10.0.0.0/12, …).
 */
export function addressesInWords(set: AddressSet): string {
  if (set.isAny && set.symbols.length === 0) return 'anywhere';
  const listed = set.toStrings();
  const concrete = AddressSet.of(set.v4, set.v6);
  const missing = AddressSet.any().difference(concrete);
  // Only IPv6 left out of an IPv4 "anywhere": say so in words.
  if (concrete.v4.isFull && concrete.v6.isEmpty && set.symbols.length === 0) return 'any IPv4 address';
  const rest = missing.toStrings().filter((s) => s !== '::/0');
  const v6Missing = missing.v6.isFull;
  if (set.symbols.length === 0 && rest.length > 0 && rest.length <= MAX_LISTED && rest.length < listed.length) {
    return `anywhere${v6Missing ? ' on IPv4' : ''} except ${rest.join(', ')}`;
  }
  if (listed.length <= MAX_LISTED) return listed.join(', ');
  return `${listed.slice(0, MAX_LISTED).join(', ')} and ${listed.length - MAX_LISTED} more`;
}
