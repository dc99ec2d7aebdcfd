import { AddressSet } from '../../net';
import type { Field, MatchCondition, Rule, RuleSet, Span, Unresolved } from '../../model';
import { awsNaclRule, awsNetworkAclRuleSet } from '../aws/networkAcl';
import { attribute, bodyHasError, type HclBody } from './hcl';
import { reasonOf, scalarString } from './resolve';
import { baseAddress, cover, lineOf, resourceInstances, ruleBlocks, scalar, skipBroken, textOf, type Context } from './common';
import type { Scope } from './resolve';

/**
 * AWS network ACLs in Terraform: `aws_network_acl` and
 * `aws_default_network_acl` with inline `ingress`/`egress` blocks, and
 * `aws_network_acl_rule` resources joined by `network_acl_id`. Semantics
 * (rule-number order, first match, final deny, stateless) are the shared
 * AWS ones.
 */

interface Acl {
  readonly id: string;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: Rule[];
  readonly meta: Record<string, string>;
}

const ACL_TYPES = new Set(['aws_network_acl', 'aws_default_network_acl']);

export function awsNaclRuleSets(ctx: Context): RuleSet[] {
  const acls = new Map<string, Acl>();
  const order: Acl[] = [];
  for (const r of ctx.resources) {
    if (!ACL_TYPES.has(r.type)) continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const acl: Acl = { id: inst.address, span: r.block.span, nameSpan: r.block.labels[1]?.span, rules: [], meta: { resourceType: r.type, address: inst.address } };
      acls.set(acl.id, acl);
      order.push(acl);
      for (const kind of ['ingress', 'egress'] as const) {
        for (const rb of ruleBlocks(ctx, r.block.body, kind, inst.scope)) {
          if (skipBroken(ctx, rb.hasError, rb.span, `${inst.address} ${kind} block`)) continue;
          const id = `line ${lineOf(ctx, rb.span)}`;
          acl.rules.push(
            entry(ctx, acl, {
              id,
              egress: kind === 'egress',
              body: rb.body,
              scope: rb.scope,
              span: rb.span,
              names: { number: 'rule_no', action: 'action', cidr: 'cidr_block', cidr6: 'ipv6_cidr_block' },
              unresolved: [...inst.unresolved, ...rb.unresolved],
              conditions: [...inst.conditions, ...rb.conditions],
              meta: { style: 'inline', block: kind },
            }),
          );
        }
      }
    }
  }
  for (const r of ctx.resources) {
    if (r.type !== 'aws_network_acl_rule') continue;
    if (skipBroken(ctx, bodyHasError(r.block.body), r.block.span, r.address)) continue;
    for (const inst of resourceInstances(ctx, r, new Map())) {
      const ref = attribute(r.block.body, 'network_acl_id');
      let acl: Acl | undefined;
      const unresolved: Unresolved[] = [...inst.unresolved];
      if (!ref) {
        ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span: r.block.span, message: `${inst.address}: network_acl_id is not set` });
        continue;
      }
      const v = ctx.resolver.resolve(ref.expr, inst.scope);
      if (v.kind === 'ref') acl = acls.get(v.address) ?? order.find((a) => baseAddress(a.id) === baseAddress(v.address));
      if (!acl) {
        const key = v.kind === 'ref' ? v.address : v.kind === 'string' ? v.value : textOf(ctx, ref.expr.span);
        if (v.kind !== 'ref' && v.kind !== 'string') unresolved.push({ text: key, span: ref.expr.span, reason: `network_acl_id: ${reasonOf(v)}` });
        acl = acls.get(key);
        if (!acl) {
          acl = { id: key, span: r.block.span, rules: [], meta: { resourceType: 'aws_network_acl', address: key, declared: 'elsewhere' } };
          acls.set(key, acl);
          order.push(acl);
        }
      }
      const egressAttr = scalar(ctx, r.block.body, 'egress', inst.scope);
      const egress = egressAttr ? scalarString(egressAttr.value) === 'true' : false;
      if (egressAttr && scalarString(egressAttr.value) === undefined) {
        ctx.problems.push({ code: 'unparsed-rule', severity: 'warning', span: egressAttr.span, message: `${inst.address}: egress ${egressAttr.text} could not be resolved (${reasonOf(egressAttr.value)}); read as ingress` });
      }
      acl.rules.push(
        entry(ctx, acl, {
          id: inst.address,
          name: inst.address,
          egress,
          body: r.block.body,
          scope: inst.scope,
          span: r.block.span,
          names: { number: 'rule_number', action: 'rule_action', cidr: 'cidr_block', cidr6: 'ipv6_cidr_block' },
          unresolved,
          conditions: [...inst.conditions],
          meta: { style: 'aws_network_acl_rule', resourceType: r.type, ruleAddress: inst.address },
        }),
      );
    }
  }
  return order.map((a) => awsNetworkAclRuleSet({ id: a.id, name: a.id, format: 'terraform', span: a.span, nameSpan: a.nameSpan, rules: a.rules, meta: a.meta }));
}

