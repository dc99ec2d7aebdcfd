import type { ParseProblem, Rule, RuleSet } from '../../model';
import { azureNsgRuleSet, azureRuleFromProperties, NSG_RULE_TYPE, NSG_TYPE, nsgPlacement, prop, uniqueRuleId, type NsgAssociation, type Val } from '../azure';
import { member, type JsonNode } from '../arm/json';
import { armRuleCollections, azureFirewallRuleSet, RULE_COLLECTION_GROUP_TYPE, type FirewallCollectionInput, type UnknownRules } from '../azure/firewall';
import { itemsOf, lastSegment, literalVal, stringOf } from './json';

/**
 * `az network nsg show` / `az network nsg list` (one NSG or a list of them,
 * properties flattened as the CLI prints them), `az network nsg rule list`
 * (the rules of one NSG), and the REST / `az resource show` shape with
 * `properties`. The platform's six default rules are added by the NSG
 * semantics, so `defaultSecurityRules` in the export is not read twice.
 */
export function azureExportRuleSets(root: JsonNode, text: string, problems: ParseProblem[]): RuleSet[] {
  const entries = root.type === 'array' ? root.items : [root];
  const nsgs = entries.filter((e) => typeOf(e) === NSG_TYPE);
  const looseRules = entries.filter((e) => typeOf(e) === NSG_RULE_TYPE);
  const out: RuleSet[] = [];
  const usedIds = new Set<string>();
  for (const nsg of nsgs) out.push(nsgRuleSet(nsg, text, problems, usedIds));
  if (looseRules.length) out.push(...ruleListRuleSets(looseRules, text, problems, usedIds));
  const groups = entries.filter((e) => typeOf(e) === RULE_COLLECTION_GROUP_TYPE);
  if (groups.length) out.push(...firewallPolicyRuleSets(groups, text, problems));
  for (const e of entries) {
    const type = typeOf(e);
    if (type !== NSG_TYPE && type !== NSG_RULE_TYPE && type !== RULE_COLLECTION_GROUP_TYPE) {
      problems.push({ code: 'unparsed-rule', severity: 'info', span: e.span, message: `${type ? `a ${type}` : 'this entry'} is not a network security group or one of its rules; not read` });
    }
  }
  return out;
}

/**
 * `az network firewall policy rule-collection-group list` (or `show`): the
 * groups of one or more policies, each naming its policy in its id
 * (`…/firewallPolicies/<policy>/ruleCollectionGroups/<group>`), read with
 * the Azure Firewall semantics of the IaC readers. The export does not say
 * whether the policy has a parent (`az network firewall policy show` does), so
 * that is said, not assumed away silently.
 */
function firewallPolicyRuleSets(groups: readonly JsonNode[], text: string, problems: ParseProblem[]): RuleSet[] {
  const byPolicy = new Map<string, { collections: FirewallCollectionInput[]; unknown: UnknownRules[]; entries: JsonNode[] }>();
  for (const g of groups) {
    const resourceId = stringOf(member(g, 'id')) ?? '';
    const policy = /\/firewallPolicies\/([^/]+)\/ruleCollectionGroups\//i.exec(resourceId)?.[1] ?? '(unknown firewall policy)';
    const entry = byPolicy.get(policy) ?? { collections: [], unknown: [], entries: [] };
    byPolicy.set(policy, entry);
    entry.entries.push(g);
    const name = stringOf(member(g, 'name'));
    entry.collections.push(...armRuleCollections(literalVal(fieldsOf(g)), { name, span: g.span }, { exportedFrom: 'azure', ...resourceMeta(g) }, problems, entry.unknown, text));
  }
  const out: RuleSet[] = [];
  for (const [policy, { collections, unknown, entries }] of byPolicy) {
    const first = entries[0];
    problems.push({
      code: 'limit',
      severity: 'info',
      span: member(first, 'name')?.span ?? first.span,
      message: `firewall policy ${policy}: read from its rule collection groups as exported; a parent policy's groups (which run first) are not in this export — \`az network firewall policy show\` says whether it has one (basePolicy)`,
    });
    const built = azureFirewallRuleSet({
      id: `firewall policy ${policy}`,
      name: `firewall policy ${policy}`,
      format: 'cloud-export',
      span: { start: first.span.start, end: entries[entries.length - 1].span.end },
      nameSpan: member(first, 'name')?.span,
      text,
      style: 'policy',
      collections,
      unknownRules: unknown,
      meta: { exportedFrom: 'azure', policy },
    });
    problems.push(...built.problems);
    out.push(built.ruleSet);
  }
  return out;
}

