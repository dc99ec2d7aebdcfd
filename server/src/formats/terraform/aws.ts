import { AddressSet, Ports, Protocols, parseProtocol, type PortSet, type ProtocolSet } from '../../net';
import { uniqueRuleId } from '../ruleIds';
import { makeRule, type Field, type MatchCondition, type Rule, type RuleSet, type Span, type Unresolved } from '../../model';
import { awsCarriesPorts, awsPortRange, awsSecurityGroupRuleSet, isAwsPortNumber } from '../aws/securityGroup';
import { attribute, bodyHasError, type HclBody } from './hcl';
import { reasonOf, scalarString, type Scope, type Value } from './resolve';
import {
  baseAddress,
  cover,
  lineOf,
  listItems,
  resourceInstances,
  ruleBlocks,
  scalar,
  skipBroken,
  textOf,
  type Context,
  type Resource,
} from './common';

/**
 * AWS security groups: a union of allows. Inline `ingress`/`egress` blocks
 * (and `dynamic` ones), `aws_security_group_rule`, and the newer
 * `aws_vpc_security_group_ingress_rule`/`_egress_rule`, joined to their group
 * through the `security_group_id` reference. A group Terraform manages has
 * no egress unless egress is declared, so both defaults deny.
 */

type Kind = 'ingress' | 'egress';

interface Group {
  readonly id: string;
  readonly name: string;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: Rule[];
  readonly meta: Record<string, string>;
  readonly styles: Set<string>;
  /** A group not declared in this file: only the directions its rules here use are known. */
  readonly external: boolean;
}

/** Which attributes name the peer, per resource style, and what each becomes. */
type PeerKind = 'cidr' | 'prefix-list' | 'security-group' | 'self';
const INLINE_PEERS: readonly [string, PeerKind][] = [
  ['cidr_blocks', 'cidr'],
  ['ipv6_cidr_blocks', 'cidr'],
  ['prefix_list_ids', 'prefix-list'],
  ['security_groups', 'security-group'],
  ['self', 'self'],
];
const RULE_PEERS: readonly [string, PeerKind][] = [
  ['cidr_blocks', 'cidr'],
  ['ipv6_cidr_blocks', 'cidr'],
  ['prefix_list_ids', 'prefix-list'],
  ['source_security_group_id', 'security-group'],
  ['self', 'self'],
];
const VPC_PEERS: readonly [string, PeerKind][] = [
  ['cidr_ipv4', 'cidr'],
  ['cidr_ipv6', 'cidr'],
  ['prefix_list_id', 'prefix-list'],
  ['referenced_security_group_id', 'security-group'],
];

