import type { CatalogFlow } from '../../catalog';
import type { Rule } from '../../model';
import { Ports } from '../../net';
import { portsInWords, protocolsInWords, roleName, shortPurpose } from '../describe';
import { evaluate } from '../evaluate';
import { topologyResolver, windowsProfileOf } from '../required';
import type { CheckDefinition } from './types';
import { catalogFlowQuery, fileOf, sentence, portSpan, portsOf, ruleLabel, writtenRule } from './ruleFacts';

/**
 * The insecure flows a rule set bound to a role could open: the catalog's
 * flows tagged `insecure` that name their secure variant, with the role at
 * either end.
 */
function insecureFlowsFor(flows: readonly CatalogFlow[], role: string, present: (role: string) => boolean): { flow: CatalogFlow; side: 'inbound' | 'outbound' }[] {
  const out: { flow: CatalogFlow; side: 'inbound' | 'outbound' }[] = [];
  for (const flow of flows) {
    if (!flow.tags.includes('insecure') || !flow.secureAlternative) continue;
    if (flow.destination === role) out.push({ flow, side: 'inbound' });
    if (flow.source === role) out.push({ flow, side: 'outbound' });
  }
  // Several flows share a port (HTTP 80 to StoreFront from users and from the Gateway): name one whose peer is at the site.
  const score = (e: { flow: CatalogFlow; side: string }): number => (present(e.side === 'inbound' ? e.flow.source : e.flow.destination) ? 0 : 1);
  return out.sort((a, b) => score(a) - score(b));
}

export const insecureVariant: CheckDefinition = {
  id: 'insecure-variant',
  title: 'Insecure variant of a Citrix flow open',
  summary: 'A rule opens the non-secure variant of a Citrix flow (HTTP, LDAP, non-secure HA sync) where the seed names a secure one.',
  defaultSeverity: 'warning',
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
            if (rule) openPorts.set(rule, (openPorts.get(rule) ?? Ports.none()).union(d.part.destinationPorts));
          }
          for (const [rule, ports] of openPorts) {
            for (const insecurePort of portsOf(ports, 8)) {
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
