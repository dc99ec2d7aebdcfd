// Rules and rule sets written in one line each, for the evaluator's table-driven tests.
import { flow } from '../../server/src/analysis/evaluate';
import { makeRule, type Direction, type Rule, type RuleSet, type RuleTarget, type Semantics } from '../../server/src/model';
import { AddressSet, parsePortRange, parseProtocol, Ports, type PortSet } from '../../server/src/net';

/**
 * A rule written as `allow tcp 10.0.0.0/8 -> any:1494,2598 prio 100 in`.
 * Targets: allow, deny, return, log, jump:CHAIN, goto:CHAIN. Addresses as in `flow()`.
 */
export function rule(spec: string, order: number, extra: Partial<Rule> = {}): Rule {
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s*->\s*(\S+?)(?::([\d,\-*]+))?(?:\s+prio\s+(\d+))?(?:\s+(in|out|fwd))?$/.exec(spec);
  if (!m) throw new Error(`bad rule spec ${spec}`);
  const [, t, proto, src, dst, ports, prio, dir] = m;
  const target: RuleTarget =
    t === 'allow' || t === 'deny'
      ? { kind: t }
      : t === 'return'
        ? { kind: 'return' }
        : t === 'log'
          ? { kind: 'continue', note: 'LOG' }
          : { kind: t.startsWith('jump') ? 'jump' : 'goto', chain: t.split(':')[1] };
  const direction: Direction = dir === 'out' ? 'outbound' : dir === 'fwd' ? 'forward' : 'inbound';
  const f = flow(`in any ${src} -> ${dst}`);
  let dports: PortSet = ports ? Ports.none() : Ports.any();
  for (const p of ports?.split(',') ?? []) dports = dports.union((parsePortRange(p) as { value: PortSet }).value);
  return makeRule({
    id: `r${order}`,
    target,
    direction,
    order,
    span: { start: 0, end: 0 },
    raw: spec,
    protocols: { value: (parseProtocol(proto) as { value: ReturnType<typeof Ports.any> }).value },
    source: { value: f.source },
    destination: { value: f.destination },
    destinationPorts: { value: dports },
    priority: prio ? { value: Number(prio) } : undefined,
    ...extra,
  });
}

export function ruleSet(semantics: Semantics, specs: string[], more: Partial<RuleSet> = {}): RuleSet {
  return {
    id: 'rs',
    name: 'test rules',
    format: 'iptables',
    kind: 'test',
    semantics,
    directions: ['inbound', 'outbound', 'forward'],
    rules: specs.map((s, i) => rule(s, i)),
    defaults: {},
    span: { start: 0, end: 0 },
    ...more,
  };
}

const vnet = AddressSet.parse('10.0.0.0/16');
/** Resolves Azure's VirtualNetwork tag to 10.0.0.0/16 and nothing else. */
export const resolveVnet = { resolve: (s: { name: string }) => (s.name === 'VirtualNetwork' && vnet.ok ? vnet.value : undefined) };
