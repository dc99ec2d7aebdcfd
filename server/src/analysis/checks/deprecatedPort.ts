import { parseCondition, type Catalog, type CatalogFlow, type Condition } from '../../catalog';
import type { Rule } from '../../model';
import { Ports, type PortSet } from '../../net';
import type { Topology } from '../../topology/types';
import { applicability } from '../conditions';
import { portsInWords, protocolsInWords, roleName, shortPurpose } from '../describe';
import { evaluate } from '../evaluate';
import { topologyResolver, windowsProfileOf } from '../required';
import type { CheckDefinition } from './types';
import { admitsStatelessReplies, catalogFlowQuery, fileOf, sentence, portSpan, portsOf, ruleLabel, writtenRule } from './ruleFacts';

type VersionCondition = Extract<Condition, { kind: 'version' }>;

function versionConditions(flow: CatalogFlow): VersionCondition[] {
  return flow.conditions.map(parseCondition).filter((c): c is VersionCondition => c?.kind === 'version');
}

/**
 * Why a flow's port is out of date here, or undefined when it is not: a
 * version window that excludes the declared version (with no version
 * declared we cannot tell, so nothing is said).
 *
 * The seed's "this use of port 89 might change in future releases" is not
 * a finding: the rule is right today, and a note on every correct Local
 * Host Cache rule (and on `generate`'s own output) is noise nobody acts on.
 * The port's hover quotes the seed's words instead.
 */
function deprecation(flow: CatalogFlow, catalog: Catalog, topology: Topology): { kind: 'version'; product: string; declared: string; window: string } | undefined {
  for (const text of flow.conditions) {
    const c = parseCondition(text);
    if (c?.kind !== 'version') continue;
    const declared = topology.versions.get(c.product);
    if (!declared) continue;
    const holds = applicability({ ...flow, conditions: [text], protocolConditions: {} }, catalog, topology).applies;
    if (!holds) return { kind: 'version', product: c.product, declared, window: `${c.op === '<=' ? 'up to' : c.op === '>=' ? 'from' : c.op} ${c.version}` };
  }
  return undefined;
}

const stillNeededCache = new WeakMap<Topology, WeakMap<readonly CatalogFlow[], Map<CatalogFlow, PortSet>>>();

/** Ports the other applicable, current flows of `own` (one role's flows on one side) use; the same for every rule set bound to the role. */
function stillNeededPorts(own: readonly CatalogFlow[], flow: CatalogFlow, catalog: Catalog, topology: Topology): PortSet {
  let byList = stillNeededCache.get(topology);
  if (!byList) stillNeededCache.set(topology, (byList = new WeakMap()));
  let byFlow = byList.get(own);
  if (!byFlow) byList.set(own, (byFlow = new Map()));
  let ports = byFlow.get(flow);
  if (!ports) {
    ports = Ports.none();
    for (const other of own) {
      if (other !== flow && !deprecation(other, catalog, topology) && applicability(other, catalog, topology).applies) ports = ports.union(Ports.of(other.ports));
    }
    byFlow.set(flow, ports);
  }
  return ports;
}

/** The flow between the same roles that the declared version uses instead (WEM 8288 for 8285). */
function replacementFor(flow: CatalogFlow, product: string, catalog: Catalog, topology: Topology): CatalogFlow | undefined {
  return catalog.flows.find(
    (f) =>
      f !== flow &&
      f.source === flow.source &&
      f.destination === flow.destination &&
      versionConditions(f).some((c) => c.product === product) &&
      applicability(f, catalog, topology).applies,
  );
}

export const deprecatedPort: CheckDefinition = {
  id: 'deprecated-port',
  title: 'Port outside its version window',
  summary: 'A rule opens a Citrix port the declared product version no longer uses (WEM 8285 from 1912 on, 8288 up to 1909).',
  defaultSeverity: 'warning',
  scope: 'file',
  needsRoles: true,
  run(context) {
    const { catalog, topology } = context;
    const resolve = topologyResolver(topology);
    const findings: ReturnType<CheckDefinition['run']>[number][] = [];
    const seen = new Set<string>();
    for (const bound of context.bound) {
      for (const role of bound.roles) {
        for (const side of ['inbound', 'outbound'] as const) {
          const own = catalog.flowsForRole(role, side);
          for (const flow of own) {
            const why = deprecation(flow, catalog, topology);
            if (!why) continue;
            const query = catalogFlowQuery(flow, bound, role, side, topology);
            if (!query) continue;
            // A port some applicable flow of this role still needs is not out of date for it.
            const stillNeeded = stillNeededPorts(own, flow, catalog, topology);
            const result = evaluate(bound.ruleSet, query, { resolve, profile: windowsProfileOf(topology, [role]) });
            const open = new Map<Rule, PortSet>();
            for (const d of result.decisions) {
              const rule = d.outcome === 'allow' ? writtenRule(bound.file, d) : undefined;
              if (rule && !admitsStatelessReplies(bound.ruleSet, rule)) open.set(rule, (open.get(rule) ?? Ports.none()).union(d.part.destinationPorts.difference(stillNeeded)));
            }
            for (const [rule, ports] of open) {
              for (const port of portsOf(ports, 8)) {
                const key = `${bound.file.uri}#${bound.ruleSet.id}#${rule.id}#${port}`;
                if (seen.has(key)) continue;
                seen.add(key);
                const between = `${roleName(catalog, flow.source)} → ${roleName(catalog, flow.destination)}`;
                const base = { checkId: 'deprecated-port', uri: fileOf(rule, bound.file, context.allFiles ?? context.files).uri, span: portSpan(rule), flowId: flow.id };
                const common = { port, flowId: flow.id, role, direction: query.direction, ruleSetId: bound.ruleSet.id, ruleId: rule.id };
                const product = catalog.productById(why.product)?.name ?? why.product.toUpperCase();
                const replacement = replacementFor(flow, why.product, catalog, topology);
                findings.push({
                  ...base,
                  message: sentence(
                    `${ruleLabel(fileOf(rule, bound.file, context.allFiles ?? context.files), rule)} opens ${protocolsInWords(flow.protocols)} ${port} for ${between}, which ${product} uses only ${why.window} (${shortPurpose(flow)}); ` +
                    `citrix-flows.yaml declares ${product} ${why.declared}.` +
                    (replacement ? ` That version uses ${protocolsInWords(replacement.protocols)} ${portsInWords(replacement)} (${shortPurpose(replacement)}).` : ''),
                  ),
                  data: {
                    ...common,
                    reason: 'version',
                    product: why.product,
                    declaredVersion: why.declared,
                    ...(replacement ? { replacementFlowId: replacement.id, replacementPort: replacement.ports[0]?.from } : {}),
                  },
                });
              }
            }
          }
        }
      }
    }
    return findings;
  },
};