export function awsRuleSets(ctx: Context): RuleSet[] {
  const groups = new Map<string, Group>();
  const order: Group[] = [];
  const add = (g: Group): Group => {
    groups.set(g.id, g);
    order.push(g);
    return g;
  };

  for (const r of ctx.resources) {
    if (r.type !== 'aws_security_group') continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const nameAttr = scalar(ctx, r.block.body, 'name', inst.scope);
      const g = add({
        id: inst.address,
        name: inst.address,
        span: r.block.span,
        nameSpan: r.block.labels[1]?.span,
        rules: [],
        meta: { resourceType: r.type, address: inst.address },
        styles: new Set(),
        external: false,
      });
      if (nameAttr && nameAttr.value.kind === 'string') g.meta.groupName = nameAttr.value.value;
      for (const kind of ['ingress', 'egress'] as const) {
        for (const rb of ruleBlocks(ctx, r.block.body, kind, inst.scope)) {
          g.styles.add('inline');
          if (skipBroken(ctx, rb.hasError, rb.span, `${inst.address} ${kind} block`)) continue;
          const line = lineOf(ctx, rb.span);
          const id = rb.dynamic ? `line ${line} [${rb.dynamicKey ?? 'unknown'}]` : `line ${line}`;
          g.rules.push(
            buildRule(ctx, {
              id: uniqueId(g, id),
              kind,
              body: rb.body,
              scope: rb.scope,
              span: rb.span,
              peers: INLINE_PEERS,
              protocolAttr: 'protocol',
              group: g,
              order: g.rules.length,
              unresolved: [...inst.unresolved, ...rb.unresolved],
              conditions: [...inst.conditions, ...rb.conditions],
              meta: {
                style: 'inline',
                block: kind,
                ...(rb.dynamic ? { dynamic: 'true', dynamicKey: rb.dynamicKey ?? '' } : { blockIndex: String(rb.index) }),
              },
            }),
          );
        }
        // `ingress = [ { … } ]`: the attributes-as-blocks form, one rule per object.
        const asAttr = attribute(r.block.body, kind);
        if (asAttr && asAttr.expr.kind === 'tuple') {
          g.styles.add('inline');
          asAttr.expr.items.forEach((item, i) => {
            if (item.kind !== 'object') return;
            const body: HclBody = {
              items: item.entries
                .filter((e) => e.key.kind === 'traversal' && e.key.steps.length === 0)
                .map((e) => ({ kind: 'attribute' as const, name: (e.key as { root: string }).root, nameSpan: e.key.span, expr: e.value, span: { start: e.key.span.start, end: e.value.span.end } })),
            };
            g.rules.push(
              buildRule(ctx, {
                id: uniqueId(g, `line ${lineOf(ctx, item.span)}`),
                kind,
                body,
                scope: inst.scope,
                span: item.span,
                peers: INLINE_PEERS,
                protocolAttr: 'protocol',
                group: g,
                order: g.rules.length,
                unresolved: [...inst.unresolved],
                conditions: [...inst.conditions],
                meta: { style: 'inline-attribute', block: kind, blockIndex: String(i) },
              }),
            );
          });
        }
      }
    }
  }

  const findGroup = (ctxScope: Scope, body: HclBody, r: Resource): { group: Group } | { key: string; text: string; span: Span; unresolved?: Unresolved } => {
    const sg = attribute(body, 'security_group_id');
    if (!sg) return { key: '(no security_group_id)', text: '', span: r.block.span };
    const v = ctx.resolver.resolve(sg.expr, ctxScope);
    if (v.kind === 'ref') {
      const exact = groups.get(v.address);
      if (exact && !exact.external) return { group: exact };
      // A reference without an instance key to a group that has instances: join the first (Terraform would reject it).
      const base = baseAddress(v.address);
      const loose = order.find((g) => !g.external && baseAddress(g.id) === base);
      if (loose) return { group: loose };
      return { key: v.address, text: v.text, span: sg.expr.span };
    }
    const text = textOf(ctx, sg.expr.span);
    if (v.kind === 'string') {
      const byName = order.find((g) => !g.external && g.meta.groupName === v.value);
      if (byName) return { group: byName };
      return { key: v.value, text, span: sg.expr.span };
    }
    return { key: text, text, span: sg.expr.span, unresolved: { text, span: sg.expr.span, reason: `security_group_id: ${reasonOf(v)}` } };
  };

  for (const r of ctx.resources) {
    const isLegacy = r.type === 'aws_security_group_rule';
    const vpcKind: Kind | undefined =
      r.type === 'aws_vpc_security_group_ingress_rule' ? 'ingress' : r.type === 'aws_vpc_security_group_egress_rule' ? 'egress' : undefined;
    if (!isLegacy && !vpcKind) continue;
    if (skipBroken(ctx, bodyHasError(r.block.body), r.block.span, r.address)) continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const found = findGroup(inst.scope, r.block.body, r);
      let group: Group;
      if ('group' in found) group = found.group;
      else {
        group =
          groups.get(found.key) ??
          add({
            id: found.key,
            // `"${var.netscaler_security_group_id}"` (Terraform 0.11) reads as the expression inside it.
            name: /^"\$\{[^{}"]+\}"$/.test(found.key) ? found.key.slice(3, -2) : found.key,
            span: r.block.span,
            rules: [],
            meta: { resourceType: 'aws_security_group', address: found.key, declared: 'elsewhere' },
            styles: new Set(),
            external: true,
          });
      }
      let kind: Kind | undefined = vpcKind;
      const extraUnresolved: Unresolved[] = [...inst.unresolved];
      const extraConditions: MatchCondition[] = [...inst.conditions];
      if ('unresolved' in found && found.unresolved) extraUnresolved.push(found.unresolved);
      if (isLegacy) {
        const t = scalar(ctx, r.block.body, 'type', inst.scope);
        if (t?.value.kind === 'string' && (t.value.value === 'ingress' || t.value.value === 'egress')) kind = t.value.value;
        else {
          ctx.problems.push({
            code: 'unparsed-rule',
            severity: t && t.value.kind === 'unknown' ? 'warning' : 'error',
            span: t?.span ?? r.block.span,
            message: `${inst.address}: type ${t ? t.text : 'is not set'}${t?.value.kind === 'unknown' ? ` could not be resolved (${t.value.reason})` : t ? ' is neither "ingress" nor "egress"' : ''}`,
          });
          continue;
        }
      }
      const style = isLegacy ? 'aws_security_group_rule' : r.type;
      group.styles.add(style);
      group.rules.push(
        buildRule(ctx, {
          id: uniqueId(group, inst.address),
          name: inst.address,
          kind: kind!,
          body: r.block.body,
          scope: inst.scope,
          span: r.block.span,
          peers: isLegacy ? RULE_PEERS : VPC_PEERS,
          protocolAttr: isLegacy ? 'protocol' : 'ip_protocol',
          group,
          order: group.rules.length,
          unresolved: extraUnresolved,
          conditions: extraConditions,
          meta: { style, block: kind!, resourceType: r.type, ruleAddress: inst.address },
        }),
      );
    }
  }

  return order.map((g) =>
    awsSecurityGroupRuleSet({ id: g.id, name: g.name, format: 'terraform', span: g.span, nameSpan: g.nameSpan, rules: g.rules, external: g.external, meta: g.meta, styles: [...g.styles] }),
  );
}

