import { formatPortSet, formatProtocolSet } from '../../server/src/net';
import { LineIndex } from '../../server/src/model/build';
import type { Field, ParsedFile, Rule, RuleSet, Span } from '../../server/src/model/types';

/**
 * A readable, stable JSON picture of what a parser produced, used by the
 * fixture tests (input file beside its expected snapshot). Lines are 1-based
 * so a person can check them against the editor.
 */
export function snapshotParsedFile(file: ParsedFile): unknown {
  const lines = new LineIndex(file.text);
  const at = (span?: Span): string | undefined => {
    if (!span) return undefined;
    const s = lines.positionAt(span.start);
    const e = lines.positionAt(span.end);
    return `${s.line + 1}:${s.character + 1}-${e.line + 1}:${e.character + 1}`;
  };
  const rule = (r: Rule): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      id: r.id,
      at: r.implicit ? 'implicit' : at(r.span),
      target: r.target.kind === 'jump' || r.target.kind === 'goto' ? `${r.target.kind} ${r.target.chain}` : r.target.kind,
      direction: r.direction,
      protocols: formatProtocolSet(r.protocols.value),
      source: r.source.value.toString(),
      destination: r.destination.value.toString(),
    };
    if (!r.sourcePorts.value.isFull) out.sourcePorts = formatPortSet(r.sourcePorts.value);
    if (!r.destinationPorts.value.isFull) out.destinationPorts = formatPortSet(r.destinationPorts.value);
    if (r.priority) out.priority = r.priority.value;
    if (!r.enabled.value) out.enabled = false;
    if (r.conditions.length) out.conditions = r.conditions.map((c) => `${c.kind}: ${c.text} (${c.effect})`);
    if (r.unresolved.length) out.unresolved = r.unresolved.map((u) => `${u.text}: ${u.reason}`);
    const fieldSpans: Record<string, string | undefined> = {};
    const note = (name: string, f: Field<unknown>): void => {
      if (f.span) fieldSpans[name] = at(f.span);
    };
    note('protocols', r.protocols);
    note('source', r.source);
    note('destination', r.destination);
    note('destinationPorts', r.destinationPorts);
    if (Object.keys(fieldSpans).length) out.fieldSpans = fieldSpans;
    return out;
  };
  const ruleSet = (rs: RuleSet): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      id: rs.id,
      name: rs.name,
      kind: rs.kind,
      semantics: rs.semantics,
      directions: rs.directions,
      at: at(rs.span),
      defaults: Object.fromEntries(Object.entries(rs.defaults).map(([d, a]) => [d, a?.value])),
    };
    if (rs.stage) out.stage = rs.stage;
    if (rs.routedThrough?.length) out.routedThrough = rs.routedThrough.map((r) => ({ ruleSet: r.ruleSet, peers: r.peers.toString(), via: r.via }));
    if (rs.families) out.families = rs.families;
    if (rs.rulesDirection) out.rulesDirection = rs.rulesDirection;
    if (rs.appliesTo?.length) out.appliesTo = rs.appliesTo;
    out.rules = rs.rules.map(rule);
    if (rs.chains && Object.keys(rs.chains).length) {
      out.chains = Object.fromEntries(Object.entries(rs.chains).map(([name, rules]) => [name, rules.map(rule)]));
    }
    return out;
  };
  return {
    format: file.format,
    ruleSets: file.ruleSets.map(ruleSet),
    problems: file.problems.map((p) => ({ code: p.code, severity: p.severity, at: at(p.span), message: p.message })),
  };
}
