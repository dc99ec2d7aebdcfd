import type { Catalog, CatalogFlow, CatalogProtocol } from '../../catalog';
import type { Rule } from '../../model';
import { Ports, Protocols, formatPortSet, type PortSet } from '../../net';
import { roleName, shortPurpose } from '../describe';
import { switchProtocolFix } from './fixes/switchProtocol';
import type { CheckDefinition } from './types';
import { GENERAL_SERVICE_PORTS, PROTOCOL_NUMBER, admitsStatelessReplies, allRuleLists, citrixPorts, crossesNetwork, fileOf, portSpan, ruleLabel, sentence } from './ruleFacts';

/**
 * Ports a rule may open for something other than Citrix: general services
 * (SSH, RDP — which also runs over UDP —, SNMP, RADIUS, …) and services that
 * use either protocol (IPMI on UDP 623, NFS, iSCSI, PXE, NetFlow, Corosync,
 * web proxies). A rule on one of them is not plainly a Citrix rule, so the
 * catalog listing one protocol says nothing about it.
 */
const NOT_ONLY_CITRIX = GENERAL_SERVICE_PORTS.union(
  Ports.of([
    { from: 623, to: 623 },
    { from: 2049, to: 2049 },
    { from: 2055, to: 2055 },
    { from: 3260, to: 3260 },
    { from: 4011, to: 4011 },
    { from: 5404, to: 5405 },
    { from: 8000, to: 8000 },
    { from: 8080, to: 8080 },
    { from: 8443, to: 8443 },
  ]),
);

const OTHER: Readonly<Record<'tcp' | 'udp', 'tcp' | 'udp'>> = { tcp: 'udp', udp: 'tcp' };

interface OneProtocolPorts {
  /** Ports that catalog flows use over `only` and no catalog flow uses over the other protocol. */
  readonly ports: PortSet;
  /** The flows on those ports, to name the Citrix use in the message. */
  readonly flows: readonly CatalogFlow[];
}

const cache = new WeakMap<Catalog, Map<CatalogProtocol, OneProtocolPorts>>();

/** Ports the catalog lists only over `only` (TCP-only or UDP-only Citrix ports), general services left out. */
function onlyOver(catalog: Catalog, only: 'tcp' | 'udp'): OneProtocolPorts {
  let byProtocol = cache.get(catalog);
  if (!byProtocol) cache.set(catalog, (byProtocol = new Map()));
  let found = byProtocol.get(only);
  if (!found) {
    let mine = Ports.none();
    let other = Ports.none();
    const flows: CatalogFlow[] = [];
    for (const flow of catalog.flows) {
      if (flow.ports.length === 0 || !crossesNetwork(flow)) continue;
      if (flow.protocols.includes(only)) {
        mine = mine.union(Ports.of(flow.ports));
        flows.push(flow);
      }
      if (flow.protocols.includes(OTHER[only])) other = other.union(Ports.of(flow.ports));
    }
    found = { ports: mine.difference(other).difference(NOT_ONLY_CITRIX), flows };
    byProtocol.set(only, found);
  }
  return found;
}

/** The one protocol of TCP and UDP a rule opens, when it opens exactly that one. */
function singleProtocol(rule: Rule): 'tcp' | 'udp' | undefined {
  for (const p of ['tcp', 'udp'] as const) if (rule.protocols.value.equals(Protocols.of(PROTOCOL_NUMBER[p]))) return p;
  return undefined;
}

/**
 * A rule "plainly targets" a Citrix port when it opens such a port (one the
 * catalog lists only for the other protocol: TCP 16500–16509, TCP 3003) and
 * every other port it opens is a Citrix port of its own protocol (`-p tcp
 * --dports 1494,16500:16509`). A wide range that merely includes a Citrix
 * port (`10000:20000`) is not aimed at it.
 */
function misaimed(rulePorts: PortSet, wrong: OneProtocolPorts, rightHere: PortSet): { ports: PortSet; flows: CatalogFlow[] } | undefined {
  const hit = rulePorts.intersect(wrong.ports);
  if (hit.isEmpty || !rulePorts.difference(hit).isSubsetOf(rightHere)) return undefined;
  return { ports: hit, flows: wrong.flows.filter((f) => Ports.of(f.ports).intersects(hit)) };
}

export const wrongProtocol: CheckDefinition = {
  id: 'wrong-protocol',
  title: 'Citrix port opened in the wrong protocol',
  summary: 'A rule opens a Citrix port only over the protocol the catalog does not list for it (TCP 16500–16509 for HDX audio, which is UDP; TCP 3003 for ADC HA heartbeats, which are UDP).',
  defaultSeverity: 'warning',
  scope: 'file',
  needsRoles: false,
  fixes: switchProtocolFix,
  run(context) {
    const { catalog } = context;
    const findings: ReturnType<CheckDefinition['run']>[number][] = [];
    for (const file of context.files) {
      for (const ruleSet of file.ruleSets) {
        for (const list of allRuleLists(ruleSet)) {
          for (const rule of list) {
            if (rule.implicit || !rule.enabled.value || rule.target.kind !== 'allow' || rule.destinationPorts.value.isFull) continue;
            if (admitsStatelessReplies(ruleSet, rule)) continue;
            const opened = singleProtocol(rule);
            if (!opened) continue;
            const meant = OTHER[opened];
            const wrong = misaimed(rule.destinationPorts.value, onlyOver(catalog, meant), citrixPorts(catalog, opened));
            if (!wrong) continue;
            const owner = fileOf(rule, file, context.allFiles ?? context.files);
            const first = wrong.flows[0];
            const receivers = [...new Set(wrong.flows.map((f) => roleName(catalog, f.destination)))].slice(0, 3).join(', ');
            const ports = formatPortSet(wrong.ports, '–');
            const whole = wrong.ports.equals(rule.destinationPorts.value);
            findings.push({
              checkId: 'wrong-protocol',
              uri: owner.uri,
              span: rule.protocols.span ?? portSpan(rule),
              message: sentence(
                `${ruleLabel(owner, rule)} opens ${opened.toUpperCase()} ${ports}, which Citrix uses only over ${meant.toUpperCase()} (${first ? `${shortPurpose(first)}, to ${receivers}` : receivers}). ` +
                  `${opened.toUpperCase()} there carries no Citrix traffic, and this rule does not open ${meant.toUpperCase()} ${ports}` +
                  (whole ? '.' : `; its other ports are right for ${opened.toUpperCase()}, so open ${meant.toUpperCase()} ${ports} in a rule of its own rather than switching this one.`),
              ),
              flowId: first?.id,
              data: {
                ruleSetId: ruleSet.id,
                ruleId: rule.id,
                opened,
                meant,
                ports: wrong.ports.ranges.map((r) => ({ from: r.from, to: r.to })),
                // Switching the protocol is right only when every port of the rule is one it meant for the other protocol.
                switchable: whole,
              },
            });
          }
        }
      }
    }
    return findings;
  },
};