function uniqueId(g: Group, base: string): string {
  return uniqueRuleId(g.rules, base);
}

interface RuleInput {
  readonly id: string;
  readonly name?: string;
  readonly kind: Kind;
  readonly body: HclBody;
  readonly scope: Scope;
  readonly span: Span;
  readonly peers: readonly [string, PeerKind][];
  readonly protocolAttr: string;
  readonly group: Group;
  readonly order: number;
  readonly unresolved: Unresolved[];
  readonly conditions: MatchCondition[];
  readonly meta: Record<string, string>;
}

function buildRule(ctx: Context, input: RuleInput): Rule {
  const { body, scope, unresolved, conditions } = input;
  const unknown = (what: string, text: string, span: Span, reason: string): void => {
    unresolved.push({ text, span, reason: `${what}: ${reason}` });
    conditions.push({ kind: 'other', text: `${what} = ${text}`, span, effect: 'unknown' });
  };
  const problem = (message: string, span: Span, severity: 'error' | 'warning' = 'error'): void => {
    ctx.problems.push({ code: 'unparsed-rule', severity, span, message: `${input.id === input.name ? input.id : `${input.group.id} ${input.id}`}: ${message}` });
  };

  // Protocol: -1 / all / a name / a number.
  let protocols: Field<ProtocolSet> = { value: Protocols.any() };
  const proto = scalar(ctx, body, input.protocolAttr, scope);
  if (!proto) problem(`${input.protocolAttr} is not set`, input.span);
  else {
    const t = scalarString(proto.value);
    if (t === undefined) unknown(input.protocolAttr, proto.text, proto.span, reasonOf(proto.value));
    else {
      const p = parseProtocol(t);
      if (!p.ok) {
        problem(`${input.protocolAttr} "${t}": ${p.error}`, proto.span);
        unknown(input.protocolAttr, proto.text, proto.span, p.error);
      } else {
        protocols = { value: p.value, span: proto.span, text: proto.text };
      }
    }
  }

  // Ports mean something only for TCP and UDP; with -1 AWS opens every port whatever from/to say.
  let ports: Field<PortSet> = { value: Ports.any() };
  const carriesPorts = awsCarriesPorts(protocols.value);
  const from = scalar(ctx, body, 'from_port', scope);
  const to = scalar(ctx, body, 'to_port', scope);
  const span = cover([from?.span, to?.span]);
  if (carriesPorts) {
    const num = (f: typeof from, what: string): number | undefined => {
      if (!f) return undefined;
      const t = scalarString(f.value);
      const n = t === undefined ? NaN : Number(t);
      if (t === undefined) unknown(what, f.text, f.span, reasonOf(f.value));
      else if (!isAwsPortNumber(n)) problem(`${what} "${t}" is not a port number`, f.span);
      else return n;
      return undefined;
    };
    const a = num(from, 'from_port');
    const b = num(to, 'to_port');
    if (a !== undefined && b !== undefined) {
      const range = awsPortRange(a, b);
      // AWS rejects a rule whose from port is above its to port, so it opens nothing.
      if (range.problem) problem(range.problem.replace(/^from port (\d+) is above to port/, 'from_port $1 is above to_port'), span!);
      ports = { value: range.value, span, text: span && textOf(ctx, span) };
    } else if (!from && !to) problem('from_port and to_port are not set', input.span, 'warning');
    else if (!from || !to) problem(`${from ? 'to_port' : 'from_port'} is not set`, input.span, 'warning');
  }

  // Peers: CIDRs, prefix lists, other groups, the group itself.
  let peer = AddressSet.none();
  const peerSpans: Span[] = [];
  const styles: string[] = [];
  for (const [attr, kind] of input.peers) {
    const a = attribute(body, attr);
    if (!a) continue;
    if (kind === 'self') {
      const v = ctx.resolver.resolve(a.expr, scope);
      if (v.kind === 'bool') {
        if (v.value) {
          peer = peer.union(AddressSet.symbol('self', input.group.id));
          peerSpans.push(a.span);
          styles.push(attr);
        }
      } else {
        unresolved.push({ text: textOf(ctx, a.expr.span), span: a.expr.span, reason: `self: ${reasonOf(v)}` });
        peer = peer.union(AddressSet.symbol('self', input.group.id));
        conditions.push({ kind: 'other', text: `self = ${textOf(ctx, a.expr.span)}`, span: a.expr.span, effect: 'unknown' });
        peerSpans.push(a.span);
      }
      continue;
    }
    const items = listItems(ctx, a.expr, scope);
    if (items.length) {
      peerSpans.push(a.expr.span);
      styles.push(attr);
    }
    for (const item of items) peer = peer.union(peerAddress(ctx, kind, attr, item.value, item.span, unresolved));
  }
  if (peerSpans.length === 0) {
    problem(`no ${input.kind === 'ingress' ? 'source' : 'destination'} (cidr_blocks, security group, prefix list or self)`, input.span, 'warning');
  }
  const peerSpan = peerSpans.length === 1 ? peerSpans[0] : cover(peerSpans);
  const peerField: Field<AddressSet> = { value: peer, span: peerSpan, text: peerSpan && textOf(ctx, peerSpan) };
  const any: Field<AddressSet> = { value: AddressSet.any() };

  const description = scalar(ctx, body, 'description', scope);
  const meta: Record<string, string> = { ...input.meta, groupAddress: input.group.id, peerAttributes: styles.join(',') };
  return makeRule({
    id: input.id,
    name: input.name,
    target: { kind: 'allow' },
    direction: input.kind === 'ingress' ? 'inbound' : 'outbound',
    protocols,
    source: input.kind === 'ingress' ? peerField : any,
    destination: input.kind === 'ingress' ? any : peerField,
    destinationPorts: ports,
    order: input.order,
    conditions,
    unresolved,
    span: input.span,
    raw: textOf(ctx, input.span),
    comment: description?.value.kind === 'string' ? description.value.value : undefined,
    meta,
  });
}

