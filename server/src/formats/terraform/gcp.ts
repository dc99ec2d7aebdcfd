import { AddressSet, Ports, Protocols, parsePortRange, parseProtocol, type PortSet, type ProtocolSet } from '../../net';
import { makeRule, type Field, type MatchCondition, type RuleSet, type Span, type Unresolved } from '../../model';
import { GCP_DEFAULT_PRIORITY, gcpEndpoints, gcpFirewallRuleSet, type GcpPendingRule } from '../gcp/firewall';
import { attribute, blocksOf, bodyHasError } from './hcl';
import { reasonOf, scalarString, type Value } from './resolve';
import { baseAddress, listItems, resourceInstances, scalar, skipBroken, textOf, type Context, type Item } from './common';

/** `google_compute_firewall` resources, read into GCP's firewall semantics (gcp/firewall.ts). */

interface Network {
  readonly id: string;
  span: Span;
  nameSpan?: Span;
  readonly pending: GcpPendingRule[];
  readonly meta: Record<string, string>;
}

export function gcpRuleSets(ctx: Context): RuleSet[] {
  const networks = new Map<string, Network>();
  const declared = new Map(ctx.resources.filter((r) => r.type === 'google_compute_network').map((r) => [r.address, r]));
  let position = 0;

  for (const r of ctx.resources) {
    if (r.type !== 'google_compute_firewall') continue;
    if (skipBroken(ctx, bodyHasError(r.block.body), r.block.span, r.address)) continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const body = r.block.body;
      const scope = inst.scope;
      const unresolved: Unresolved[] = [...inst.unresolved];
      const conditions: MatchCondition[] = [...inst.conditions];
      const unknown = (what: string, text: string, span: Span, reason: string): void => {
        unresolved.push({ text, span, reason: `${what}: ${reason}` });
        conditions.push({ kind: 'other', text: `${what} = ${text}`, span, effect: 'unknown' });
      };
      const problem = (message: string, span: Span, severity: 'error' | 'warning' = 'error'): void => {
        ctx.problems.push({ code: 'unparsed-rule', severity, span, message: `${inst.address}: ${message}` });
      };

      // Network: a reference to a network resource, a literal name or self link, or text we keep as written.
      const net = scalar(ctx, body, 'network', scope);
      let networkId = 'default';
      if (net?.value.kind === 'ref') networkId = baseAddress(net.value.address);
      else if (net?.value.kind === 'string') networkId = net.value.value;
      else if (net) networkId = net.text;
      let network = networks.get(networkId);
      if (!network) {
        const decl = declared.get(networkId);
        network = { id: networkId, span: decl?.block.span ?? r.block.span, nameSpan: decl?.block.labels[1]?.span, pending: [], meta: { network: net?.text ?? '"default"' } };
        if (decl) network.meta.networkAddress = decl.address;
        if (net && net.value.kind !== 'ref' && net.value.kind !== 'string') network.meta.networkUnresolved = net.value.kind === 'unknown' ? net.value.reason : 'not a name';
        networks.set(networkId, network);
      }

      const nameAttr = scalar(ctx, body, 'name', scope);
      const name = nameAttr && nameAttr.value.kind === 'string' ? nameAttr.value.value : undefined;

      let priority = GCP_DEFAULT_PRIORITY;
      let priorityField: Field<number> = { value: GCP_DEFAULT_PRIORITY };
      const prio = scalar(ctx, body, 'priority', scope);
      if (prio) {
        const t = scalarString(prio.value);
        const n = t === undefined ? NaN : Number(t);
        if (t === undefined) {
          // An unknown priority may put the rule before any other: evaluate it first and let it make verdicts unknown.
          unknown('priority', prio.text, prio.span, reasonOf(prio.value));
          priority = 0;
          priorityField = { value: 0, span: prio.span, text: prio.text };
        } else if (!Number.isInteger(n) || n < 0 || n > 65535) problem(`priority "${t}" is not a whole number 0–65535`, prio.span);
        else {
          priority = n;
          priorityField = { value: n, span: prio.span, text: prio.text };
        }
      }

      let ingress = true;
      const dir = scalar(ctx, body, 'direction', scope);
      if (dir) {
        const t = scalarString(dir.value);
        if (t === undefined) unknown('direction', dir.text, dir.span, reasonOf(dir.value));
        else if (t.toUpperCase() === 'EGRESS') ingress = false;
        else if (t.toUpperCase() !== 'INGRESS') problem(`direction "${t}" is neither INGRESS nor EGRESS`, dir.span);
      }

      let enabled: Field<boolean> = { value: true };
      const disabled = scalar(ctx, body, 'disabled', scope);
      if (disabled) {
        if (disabled.value.kind === 'bool') enabled = { value: !disabled.value.value, span: disabled.span, text: disabled.text };
        else unknown('disabled', disabled.text, disabled.span, reasonOf(disabled.value));
      }

      const addresses = (attr: string, kind: 'cidr' | 'network-tag' | 'service-account'): { set: AddressSet; span?: Span } => {
        const a = attribute(body, attr);
        if (!a) return { set: AddressSet.none() };
        const items = listItems(ctx, a.expr, scope);
        let set = AddressSet.none();
        for (const item of items) set = set.union(address(ctx, kind, attr, item, unresolved, inst.address));
        return { set, span: items.length ? a.expr.span : undefined };
      };
      const srcRanges = addresses('source_ranges', 'cidr');
      const srcTags = addresses('source_tags', 'network-tag');
      const srcAccounts = addresses('source_service_accounts', 'service-account');
      const dstRanges = addresses('destination_ranges', 'cidr');
      const tgtTags = addresses('target_tags', 'network-tag');
      const tgtAccounts = addresses('target_service_accounts', 'service-account');

      const endpoints = gcpEndpoints({
        ingress,
        sourceRanges: srcRanges,
        sourceTags: srcTags,
        sourceAccounts: srcAccounts,
        destinationRanges: dstRanges,
        targetTags: tgtTags,
        targetAccounts: tgtAccounts,
        names: { sourceRanges: 'source_ranges', destinationRanges: 'destination_ranges', sourceTagsOrAccounts: 'source_tags and source_service_accounts' },
        textOf: (span) => textOf(ctx, span),
      });
      conditions.push(...endpoints.conditions);
      for (const w of endpoints.warnings) problem(w.message, w.span, 'warning');
      const { source, destination } = endpoints;

      const actionBlocks = [...blocksOf(body, 'allow').map((b) => ({ b, action: 'allow' as const })), ...blocksOf(body, 'deny').map((b) => ({ b, action: 'deny' as const }))].sort(
        (x, y) => x.b.span.start - y.b.span.start,
      );
      if (actionBlocks.length === 0) problem('has neither an allow nor a deny block', r.block.span);
      const counts = { allow: 0, deny: 0 };
      for (const { b, action } of actionBlocks) {
        const blockIndex = counts[action]++;
        const id = actionBlocks.length === 1 ? inst.address : `${inst.address} ${action}[${blockIndex}]`;
        const blockUnresolved = [...unresolved];
        const blockConditions = [...conditions];
        let protocols: Field<ProtocolSet> = { value: Protocols.any() };
        const proto = scalar(ctx, b.body, 'protocol', scope);
        if (!proto) problem(`${action} block without a protocol`, b.span);
        else {
          const t = scalarString(proto.value);
          if (t === undefined) {
            blockUnresolved.push({ text: proto.text, span: proto.span, reason: `protocol: ${reasonOf(proto.value)}` });
            blockConditions.push({ kind: 'other', text: `protocol = ${proto.text}`, span: proto.span, effect: 'unknown' });
          } else {
            const p = parseProtocol(t);
            if (p.ok) protocols = { value: p.value, span: proto.span, text: proto.text };
            else {
              problem(`protocol "${t}": ${p.error}`, proto.span);
              blockConditions.push({ kind: 'other', text: `protocol = ${proto.text}`, span: proto.span, effect: 'unknown' });
            }
          }
        }
        let ports: Field<PortSet> = { value: Ports.any() };
        const portsAttr = attribute(b.body, 'ports');
        if (portsAttr) {
          const items = listItems(ctx, portsAttr.expr, scope);
          if (items.length) {
            let set = Ports.none();
            for (const item of items) {
              const t = scalarString(item.value);
              if (t === undefined) {
                blockUnresolved.push({ text: textOf(ctx, item.span), span: item.span, reason: `ports: ${reasonOf(item.value)}` });
                blockConditions.push({ kind: 'other', text: `ports = ${textOf(ctx, item.span)}`, span: item.span, effect: 'unknown' });
                set = Ports.any();
                continue;
              }
              const p = parsePortRange(t, ['-']);
              if (p.ok) set = set.union(p.value);
              else {
                problem(`port "${t}": ${p.error}`, item.span);
                blockConditions.push({ kind: 'other', text: `ports = ${t}`, span: item.span, effect: 'unknown' });
              }
            }
            ports = { value: set, span: portsAttr.expr.span, text: textOf(ctx, portsAttr.expr.span) };
          }
        }
        const rule = makeRule({
          id,
          name: name ?? inst.address,
          target: { kind: action },
          direction: ingress ? 'inbound' : 'outbound',
          protocols,
          source,
          destination,
          destinationPorts: ports,
          priority: priorityField,
          order: 0,
          enabled,
          conditions: blockConditions,
          unresolved: blockUnresolved,
          span: actionBlocks.length === 1 ? r.block.span : b.span,
          raw: textOf(ctx, actionBlocks.length === 1 ? r.block.span : b.span),
          meta: {
            resourceType: r.type,
            address: inst.address,
            block: action,
            blockIndex: String(blockIndex),
            network: networkId,
            ...(name ? { firewallName: name } : {}),
            ...(r.block.span.start !== b.span.start ? { blockAt: String(b.span.start) } : {}),
          },
        });
        network.pending.push({ rule, priority, action, position: position++ });
      }
    }
  }

  return [...networks.values()].map((n) =>
    gcpFirewallRuleSet({ id: n.id, name: n.id, format: 'terraform', span: n.span, nameSpan: n.nameSpan, rules: n.pending, meta: { ...n.meta, resourceType: 'google_compute_firewall' } }),
  );
}

function address(ctx: Context, kind: 'cidr' | 'network-tag' | 'service-account', attr: string, item: Item, unresolved: Unresolved[], owner: string): AddressSet {
  const v: Value = item.value;
  if (v.kind === 'string') {
    if (kind !== 'cidr') return AddressSet.symbol(kind, v.value);
    const parsed = AddressSet.parse(v.value);
    if (parsed.ok && v.value.trim() !== '*' && v.value.trim().toLowerCase() !== 'any') return parsed.value;
    ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span: item.span, message: `${owner}: ${attr} "${v.value}" is not a CIDR range` });
    unresolved.push({ text: v.value, span: item.span, reason: `${attr}: not a CIDR range` });
    return AddressSet.symbol('variable', v.value);
  }
  // A reference to a service account resource names it, as a tag would.
  if (kind !== 'cidr' && v.kind === 'ref') return AddressSet.symbol(kind, v.address);
  const text = v.kind === 'unknown' || v.kind === 'ref' ? v.text : textOf(ctx, item.span);
  unresolved.push({ text, span: item.span, reason: `${attr}: ${reasonOf(v)}` });
  return AddressSet.symbol(kind === 'cidr' ? 'variable' : kind, text);
}
