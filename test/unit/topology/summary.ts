import { LineIndex, type Span } from '../../../server/src/model';
import type { Topology, TopologyProblem } from '../../../server/src/topology';

/** `3:5-3:14`, 1-based, as an editor shows it; readable in snapshots and tables. */
export function at(text: string, span: Span): string {
  const lines = new LineIndex(text);
  const s = lines.positionAt(span.start);
  const e = lines.positionAt(span.end);
  return `${s.line + 1}:${s.character + 1}-${e.line + 1}:${e.character + 1}`;
}

export function problemSummary(text: string, p: TopologyProblem): Record<string, string> {
  return {
    code: p.code,
    severity: p.severity,
    at: at(text, p.span),
    source: text.slice(p.span.start, p.span.end).split(/\r?\n/)[0],
    message: p.message,
    ...(p.suggestion === undefined ? {} : { suggestion: p.suggestion }),
  };
}

/** Everything a Topology holds, in plain JSON with positions as text. */
export function topologySummary(text: string, t: Topology): unknown {
  return {
    roles: Object.fromEntries(
      [...t.roles.values()].map((r) => [
        r.id,
        {
          ...(r.displayName === undefined ? {} : { name: r.displayName }),
          addresses: r.addresses.toStrings(),
          symbols: r.addresses.symbols.map((s) => `${s.kind}:${s.name}`),
          entries: r.addressEntries.map((e) => `${e.text} @${at(text, e.span)}`),
          declaredAt: at(text, r.declaredAt.span),
        },
      ]),
    ),
    ...(t.machines?.size ? { machines: Object.fromEntries([...t.machines.values()].map((m) => [m.name, { ...(m.kind ? { kind: m.kind } : {}), roles: m.roles, at: at(text, m.declaredAt.span) }])) } : {}),
    features: Object.fromEntries(t.features),
    versions: Object.fromEntries(t.versions),
    networks: Object.fromEntries([...t.networks].map(([k, v]) => [k, v.toStrings()])),
    bindings: t.bindings.map((b) => ({ files: b.files, ruleSet: b.ruleSet, roles: b.roles, at: at(text, b.declaredAt.span) })),
    interfaces: t.interfaces.map((i) => ({ name: i.name, files: i.files, roles: i.roles, at: at(text, i.declaredAt.span) })),
    checks: Object.fromEntries(t.checks),
    problems: t.problems.map((p) => problemSummary(text, p)),
  };
}