function peerAddress(ctx: Context, kind: PeerKind, attr: string, v: Value, span: Span, unresolved: Unresolved[]): AddressSet {
  if (kind === 'cidr') {
    if (v.kind === 'string') {
      const parsed = AddressSet.parse(v.value);
      if (parsed.ok && v.value.trim() !== '*' && v.value.trim().toLowerCase() !== 'any') return parsed.value;
      ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span, message: `${attr}: "${v.value}" is not a CIDR block` });
      unresolved.push({ text: v.value, span, reason: `${attr}: not a CIDR block` });
      return AddressSet.symbol('variable', v.value);
    }
    const text = v.kind === 'unknown' || v.kind === 'ref' ? v.text : textOf(ctx, span);
    unresolved.push({ text, span, reason: `${attr}: ${reasonOf(v)}` });
    return AddressSet.symbol('variable', text);
  }
  const symbolKind = kind === 'prefix-list' ? 'prefix-list' : 'security-group';
  if (v.kind === 'ref') return AddressSet.symbol(symbolKind, v.address);
  if (v.kind === 'string') return AddressSet.symbol(symbolKind, v.value);
  const text = v.kind === 'unknown' ? v.text : textOf(ctx, span);
  unresolved.push({ text, span, reason: `${attr}: ${reasonOf(v)}` });
  return AddressSet.symbol(symbolKind, text);
}
