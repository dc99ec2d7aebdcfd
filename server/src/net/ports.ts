import { numberDomain, RangeSet } from './rangeSet';

export const PORT_DOMAIN = numberDomain(0, 65535);
export type PortSet = RangeSet<number>;

export const Ports = {
  any: (): PortSet => RangeSet.full(PORT_DOMAIN),
  none: (): PortSet => RangeSet.empty(PORT_DOMAIN),
  single: (port: number): PortSet => RangeSet.single(PORT_DOMAIN, port),
  range: (from: number, to: number): PortSet => RangeSet.of(PORT_DOMAIN, [{ from, to }]),
  of: (ranges: Iterable<{ from: number; to: number }>): PortSet => RangeSet.of(PORT_DOMAIN, ranges),
};

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Parses one port or a range written with any of the separators formats use
 * (`1494`, `16500-16509`, `6000:6010`, `16500..16509`). `*` and `any` are the
 * whole port space. Each format decides which spellings it accepts by the
 * separators it passes.
 */
export function parsePortRange(text: string, separators: readonly string[] = ['-']): ParseResult<PortSet> {
  const trimmed = text.trim();
  if (trimmed === '*' || trimmed.toLowerCase() === 'any') return { ok: true, value: Ports.any() };
  for (const sep of separators) {
    const at = trimmed.indexOf(sep);
    if (at > 0) {
      const from = parsePortNumber(trimmed.slice(0, at));
      const to = parsePortNumber(trimmed.slice(at + sep.length));
      if (!from.ok) return from;
      if (!to.ok) return to;
      if (from.value > to.value) return { ok: false, error: `port range "${trimmed}" runs backwards` };
      return { ok: true, value: Ports.range(from.value, to.value) };
    }
  }
  const single = parsePortNumber(trimmed);
  return single.ok ? { ok: true, value: Ports.single(single.value) } : single;
}

export function parsePortNumber(text: string): ParseResult<number> {
  const t = text.trim();
  if (!/^\d{1,5}$/.test(t)) return { ok: false, error: `"${t}" is not a port number` };
  const n = Number(t);
  if (n > 65535) return { ok: false, error: `port ${n} is above 65535` };
  return { ok: true, value: n };
}

export function formatPortSet(ports: PortSet, separator = '-'): string {
  if (ports.isFull) return 'any';
  if (ports.isEmpty) return 'none';
  return ports.ranges.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}${separator}${r.to}`)).join(', ');
}
