import type { Catalog, CatalogFlow, CatalogProtocol } from '../catalog';
import type { Rule, Span } from '../model';
import { TCP, UDP, ICMP, type ProtocolSet } from '../net';

/**
 * Short service names for inlay hints and completion. Only ports whose
 * meaning in a Citrix site is unambiguous get one; 443, 80 and the like are
 * used by dozens of flows, so the hover (which lists them) is the place for
 * those. `short` is the inlay hint: a word or two, so a compact port list
 * (`--dports 1494,2598,16500:16509`) stays readable.
 */
const CITRIX_PORT_NAMES: readonly { from: number; to: number; name: string; short: string }[] = [
  { from: 1494, to: 1494, name: 'ICA/HDX', short: 'ICA' },
  { from: 2598, to: 2598, name: 'ICA Session Reliability (CGP)', short: 'CGP' },
  { from: 8008, to: 8008, name: 'ICA for the HTML5 client', short: 'ICA HTML5' },
  { from: 16500, to: 16509, name: 'HDX audio over UDP (RTP)', short: 'HDX audio' },
  { from: 27000, to: 27000, name: 'Citrix License Server', short: 'License' },
  { from: 7279, to: 7279, name: 'Citrix license vendor daemon', short: 'License daemon' },
  { from: 8082, to: 8082, name: 'License Administration Console', short: 'License console' },
  { from: 8083, to: 8083, name: 'Simple License Service', short: 'License service' },
  { from: 9095, to: 9095, name: 'Delivery Controller orchestration', short: 'Orchestration' },
  { from: 9001, to: 9001, name: 'HDX video / browser content WebSocket', short: 'HDX WebSocket' },
  { from: 808, to: 808, name: 'StoreFront subscription replication', short: 'SF replication' },
  { from: 8284, to: 8284, name: 'WEM administration', short: 'WEM admin' },
  { from: 8285, to: 8285, name: 'WEM cache sync (≤ 1909)', short: 'WEM sync ≤1909' },
  { from: 8286, to: 8286, name: 'WEM agent service', short: 'WEM agent' },
  { from: 8287, to: 8287, name: 'WEM monitoring', short: 'WEM monitoring' },
  { from: 8288, to: 8288, name: 'WEM cached data sync (≥ 1912)', short: 'WEM sync' },
  { from: 6890, to: 6909, name: 'PVS inter-server', short: 'PVS servers' },
  { from: 6910, to: 6930, name: 'PVS streaming', short: 'PVS streaming' },
  { from: 6969, to: 6969, name: 'PVS two-stage boot', short: 'PVS boot' },
  { from: 54321, to: 54323, name: 'PVS SOAP / console', short: 'PVS console' },
  { from: 3008, to: 3008, name: 'ADC HA sync (secure)', short: 'ADC HA sync' },
  { from: 3009, to: 3009, name: 'ADC HA sync (secure)', short: 'ADC HA sync' },
  { from: 3003, to: 3003, name: 'ADC HA heartbeat', short: 'ADC HA' },
  { from: 4980, to: 4980, name: 'SD-WAN virtual path', short: 'SD-WAN' },
  { from: 9350, to: 9354, name: 'Citrix Cloud host management', short: 'Cloud mgmt' },
];

function namedPort(from: number, to: number): { name: string; short: string } | undefined {
  return CITRIX_PORT_NAMES.find((p) => p.from === from && p.to === to) ?? (from === to ? CITRIX_PORT_NAMES.find((p) => p.from <= from && from <= p.to) : undefined);
}

export function citrixPortName(from: number, to: number = from): string | undefined {
  return namedPort(from, to)?.name;
}

export function citrixPortShortName(from: number, to: number = from): string | undefined {
  return namedPort(from, to)?.short;
}

/** Ports with a service name, for completion in port fields. */
export function namedCitrixPorts(): readonly { from: number; to: number; name: string }[] {
  return CITRIX_PORT_NAMES;
}

export interface PortToken {
  readonly span: Span;
  readonly from: number;
  readonly to: number;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const RANGE_SEPARATORS = new Set(['-', ':', '–']);

/**
 * The port number or range (`1494`, `16500-16509`, `16500:16509`) the offset
 * is in, or undefined. A number that is part of an address (`10.0.0.5`,
 * `/24`) is not a port.
 */
export function portTokenAt(text: string, offset: number, within?: Span): PortToken | undefined {
  const lo = within?.start ?? 0;
  const hi = within?.end ?? text.length;
  let start = offset;
  let end = offset;
  while (start > lo && isDigit(text.charCodeAt(start - 1))) start--;
  while (end < hi && isDigit(text.charCodeAt(end))) end++;
  if (start === end) return undefined;
  // A range: extend over the separator to the other number.
  if (end < hi - 1 && RANGE_SEPARATORS.has(text[end]) && isDigit(text.charCodeAt(end + 1))) {
    let e = end + 1;
    while (e < hi && isDigit(text.charCodeAt(e))) e++;
    end = e;
  } else if (start > lo + 1 && RANGE_SEPARATORS.has(text[start - 1]) && isDigit(text.charCodeAt(start - 2))) {
    let s = start - 1;
    while (s > lo && isDigit(text.charCodeAt(s - 1))) s--;
    start = s;
  }
  const before = start > 0 ? text[start - 1] : '';
  const after = end < text.length ? text[end] : '';
  if (before === '.' || after === '.' || before === '/' || (after === '/' && isDigit(text.charCodeAt(end + 1)))) return undefined;
  const word = text.slice(start, end);
  let sep = -1;
  for (let i = 0; i < word.length; i++) if (!isDigit(word.charCodeAt(i))) sep = i;
  const from = Number(sep < 0 ? word : word.slice(0, sep));
  const to = Number(sep < 0 ? word : word.slice(sep + 1));
  if (!Number.isInteger(from) || !Number.isInteger(to) || from > 65535 || to > 65535 || from > to) return undefined;
  return { span: { start, end }, from, to };
}

export function protocolsOf(set: ProtocolSet): CatalogProtocol[] | undefined {
  if (set.isFull) return undefined;
  const out: CatalogProtocol[] = [];
  if (set.has(TCP)) out.push('tcp');
  if (set.has(UDP)) out.push('udp');
  if (set.has(ICMP)) out.push('icmp');
  return out;
}

/** Catalog flows on any port of from–to, over the given protocols (all when undefined). */
export function flowsOnPorts(catalog: Catalog, from: number, to: number, protocols?: readonly CatalogProtocol[]): CatalogFlow[] {
  const hits = from === to ? catalog.flowsOnPort(from) : catalog.flows.filter((f) => f.ports.some((r) => r.from <= to && from <= r.to));
  return protocols ? hits.filter((f) => f.protocols.some((p) => protocols.includes(p))) : hits;
}

/** The port fields of a rule whose span holds the offset, with the port token there. */
export function portFieldAt(rule: Rule, text: string, offset: number): { field: 'destinationPorts' | 'sourcePorts'; token?: PortToken } | undefined {
  for (const field of ['destinationPorts', 'sourcePorts'] as const) {
    const span = rule[field].span;
    if (span && span.start <= offset && offset <= span.end) return { field, token: portTokenAt(text, offset, span) };
  }
  return undefined;
}
