import { Ports, type PortSet } from '../net';
import type { Decision, EvaluationResult, FlowQuery } from './evaluate';

const PORTFUL = [6, 17, 132];

/**
 * A flow to a peer whose addresses nobody declared, judged as "is it
 * allowed from (to) anywhere at all?": each protocol and port of the flow is
 * allowed when some address gets through, and missing only when every
 * address is blocked. The evaluation was made with the peer as any address;
 * this reads its decisions that way.
 */
export function fromSomeSource(result: EvaluationResult, query: FlowQuery): EvaluationResult {
  if (result.verdict === 'allowed' || result.verdict === 'denied') return result;
  const allows = result.decisions.filter((d) => d.outcome === 'allow');
  const protocols: number[] = [];
  for (const r of query.protocols.ranges) for (let p = r.from; p <= r.to && protocols.length < 8; p++) protocols.push(p);
  let allAllowed = true;
  let someAllowed = false;
  const residual: { protocol: number; ports: PortSet }[] = [];
  for (const protocol of protocols) {
    const portful = PORTFUL.includes(protocol);
    let allowed: PortSet = Ports.none();
    for (const d of allows) if (d.part.protocols.has(protocol)) allowed = allowed.union(portful ? d.part.destinationPorts : query.destinationPorts);
    const wanted = portful ? query.destinationPorts : Ports.any();
    const rest = wanted.difference(allowed);
    if (!allowed.intersect(wanted).isEmpty) someAllowed = true;
    if (!rest.isEmpty) {
      allAllowed = false;
      residual.push({ protocol, ports: rest });
    }
  }
  if (allAllowed) return { ...result, verdict: 'allowed', decisions: allows, decidingRules: uniqueRules(allows) };
  // What stays blocked or unknown: the decisions about the ports no address gets through on.
  const meets = (d: Decision): boolean => residual.some((r) => d.part.protocols.has(r.protocol) && (!PORTFUL.includes(r.protocol) || d.part.destinationPorts.intersects(r.ports)));
  const rest = result.decisions.filter((d) => d.outcome !== 'allow' && meets(d));
  const unknown = rest.some((d) => d.outcome === 'unknown');
  const denied = rest.filter((d) => d.outcome === 'deny');
  const verdict = someAllowed ? 'partial' : unknown ? 'unknown' : 'denied';
  const decisions = [...allows, ...rest];
  const deciding = verdict === 'unknown' ? rest.filter((d) => d.outcome === 'unknown') : denied;
  return { ...result, verdict, decisions, decidingRules: uniqueRules(deciding) };
}

function uniqueRules(decisions: readonly Decision[]): NonNullable<Decision['rule']>[] {
  const out: NonNullable<Decision['rule']>[] = [];
  for (const d of decisions) if (d.rule && !out.includes(d.rule)) out.push(d.rule);
  return out;
}