function typeOf(node: JsonNode): string | undefined {
  return stringOf(member(node, 'type'))?.toLowerCase();
}

/** Flattened (`az`) or nested (`properties`, REST): the object that holds a resource's own fields. */
function fieldsOf(node: JsonNode): JsonNode {
  const props = member(node, 'properties');
  return props?.type === 'object' ? props : node;
}

function nsgRuleSet(node: JsonNode, text: string, problems: ParseProblem[], usedIds: Set<string>): RuleSet {
  const nameNode = member(node, 'name');
  const name = stringOf(nameNode) ?? 'network security group';
  const id = uniqueRuleId(name, usedIds);
  usedIds.add(id);
  const fields = fieldsOf(node);
  const rules = readRules(id, itemsOf(member(fields, 'securityRules')), text, problems);
  const { appliesTo, stage } = nsgPlacement(id, associations(id, fields));
  const built = azureNsgRuleSet({
    id,
    name,
    format: 'cloud-export',
    span: node.span,
    nameSpan: nameNode?.span,
    rules,
    appliesTo,
    stage,
    meta: { exportedFrom: 'azure', ...resourceMeta(node) },
  });
  problems.push(...built.problems);
  return built.ruleSet;
}

/** `az network nsg rule list`: rules whose ids name their NSG, grouped by it. */
function ruleListRuleSets(rules: readonly JsonNode[], text: string, problems: ParseProblem[], usedIds: Set<string>): RuleSet[] {
  const byNsg = new Map<string, JsonNode[]>();
  for (const r of rules) {
    const resourceId = stringOf(member(r, 'id')) ?? '';
    const nsgName = /\/networkSecurityGroups\/([^/]+)\//i.exec(resourceId)?.[1] ?? 'network security group (from its rules)';
    let list = byNsg.get(nsgName);
    if (!list) byNsg.set(nsgName, (list = []));
    list.push(r);
  }
  const out: RuleSet[] = [];
  for (const [nsgName, list] of byNsg) {
    const id = uniqueRuleId(nsgName, usedIds);
    usedIds.add(id);
    const span = { start: list[0]!.span.start, end: list[list.length - 1]!.span.end };
    const built = azureNsgRuleSet({ id, name: nsgName, format: 'cloud-export', span, rules: readRules(id, list, text, problems), meta: { exportedFrom: 'azure', exportShape: 'rule list' } });
    problems.push(...built.problems);
    out.push(built.ruleSet);
  }
  return out;
}

function readRules(nsgId: string, items: readonly JsonNode[], text: string, problems: ParseProblem[]): Rule[] {
  const rules: Rule[] = [];
  const used = new Set<string>();
  for (const item of items) {
    if (item.type !== 'object') {
      problems.push({ code: 'unparsed-rule', severity: 'warning', span: item.span, message: `${nsgId}: a security rule that is not an object; not read` });
      continue;
    }
    const v: Val = literalVal(item);
    const name = stringOf(member(item, 'name'));
    const id = uniqueRuleId(name ?? `rule ${rules.length + 1}`, used);
    used.add(id);
    const nested = prop(v, 'properties');
    const built = azureRuleFromProperties({ id, name, properties: nested?.kind === 'object' ? nested : v, span: item.span, order: rules.length, text, meta: { nsg: nsgId } });
    problems.push(...built.problems);
    rules.push(built.rule);
  }
  return rules;
}

/** Subnets and NICs the export says the NSG is attached to, by their resource ids. */
function associations(nsgId: string, fields: JsonNode): NsgAssociation[] {
  const out: NsgAssociation[] = [];
  for (const s of itemsOf(member(fields, 'subnets'))) {
    const id = stringOf(member(s, 'id'));
    const m = id && /\/virtualNetworks\/([^/]+)\/subnets\/([^/]+)/i.exec(id);
    if (m) out.push({ nsg: nsgId, kind: 'subnet', label: `subnet:${m[1]}/${m[2]}` });
  }
  for (const n of itemsOf(member(fields, 'networkInterfaces'))) {
    const id = stringOf(member(n, 'id'));
    if (id) out.push({ nsg: nsgId, kind: 'nic', label: `nic:${lastSegment(id)}` });
  }
  return out;
}

function resourceMeta(node: JsonNode): Record<string, string> {
  const meta: Record<string, string> = {};
  const resourceId = stringOf(member(node, 'id'));
  if (resourceId) meta.resourceId = resourceId;
  const group = stringOf(member(node, 'resourceGroup'));
  if (group) meta.resourceGroup = group;
  const location = stringOf(member(node, 'location'));
  if (location) meta.location = location;
  return meta;
}