interface EntryInput {
  readonly id: string;
  readonly name?: string;
  readonly egress: boolean;
  readonly body: HclBody;
  readonly scope: Scope;
  readonly span: Span;
  readonly names: { readonly number: string; readonly action: string; readonly cidr: string; readonly cidr6: string };
  readonly unresolved: Unresolved[];
  readonly conditions: MatchCondition[];
  readonly meta: Record<string, string>;
}

function entry(ctx: Context, acl: Acl, e: EntryInput): Rule {
  const label = e.name ?? `${acl.id} ${e.id}`;
  const problem = (message: string, span: Span, severity: 'error' | 'warning' = 'error'): void => {
    ctx.problems.push({ code: 'unparsed-rule', severity, span, message: `${label}: ${message}` });
  };
  const unknown = (what: string, text: string, span: Span, reason: string): void => {
    e.unresolved.push({ text, span, reason: `${what}: ${reason}` });
    e.conditions.push({ kind: 'other', text: `${what} = ${text}`, span, effect: 'unknown' });
  };
  const str = (name: string): { value: string; span: Span; text: string } | undefined => {
    const s = scalar(ctx, e.body, name, e.scope);
    if (!s) return undefined;
    const t = scalarString(s.value);
    if (t === undefined) {
      unknown(name, s.text, s.span, reasonOf(s.value));
      return undefined;
    }
    return { value: t, span: s.span, text: s.text };
  };
  const num = str(e.names.number);
  const action = str(e.names.action);
  const protocol = str('protocol');
  const from = str('from_port');
  const to = str('to_port');
  const cidr = str(e.names.cidr) ?? str(e.names.cidr6);
  let peer: Field<AddressSet> = { value: AddressSet.none() };
  if (cidr) {
    const parsed = AddressSet.parse(cidr.value);
    if (parsed.ok) peer = { value: parsed.value, span: cidr.span, text: cidr.text };
    else {
      problem(`"${cidr.value}" is not a CIDR block`, cidr.span);
      peer = { value: AddressSet.symbol('variable', cidr.value), span: cidr.span, text: cidr.text };
    }
  } else {
    const u = e.unresolved.find((x) => x.reason.startsWith(e.names.cidr) || x.reason.startsWith(e.names.cidr6));
    if (u) peer = { value: AddressSet.symbol('variable', u.text), span: u.span, text: u.text };
    else problem(`neither ${e.names.cidr} nor ${e.names.cidr6} is set`, e.span);
  }
  const span = cover([from?.span, to?.span]);
  const f = from ? Number(from.value) : NaN;
  const t = to ? Number(to.value) : NaN;
  const ports = Number.isInteger(f) && Number.isInteger(t) ? { from: f, to: t, span, text: span && textOf(ctx, span) } : undefined;
  // An unresolved port leaves the rule's match unknown; the range is read as all ports under that condition.
  const portsOrUnknown = ports ?? (e.unresolved.some((u) => /^(from|to)_port/.test(u.reason)) ? { from: 0, to: 0 } : undefined);
  return awsNaclRule({
    id: e.id,
    name: e.name,
    egress: e.egress,
    ruleNumber: num ? { value: Number(num.value), span: num.span, text: num.text } : undefined,
    action: action && { value: action.value, span: action.span },
    protocol: protocol && { value: protocol.value, span: protocol.span, text: protocol.text },
    peer,
    ports: portsOrUnknown,
    span: e.span,
    raw: textOf(ctx, e.span),
    order: acl.rules.length,
    unresolved: e.unresolved,
    conditions: e.conditions,
    meta: { ...e.meta, aclAddress: acl.id },
    problem,
  });
}
