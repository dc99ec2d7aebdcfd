import type { CatalogFlow } from '../../catalog';
import type { Direction, Rule } from '../../model';
import { Ports, TCP, type PortSet } from '../../net';
import type { BoundRuleSet } from '../../topology/types';
import type { AnalysisContext } from '../context';
import { portsInWords, protocolsInWords, roleName, shortPurpose } from '../describe';
import { evaluate } from '../evaluate';
import { topologyResolver, windowsProfileOf } from '../required';
import type { CheckDefinition } from './types';
import { securePortFix } from './fixes/securePort';
import { admitsStatelessReplies, catalogFlowQuery, fileOf, sentence, portSpan, portsOf, ruleLabel, writtenRule } from './ruleFacts';

/**
 * The insecure flows a rule set bound to a role could open: the catalog's
 * flows tagged `insecure` that name their secure variant, with the role at
 * either end.
 */
function insecureFlowsFor(flows: readonly CatalogFlow[], role: string, present: (role: string) => boolean): { flow: CatalogFlow; side: 'inbound' | 'outbound' }[] {
  const out: { flow: CatalogFlow; side: 'inbound' | 'outbound' }[] = [];
  for (const flow of flows) {
    if (!flow.tags.includes('insecure') || !flow.secureAlternative) continue;
    // A rule serves a flow only when its peer is at the site: TCP 80 from a VDA is not "Session Recording over
    // HTTP" at a site with no Session Recording server.
    if (flow.destination === role && present(flow.source)) out.push({ flow, side: 'inbound' });
    if (flow.source === role && present(flow.destination)) out.push({ flow, side: 'outbound' });
  }
  return out;
}

/**
 * Ports another required flow of the rule set's roles, in the same
 * direction, needs on this rule: VDA registration is TCP 80 to the
 * Delivery Controllers, so telling users to move that rule to 443 breaks
 * it (also when the same host is StoreFront, whose XML traffic to the
 * Controllers over HTTP is the insecure variant).
 */
function neededByRequired(context: AnalysisContext, bound: BoundRuleSet, direction: Direction, rule: Rule): PortSet {
  let ports = Ports.none();
  for (const c of context.required) {
    if (c.bound.ruleSet !== bound.ruleSet || c.direction !== direction) continue;
    if (c.flow.tags.includes('insecure')) continue;
    for (const d of c.result.decisions) if (d.outcome === 'allow' && d.rule === rule && d.part.protocols.has(TCP)) ports = ports.union(d.part.destinationPorts);
  }
  return ports;
}

/**
 * A rule that opens every port or every protocol is not "the HTTP rule":
 * advising 443 instead of 80 on an allow-all egress rule says nothing
 * useful. A rule between networks (an ASA ACL) that names neither end
 * serves whatever crosses the device, not this flow.
 */
function servesOneFlow(rule: Rule, direction: Direction): boolean {
  if (rule.destinationPorts.value.isFull || rule.protocols.value.isFull) return false;
  if (direction === 'forward' && rule.source.value.isAny && rule.destination.value.isAny) return false;
  return true;
}

export const insecureVariant: CheckDefinition = {
  id: 'insecure-variant',
  title: 'Insecure variant of a Citrix flow open',
  summary: 'A rule opens the non-secure variant of a Citrix flow (HTTP, LDAP, non-secure HA sync) where the seed names a secure one.',
  defaultSeverity: 'warning',
  fixes: securePortFix,
  scope: 'file',
  needsRoles: true,
  run(context) {
    const resolve = topologyResolver(context.topology);
    const findings: ReturnType<CheckDefinition['run']>[number][] = [];
    // One finding per rule and insecure port: three catalog flows use HTTP 80 to StoreFront, one rule opens it once.
    const seen = new Set<string>();
    const present = new Set<string>([...context.topology.roles.keys(), ...(context.boundRoles ?? context.bound.flatMap((b) => b.roles))]);
    for (const bound of context.bound) {
      for (const role of bound.roles) {
        for (const { flow, side } of insecureFlowsFor(context.catalog.flows, role, (r) => present.has(r))) {
          const secure = context.catalog.flowById(flow.secureAlternative as string);
          const query = catalogFlowQuery(flow, bound, role, side, context.topology);
          if (!secure || !query) continue;
          const result = evaluate(bound.ruleSet, query, { resolve, profile: windowsProfileOf(context.topology, [role]) });
          const openPorts = new Map<Rule, ReturnType<typeof Ports.none>>();
          for (const d of result.decisions) {
            if (d.outcome !== 'allow') continue;
            const rule = writtenRule(bound.file, d);
            if (rule && !admitsStatelessReplies(bound.ruleSet, rule)) openPorts.set(rule, (openPorts.get(rule) ?? Ports.none()).union(d.part.destinationPorts));
          }
          for (const [rule, ports] of openPorts) {
            if (!servesOneFlow(rule, query.direction)) continue;
            const needed = neededByRequired(context, bound, query.direction, rule);
            for (const insecurePort of portsOf(ports.difference(needed), 8)) {
              const key = `${bound.file.uri}#${bound.ruleSet.id}#${rule.id}#${insecurePort}`;
              if (seen.has(key)) continue;
              seen.add(key);
              const index = flow.ports.findIndex((r) => r.from <= insecurePort && insecurePort <= r.to);
              const securePort = (secure.ports[index] ?? secure.ports[0])?.from;
              const peer = side === 'inbound' ? flow.source : flow.destination;
              findings.push({
                checkId: 'insecure-variant',
                uri: fileOf(rule, bound.file, context.allFiles ?? context.files).uri,
                span: portSpan(rule),
                message: sentence(
                  `${ruleLabel(fileOf(rule, bound.file, context.allFiles ?? context.files), rule)} opens ${protocolsInWords(flow.protocols)} ${insecurePort}, the non-secure variant of ` +
                  `${roleName(context.catalog, flow.source)} → ${roleName(context.catalog, flow.destination)} (${shortPurpose(flow)}). ` +
                  `Use ${protocolsInWords(secure.protocols)} ${portsInWords(secure)} instead, the seed's secure variant ("${shortPurpose(secure)}").`,
                ),
                flowId: flow.id,
                data: {
                  insecurePort,
                  ...(securePort !== undefined ? { securePort } : {}),
                  secureFlowId: secure.id,
                  flowId: flow.id,
                  role,
                  peerRole: peer,
                  direction: query.direction,
                  ruleSetId: bound.ruleSet.id,
                  ruleId: rule.id,
                },
              });
            }
          }
        }
      }
    }
    return findings;
  },
};
