import { LineIndex, type NamedAddresses, type ParsedFile, type ParseOptions, type ParseProblem, type Rule, type RuleSet, type Span, type Unresolved } from '../../model';
import { AddressSet } from '../../net';
import { concreteAddressList, MAX_NAMED_ADDRESSES } from '../namedAddresses';
import {
  addressTexts,
  AZURE_FIREWALL_TYPE,
  FIREWALL_POLICY_TYPE,
  RULE_COLLECTION_GROUP_TYPE,
  armClassicCollections,
  armRuleCollections,
  FirewallBuilds,
  type FirewallBuild,
  NSG_RULE_TYPE,
  NSG_TYPE,
  azureNsgRuleSet,
  azureRuleFromProperties,
  nsgPlacement,
  nsgNetworks,
  addVnetAddresses,
  addSubnetAddresses,
  subnetPrefixes,
  withKnownVirtualNetwork,
  prop,
  uniqueRuleId,
  unknownRulesPlaceholder,
  type NsgAssociation,
  type Val,
} from '../azure';
import { COPY_INDEX_KEY, CopyBudget, KEY_MARK, TemplateScope, type ArmScope } from './scope';
import { member, parseJsonTolerant, type JsonNode } from './json';

/**
 * ARM JSON templates → Azure NSG and Azure Firewall rule sets: NSG resources with inline
 * `securityRules`, child rule resources (top level with `nsg/rule` names, or
 * nested in the NSG's `resources`), nested deployments with inline
 * templates, subnet and NIC associations; firewall policies' rule collection
 * groups and firewalls' classic rule collections. Parameters with `defaultValue` and
 * variables are resolved when literal; other template functions stay unknown.
 */
export function parseArm(text: string, uri: string, options?: ParseOptions): ParsedFile {
  const json = parseJsonTolerant(text);
  try {
    const reader = new ArmReader(text, parameterFileFor(uri, options?.siblingFiles));
    if (json.root) reader.template(json.root, 'resources');
    const ruleSets = reader.finish();
    const named = reader.namedAddresses();
    return { uri, format: 'arm', text, ruleSets, problems: [...json.problems, ...distinct(reader.problems)], comments: json.comments, ...(named.length ? { namedAddresses: named } : {}) };
  } catch (e) {
    return {
      uri,
      format: 'arm',
      text,
      ruleSets: [],
      comments: json.comments,
      problems: [...json.problems, { code: 'syntax-error', severity: 'error', span: { start: 0, end: Math.min(1, text.length) }, message: `template could not be read: ${e instanceof Error ? e.message : String(e)}` }],
    };
  }
}

const PARAMETERS_SCHEMA = /"\$schema"\s*:\s*"[^"]*deploymentParameters\.json/i;

/**
 * The parameter file that goes with a template, among the files beside it:
 * `<name>.parameters.json` for `<name>.json` (azuredeploy.json and
 * azuredeploy.parameters.json, main.json and main.parameters.json), else
 * the folder's only parameter file (the portal's export writes template.json
 * and parameters.json). Two candidates and no name match: none, since which
 * one a deployment uses is not written anywhere.
 */
export function parameterFileFor(uri: string, siblings: ReadonlyMap<string, string> | undefined): { values: Map<string, JsonNode>; file: string } | undefined {
  if (!siblings || siblings.size === 0) return undefined;
  const base = (p: string): string => decodeURIComponent(p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1));
  const own = base(uri).replace(/\.json$/i, '').toLowerCase();
  const candidates = [...siblings].filter(([p, text]) => /\.json$/i.test(p) && PARAMETERS_SCHEMA.test(text.slice(0, 2000)));
  const named = candidates.find(([p]) => base(p).toLowerCase() === `${own}.parameters.json`);
  const chosen = named ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!chosen) return undefined;
  const root = parseJsonTolerant(chosen[1]).root;
  const params = member(root, 'parameters');
  if (params?.type !== 'object') return undefined;
  const values = new Map<string, JsonNode>();
  for (const p of params.props) {
    const value = member(p.value, 'value');
    // A Key Vault reference (`"reference": { … }`) is resolved at deployment: no value here.
    if (value) values.set(p.key, value);
  }
  return { values, file: base(chosen[0]) };
}

/** Copies of one resource read the same text N times: a problem with that text is said once. */
function distinct(problems: readonly ParseProblem[]): ParseProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.code}\u0000${p.span.start}\u0000${p.span.end}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An NSG whose condition is false: shown, but on no traffic's path. */
function notDeployed(ruleSet: RuleSet): RuleSet {
  return { ...ruleSet, directions: [], stage: undefined, guardedNetworks: undefined };
}

const SUBNET_TYPE = 'microsoft.network/virtualnetworks/subnets';
const VNET_TYPE = 'microsoft.network/virtualnetworks';
const NIC_TYPE = 'microsoft.network/networkinterfaces';
const DEPLOYMENT_TYPE = 'microsoft.resources/deployments';

interface NsgBuild {
  readonly id: string;
  readonly name: string;
  readonly literalName?: string;
  /** The name with parameters without default (and an unbound copyIndex()) kept as placeholders, to match rule names. */
  readonly nameKey?: string;
  readonly span: Span;
  readonly nameSpan?: Span;
  readonly rules: Rule[];
  readonly usedIds: Set<string>;
  readonly meta: Record<string, string>;
}

interface ResourceEntry {
  readonly node: JsonNode;
  readonly path: string;
  readonly type: string;
  readonly ctx: ArmScope;
  readonly parentNsg?: NsgBuild;
  /** Which instance of a resource copy this is, for a copy whose rules change with copyIndex(). */
  readonly copy?: CopyInstance;
  /** The resource this one is nested in (`resources` of its parent). */
  readonly parent?: ResourceEntry;
  /** The resource's `condition`: deployed only when it holds (undefined: known only at deployment). */
  readonly condition?: { readonly value: boolean | undefined; readonly text: string; readonly span: Span };
}

interface CopyInstance {
  readonly loopName?: string;
  /** Undefined when the count is not known: the one instance read stands for all of them. */
  readonly index?: number;
  readonly unknown?: Unresolved;
}

class ArmReader {
  readonly problems: ParseProblem[] = [];
  private readonly lines: LineIndex;
  private readonly nsgs = new Map<string, NsgBuild>();
  private readonly entries: ResourceEntry[] = [];
  private readonly budget = new CopyBudget();
  /** Copied rule resources already added to an NSG that stands for all its copies. */
  private readonly copiedInto = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly supplied?: { readonly values: ReadonlyMap<string, JsonNode>; readonly file: string },
  ) {
    this.lines = LineIndex.of(text);
  }

  /** The top-level template's scope: its parameters and variables name addresses (ParsedFile.namedAddresses). */
  private topScope: TemplateScope | undefined;

  namedAddresses(): NamedAddresses[] {
    const out: NamedAddresses[] = [];
    for (const d of this.topScope?.declaredValues(MAX_NAMED_ADDRESSES) ?? []) {
      const texts = addressTexts(d.value);
      const addresses = texts ? concreteAddressList(texts) : undefined;
      const from = d.kind === 'parameter' ? this.topScope?.suppliedBy(d.name) : undefined;
      if (addresses) out.push({ name: d.name, kind: d.kind === 'parameter' ? 'parameter' : 'variable', addresses, span: d.span, ...(from ? { valueFrom: from } : {}) });
    }
    return out;
  }

  /** Collects the resources of a template; nested deployments with an inline template are read too. */
  template(root: JsonNode, path: string): void {
    // A parameter file gives values to the file's own template, not to nested deployments' inline ones.
    const ctx = new TemplateScope(member(root, 'parameters'), member(root, 'variables'), this.budget, this.text, false, this.topScope ? undefined : this.supplied);
    this.topScope ??= ctx;
    const resources = member(root, 'resources');
    if (resources?.type === 'array') this.collect(resources.items, path, ctx, undefined, undefined);
    else if (resources?.type === 'object') {
      // languageVersion 2.0 templates keep resources in an object keyed by symbolic name.
      for (const p of resources.props) if (p.value) this.collect([p.value], `${path}.${p.key}`, ctx, undefined, undefined, true);
    }
  }

  private collect(items: readonly JsonNode[], path: string, ctx: ArmScope, parentType: string | undefined, parentNsg: NsgBuild | undefined, keyed = false, parent?: ResourceEntry): void {
    items.forEach((node, i) => {
      if (node.type !== 'object') return;
      const here = keyed ? path : `${path}[${i}]`;
      const typeVal = member(node, 'type');
      const rawType = typeVal?.type === 'string' ? typeVal.value.toLowerCase() : '';
      const type = parentType && rawType && !rawType.includes('/') ? `${parentType}/${rawType}` : rawType;
      const copy = member(node, 'copy');
      if (copy?.type === 'object' && (type === NSG_TYPE || type === NSG_RULE_TYPE) && variesWithCopyIndex(node, type)) {
        for (const instance of this.resourceCopies(copy, ctx, here)) this.resource(node, here, type, instance.scope, parentNsg, parent, instance.copy);
        return;
      }
      const nsg = this.resource(node, here, type, ctx, parentNsg, parent, undefined);
      if (nsg && copy) {
        // Copies that use copyIndex() only in their name (and dependsOn) are the same NSG N times (the NetScaler
        // templates copy an NSG per NIC this way): reading it once gives every copy's rules without N identical
        // findings.
        const count = member(copy, 'count');
        nsg.meta.copies = count ? this.text.slice(count.span.start, count.span.end) : '?';
      }
    });
  }

  /** One resource, or one copy of it; returns the NSG it declares, if it is one. */
  private resource(node: JsonNode, here: string, type: string, ctx: ArmScope, parentNsg: NsgBuild | undefined, parent: ResourceEntry | undefined, copy: CopyInstance | undefined): NsgBuild | undefined {
    const condition = this.condition(node, ctx, here, type);
    // A resource whose condition is false is not deployed, nor are its child resources; a rule stays, disabled.
    if (condition?.value === false && type !== NSG_TYPE && type !== NSG_RULE_TYPE) return undefined;
    const entry: ResourceEntry = { node, path: here, type, ctx, parentNsg, parent, condition, copy };
    this.entries.push(entry);
    let nsg: NsgBuild | undefined;
    if (type === NSG_TYPE) nsg = this.nsg(entry);
    if (condition?.value === false && type !== NSG_TYPE) return nsg;
    if (nsg && condition?.value === false) {
      // Kept so the file still shows it, but it filters nothing: the NSG does not exist.
      nsg.meta.deployed = 'false';
      return nsg;
    }
    if (type === DEPLOYMENT_TYPE) {
      const inner = member(member(node, 'properties'), 'template');
      if (inner?.type === 'object') this.template(inner, `${here}.properties.template.resources`);
    }
    const children = member(node, 'resources');
    if (children?.type === 'array') this.collect(children.items, `${here}.resources`, ctx, type, nsg ?? parentNsg, false, entry);
    return nsg;
  }

  /**
   * The instances of a resource `copy` whose rules change with the index:
   * one scope per index when the count is known, else one instance whose
   * copyIndex() is unknown, and a warning saying why.
   */
  private resourceCopies(copy: JsonNode, ctx: ArmScope, here: string): { scope: ArmScope; copy: CopyInstance }[] {
    const nameNode = member(copy, 'name');
    const loopName = nameNode?.type === 'string' ? nameNode.value : undefined;
    const count = ctx.copyCount(copy);
    if (count.kind === 'known') {
      if (count.count === 0) this.problems.push({ code: 'unresolved-value', severity: 'info', span: copy.span, message: `${here}: its copy count is 0, so no instance of it is deployed` });
      return Array.from({ length: count.count }, (_, index) => ({ scope: ctx.withLoop({ name: loopName, kind: 'resource', index }), copy: { loopName, index } }));
    }
    const reason = `the copy count ${count.text} is not expanded (${count.reason})`;
    this.problems.push({
      code: 'unresolved-value',
      severity: 'warning',
      span: count.span,
      message: `${here}: the rules of this copy loop change with copyIndex(), but ${reason}; only one instance is read, and what its rules decide is unknown`,
    });
    return [{ scope: ctx.withLoop({ name: loopName, kind: 'resource', index: undefined, unknownReason: reason }), copy: { loopName, unknown: { text: count.text, span: count.span, reason } } }];
  }

  /**
   * The resource's `condition`: false (a literal, a parameter's default,
   * `[equals(…)]` over literals) means ARM does not deploy it. One known only
   * at deployment is noted; an NSG under it is read as if deployed, a rule
   * under it decides nothing for certain.
   */
  private condition(node: JsonNode, ctx: ArmScope, path: string, type: string): ResourceEntry['condition'] {
    const cond = member(node, 'condition');
    if (!cond) return undefined;
    const v = ctx.toVal(cond);
    const text = this.text.slice(cond.span.start, cond.span.end);
    if (v.kind === 'boolean') {
      if (!v.value) this.problems.push({ code: 'unresolved-value', severity: 'info', span: cond.span, message: `${path} is not deployed: its condition ${text} is false, so its rules are not applied` });
      return { value: v.value, text, span: cond.span };
    }
    const reason = v.kind === 'unknown' ? ` (${v.reason})` : '';
    const as = type === NSG_RULE_TYPE ? 'flows it may decide are unknown' : 'its rules are checked as if it were deployed';
    this.problems.push({ code: 'unresolved-value', severity: 'info', span: cond.span, message: `${path} is deployed only if ${text}${reason}; ${as}` });
    return { value: undefined, text, span: cond.span };
  }

  private nsg(entry: ResourceEntry): NsgBuild {
    const nameNode = member(entry.node, 'name');
    const nameVal = nameNode ? entry.ctx.toVal(nameNode) : undefined;
    const literalName = nameVal?.kind === 'string' ? nameVal.value : undefined;
    const copy = entry.copy;
    const fallback = copy ? `${entry.path} (copy ${copy.index ?? '?'})` : entry.path;
    let id = literalName ?? fallback;
    for (let n = 2; this.nsgs.has(id); n++) id = `${literalName ?? fallback} (${n})`;
    const meta: Record<string, string> = { resourceIndex: entry.path, resourceType: typeText(entry.node) };
    if (copy) {
      // Rules written once in the template stand for every copy: an edit there is an edit of all of them.
      meta.copyLoop = copy.loopName ?? '';
      meta.loopIndex = copy.index === undefined ? 'unknown' : String(copy.index);
    }
    const keyVal = nameNode && !literalName ? entry.ctx.keyScope().toVal(nameNode) : undefined;
    const nsg: NsgBuild = {
      id,
      // An NSG read once for all its copies is named by what its name is known to be: `adc-nic01-nsg-[copyIndex()]`.
      name: literalName ?? (copy ? fallback : keyVal?.kind === 'string' && nameVal?.kind === 'unknown' && keyVal.value.includes(COPY_INDEX_KEY) ? readableKey(keyVal.value) : nameVal?.kind === 'unknown' ? nameVal.text : entry.path),
      literalName,
      nameKey: literalName ?? (keyVal?.kind === 'string' ? keyVal.value : undefined),
      span: entry.node.span,
      nameSpan: nameNode?.span,
      rules: [],
      usedIds: new Set(),
      meta,
    };
    this.nsgs.set(id, nsg);
    const inline = (item: Val, span: Span): void => {
      if (item.kind !== 'object') return this.unknownRules(nsg, item);
      this.addRule(nsg, item, span, this.copyMeta(copy, { style: 'inline' }), undefined, copy?.unknown ? [copy.unknown] : []);
    };
    const props = member(entry.node, 'properties');
    const rules = member(props, 'securityRules');
    const ruleCopy = rules ? undefined : propertyCopy(props, 'securityRules');
    if (rules) {
      nsg.meta.inlineRules = 'true';
      if (rules.type === 'array') {
        for (const item of rules.items) inline(entry.ctx.toVal(item), item.span);
      } else {
        const v = entry.ctx.toVal(rules);
        if (v.kind === 'array') for (const item of v.items) inline(item, item.span);
        else if (v.kind !== 'null') this.unknownRules(nsg, v);
      }
    } else if (ruleCopy) {
      nsg.meta.inlineRules = 'true';
      nsg.meta.inlineLoop = 'true';
      this.ruleCopy(nsg, ruleCopy, entry);
    }
    return nsg;
  }

  /**
   * `"properties": { "copy": [ { "name": "securityRules", "count": N, "input": { … } } ] }`:
   * the input once per index, each rule pointing at the input. A count not
   * known reads one instance whose copyIndex('securityRules') is unknown, and
   * whatever that rule would decide is unknown.
   */
  private ruleCopy(nsg: NsgBuild, copy: JsonNode, entry: ResourceEntry): void {
    const nameNode = member(copy, 'name');
    const loopName = nameNode?.type === 'string' ? nameNode.value : undefined;
    const input = member(copy, 'input');
    if (!input) {
      this.problems.push({ code: 'unparsed-rule', severity: 'error', span: copy.span, message: `${nsg.id}: the securityRules copy has no input, so ARM builds no rules from it` });
      return;
    }
    const outer = entry.copy?.unknown ? [entry.copy.unknown] : [];
    const count = entry.ctx.copyCount(copy);
    const one = (scope: ArmScope, meta: Record<string, string>, unresolved: Unresolved[]): void => {
      const v = scope.toVal(input);
      if (v.kind !== 'object') return this.unknownRules(nsg, v);
      this.addRule(nsg, v, input.span, this.copyMeta(entry.copy, meta), undefined, unresolved);
    };
    if (count.kind === 'known') {
      for (let index = 0; index < count.count; index++) one(entry.ctx.withLoop({ name: loopName, kind: 'property', index }), { style: 'copy-input', copyLoop: loopName ?? '', inputIndex: String(index) }, outer);
      return;
    }
    const reason = `the securityRules copy count ${count.text} is not expanded (${count.reason})`;
    this.problems.push({ code: 'unresolved-value', severity: 'warning', span: count.span, message: `${nsg.id}: ${reason}; only one instance of its input is read, and what that rule decides is unknown` });
    one(entry.ctx.withLoop({ name: loopName, kind: 'property', index: undefined, unknownReason: reason }), { style: 'copy-input', copyLoop: loopName ?? '', inputIndex: 'unknown' }, [...outer, { text: count.text, span: count.span, reason }]);
  }

  /** A rule's meta, with the resource copy it was generated for (so no edit is aimed at text all copies share). */
  private copyMeta(copy: CopyInstance | undefined, meta: Record<string, string>): Record<string, string> {
    if (!copy) return meta;
    return { ...meta, copyLoop: meta.copyLoop ?? copy.loopName ?? '', loopIndex: copy.index === undefined ? 'unknown' : String(copy.index) };
  }

  private unknownRules(nsg: NsgBuild, v: Val): void {
    const text = v.kind === 'unknown' || v.kind === 'ref' ? v.text : this.text.slice(v.span.start, v.span.end);
    const reason = v.kind === 'unknown' ? v.reason : 'not a list of rules';
    this.problems.push({ code: 'unresolved-value', severity: 'warning', span: v.span, message: `${nsg.id}: security rules ${text} are not known (${reason}); verdicts through this NSG are unknown` });
    for (const p of unknownRulesPlaceholder(text, v.span, reason, nsg.rules.length, text)) {
      nsg.usedIds.add(p.id);
      nsg.rules.push(p);
    }
  }

  private addRule(nsg: NsgBuild, rule: Val, span: Span, meta: Record<string, string>, nameOverride: { name?: string; val?: Val } | undefined, around: readonly Unresolved[] = []): void {
    const nameVal = nameOverride ? nameOverride.val : prop(rule, 'name');
    const name = nameOverride ? nameOverride.name : nameVal?.kind === 'string' ? nameVal.value : undefined;
    const id = uniqueRuleId(name ?? `line ${this.lines.positionAt(span.start).line + 1}`, nsg.usedIds);
    const properties = prop(rule, 'properties');
    const unresolved = [...around, ...(nameVal?.kind === 'unknown' ? [{ text: nameVal.text, span: nameVal.span, reason: `rule name: ${nameVal.reason}` }] : [])];
    if (!properties) this.problems.push({ code: 'unparsed-rule', severity: 'error', span, message: `${id}: the rule has no properties` });
    else if (properties.kind === 'unknown') {
      this.problems.push({ code: 'unresolved-value', severity: 'warning', span: properties.span, message: `${id}: properties ${properties.text} are not known (${properties.reason})` });
    }
    const built = azureRuleFromProperties({
      id,
      name,
      properties: properties?.kind === 'object' ? properties : undefined,
      span,
      order: nsg.rules.length,
      text: this.text,
      meta: { ...meta, nsg: nsg.id, ...this.indentMeta(span.start) },
      unresolved,
    });
    this.problems.push(...built.problems);
    nsg.rules.push(built.rule);
  }

  finish(): RuleSet[] {
    for (const e of this.entries) if (e.type === NSG_RULE_TYPE) this.childRule(e);
    const vnets = new Map<string, AddressSet>();
    const associations = this.associations(vnets);
    const out: RuleSet[] = [];
    for (const nsg of this.nsgs.values()) {
      const placement = nsgPlacement(nsg.id, associations);
      const networks = nsgNetworks(nsg.id, associations, vnets);
      const built = azureNsgRuleSet({ id: nsg.id, name: nsg.name, format: 'arm', span: nsg.span, nameSpan: nsg.nameSpan, rules: nsg.rules, appliesTo: placement.appliesTo, stage: placement.stage, meta: placement.meta ? { ...nsg.meta, ...placement.meta } : nsg.meta });
      this.problems.push(...built.problems);
      const placed = withKnownVirtualNetwork(networks.guardedNetworks ? { ...built.ruleSet, guardedNetworks: networks.guardedNetworks } : built.ruleSet, networks.knownVirtualNetwork);
      out.push(nsg.meta.deployed === 'false' ? notDeployed(placed) : placed);
    }
    out.push(...this.firewalls());
    return out;
  }

  /**
   * Firewall policies with their rule collection groups (child resources
   * nested in the policy or named `policy/group`) and firewalls with classic
   * rule collections, in the shared Azure Firewall semantics.
   */
  private firewalls(): RuleSet[] {
    const builds = new FirewallBuilds();
    const byEntry = new Map<ResourceEntry, FirewallBuild>();
    const literal = (v: Val | undefined): string | undefined => (v?.kind === 'string' ? v.value : undefined);
    for (const e of this.entries) {
      if (e.type !== FIREWALL_POLICY_TYPE || e.condition?.value === false) continue;
      const v = e.ctx.toVal(e.node);
      const name = literal(prop(v, 'name'));
      const b = builds.add(name ?? e.path, e.node.span, 'policy', { resourceIndex: e.path, resourceType: typeText(e.node) }, member(e.node, 'name')?.span);
      byEntry.set(e, b);
      if (name) builds.nameAs(name, b);
      const base = prop(prop(v, 'properties'), 'basePolicy');
      if (base && base.kind !== 'null') {
        const text = this.text.slice(base.span.start, base.span.end);
        b.unknown.push({ text: `parent policy ${text}`, span: base.span, reason: 'a parent policy: its rule collection groups come first and are not in this file' });
      }
    }
    for (const e of this.entries) {
      if (e.type !== RULE_COLLECTION_GROUP_TYPE || e.condition?.value === false) continue;
      const v = e.ctx.toVal(e.node);
      const nameVal = prop(v, 'name');
      const full = literal(nameVal);
      let policy = e.parent ? byEntry.get(e.parent) : undefined;
      let groupName = full;
      if (!policy) {
        const slash = full?.indexOf('/') ?? -1;
        const policyName = full !== undefined && slash > 0 ? full.slice(0, slash) : undefined;
        groupName = policyName !== undefined ? full?.slice(slash + 1) : full;
        policy = policyName !== undefined ? builds.named(policyName) : undefined;
        if (!policy) {
          const id = policyName ?? '(unknown firewall policy)';
          policy = builds.all.find((b) => b.id === id && b.meta.declared === 'false') ?? builds.add(id, e.node.span, 'policy', { declared: 'false' });
          if (policyName === undefined) {
            const why = nameVal?.kind === 'unknown' ? nameVal.reason : "the name is not a literal 'policy/group'";
            this.problems.push({ code: 'unparsed-rule', severity: 'warning', span: nameVal?.span ?? e.node.span, message: `${e.path}: cannot tell which firewall policy this rule collection group belongs to (${why})` });
          }
        }
      } else if (groupName?.includes('/')) groupName = groupName.slice(groupName.lastIndexOf('/') + 1);
      const collections = armRuleCollections(prop(v, 'properties'), { name: groupName, span: e.node.span }, { resourceIndex: e.path }, this.problems, policy.unknown, this.text);
      const cond = e.condition;
      const conditions = cond && cond.value === undefined ? [{ kind: 'other' as const, text: `condition ${cond.text}`, span: cond.span, effect: 'unknown' as const }] : [];
      policy.collections.push(...collections.map((c) => (conditions.length ? { ...c, conditions } : c)));
    }
    for (const e of this.entries) {
      if (e.type !== AZURE_FIREWALL_TYPE || e.condition?.value === false) continue;
      const v = e.ctx.toVal(e.node);
      const name = literal(prop(v, 'name')) ?? e.path;
      const props = prop(v, 'properties');
      const policyId = prop(prop(props, 'firewallPolicy'), 'id');
      const policyName = policyId?.kind === 'ref' ? policyId.name : policyId?.kind === 'string' ? policyId.value.slice(policyId.value.lastIndexOf('/') + 1) : undefined;
      const policy = policyName ? builds.named(policyName) : undefined;
      if (policy && !policy.appliesTo.includes(`firewall ${name}`)) policy.appliesTo.push(`firewall ${name}`);
      const classic = armClassicCollections(props, { resourceIndex: e.path }, this.problems);
      if (classic.length) builds.add(name, e.node.span, 'classic', { resourceIndex: e.path, resourceType: typeText(e.node) }, member(e.node, 'name')?.span).collections.push(...classic);
    }
    return builds.ruleSets('arm', this.text, this.problems);
  }

  private childRule(e: ResourceEntry): void {
    const v = e.ctx.toVal(e.node);
    const nameVal = prop(v, 'name');
    let name = nameVal?.kind === 'string' ? nameVal.value : undefined;
    let target = e.parentNsg;
    const meta = this.copyMeta(e.copy, { style: target ? 'child-nested' : 'child-name', resourceIndex: e.path });
    let nameForRule: Val | undefined = nameVal;
    const keyNode = member(e.node, 'name');
    const keyVal = !target && name === undefined && keyNode ? e.ctx.keyScope().toVal(keyNode) : undefined;
    const keySlash = keyVal?.kind === 'string' ? keyVal.value.indexOf('/') : -1;
    if (!target) {
      const slash = name?.indexOf('/') ?? -1;
      if (name !== undefined && slash > 0) {
        const parentName = name.slice(0, slash);
        name = name.slice(slash + 1);
        // `…-nsg-0/ssh`, one copy of a rule loop, belongs to the NSG copied by the same index and read once for all copies.
        const copied = this.copiedNsgNamed(parentName);
        target = [...this.nsgs.values()].find((n) => n.literalName === parentName) ?? copied ?? this.undeclared(parentName, nameVal!.span);
        if (target === copied && e.copy) {
          const seen = `${e.path}\u0000${target.id}`;
          if (this.copiedInto.has(seen)) return;
          this.copiedInto.add(seen);
        }
      } else if (keyVal?.kind === 'string' && keySlash > 0) {
        // `[concat(parameters('vm'), '-nsg/ssh')]` with no default: the NSG whose name is built from the same parameter.
        const parentKey = keyVal.value.slice(0, keySlash);
        const ruleKey = keyVal.value.slice(keySlash + 1);
        if (!ruleKey.includes(KEY_MARK)) {
          name = ruleKey;
          nameForRule = { kind: 'string', value: ruleKey, span: keyVal.span };
        }
        target = [...this.nsgs.values()].find((n) => n.nameKey !== undefined && keyMatches(n.nameKey, parentKey)) ?? this.undeclared(readableKey(parentKey), keyVal.span);
        // An NSG read once for all its copies takes each copied rule once too.
        if (e.copy && target.meta.copies !== undefined) {
          const seen = `${e.path}\u0000${target.id}`;
          if (this.copiedInto.has(seen)) return;
          this.copiedInto.add(seen);
        }
      } else {
        const why = nameVal?.kind === 'unknown' ? nameVal.reason : "the name is not a literal 'nsg/rule'";
        this.problems.push({ code: 'unparsed-rule', severity: 'warning', span: nameVal?.span ?? e.node.span, message: `${e.path}: cannot tell which NSG this rule belongs to (${why})` });
        target = this.undeclared('(unknown NSG)', e.node.span);
      }
    } else if (name !== undefined && name.includes('/')) {
      name = name.slice(name.lastIndexOf('/') + 1);
    }
    const before = target.rules.length;
    this.addRule(target, v, e.node.span, meta, { name, val: nameForRule }, e.copy?.unknown ? [e.copy.unknown] : []);
    const cond = e.condition;
    if (cond && cond.value !== true && target.rules.length > before) {
      const rule = target.rules[before];
      target.rules[before] =
        cond.value === false
          ? { ...rule, enabled: { value: false, span: cond.span, text: cond.text } }
          : { ...rule, conditions: [...rule.conditions, { kind: 'other', text: `condition ${cond.text}`, span: cond.span, effect: 'unknown' }] };
    }
  }

  /** The NSG read once for all its copies whose name, with an index or with `copyIndex()`, is `name`. */
  private copiedNsgNamed(name: string): NsgBuild | undefined {
    return [...this.nsgs.values()].find((n) => n.literalName === undefined && n.nameKey !== undefined && n.meta.copies !== undefined && (n.nameKey === name || keyMatches(n.nameKey, name)));
  }

  private undeclared(name: string, span: Span): NsgBuild {
    const existing = this.nsgs.get(name);
    if (existing) return existing;
    const nsg: NsgBuild = { id: name, name, literalName: name, span, rules: [], usedIds: new Set(), meta: { declared: 'false' } };
    this.problems.push({ code: 'unresolved-value', severity: 'info', span, message: `NSG ${name} is not declared in this file: only the rules written here are known` });
    this.nsgs.set(name, nsg);
    return nsg;
  }

  private associations(vnets: Map<string, AddressSet>): NsgAssociation[] {
    const out: NsgAssociation[] = [];
    const nsgOf = (v: Val | undefined): string | undefined => {
      const id = prop(v, 'id');
      if (!id) return undefined;
      const name = id.kind === 'ref' ? id.name : id.kind === 'string' ? id.value.slice(id.value.lastIndexOf('/') + 1) : undefined;
      if (!name) return undefined;
      const nsgs = [...this.nsgs.values()];
      // A NIC of copy 0 names `…-nsg-0`: the NSG read once for all its copies.
      return (nsgs.find((n) => n.literalName === name) ?? this.copiedNsgNamed(name))?.id;
    };
    const nameOf = (v: Val): string => {
      const n = prop(v, 'name');
      return n?.kind === 'string' ? n.value : n?.kind === 'unknown' ? n.text : '?';
    };
    for (const e of this.entries) {
      if (e.type === VNET_TYPE) {
        const v = e.ctx.toVal(e.node);
        const vnet = nameOf(v);
        addVnetAddresses(vnets, vnet, prop(v, 'properties'));
        const subnets = prop(prop(v, 'properties'), 'subnets');
        if (subnets?.kind !== 'array') continue;
        for (const s of subnets.items) {
          const nsg = nsgOf(prop(prop(s, 'properties'), 'networkSecurityGroup'));
          const name = `${vnet}/${nameOf(s)}`;
          const prefixes = subnetPrefixes(prop(s, 'properties'));
          if (nsg) out.push({ nsg, kind: 'subnet', label: `subnet:${name}`, vnet, ...(prefixes ? { network: { name, ...prefixes } } : {}) });
        }
      } else if (e.type === SUBNET_TYPE) {
        const v = e.ctx.toVal(e.node);
        const name = nameOf(v);
        // A top-level subnet is named `vnet/subnet`.
        const vnet = name.includes('/') ? name.slice(0, name.indexOf('/')) : undefined;
        addSubnetAddresses(vnets, vnet, prop(v, 'properties'));
        const nsg = nsgOf(prop(prop(v, 'properties'), 'networkSecurityGroup'));
        const prefixes = subnetPrefixes(prop(v, 'properties'));
        if (nsg) out.push({ nsg, kind: 'subnet', label: `subnet:${name}`, ...(vnet ? { vnet } : {}), ...(prefixes ? { network: { name, ...prefixes } } : {}) });
      }
    }
    for (const e of this.entries) {
      if (e.type !== NIC_TYPE) continue;
      const v = e.ctx.toVal(e.node);
      const props = prop(v, 'properties');
      // A NIC copied like its NSG names it with copyIndex(): the name keys of the two are the same.
      const nsg = nsgOf(prop(props, 'networkSecurityGroup')) ?? nsgOf(prop(prop(e.ctx.keyScope().toVal(e.node), 'properties'), 'networkSecurityGroup'));
      if (!nsg) continue;
      let nicSubnet: string | undefined;
      const configs = prop(props, 'ipConfigurations');
      if (configs?.kind === 'array') {
        for (const c of configs.items) {
          const id = prop(prop(prop(c, 'properties'), 'subnet'), 'id');
          if (id?.kind === 'ref' && id.resourceType === SUBNET_TYPE && id.name) nicSubnet = `subnet:${id.name}`;
        }
      }
      out.push({ nsg, kind: 'nic', label: `nic:${nameOf(v)}`, nicSubnet });
    }
    return out;
  }

  private indentMeta(start: number): Record<string, string> {
    const line = this.lines.positionAt(start).line;
    const lineText = this.lines.lineText(line);
    const next = this.lines.lineText(line + 1);
    return { indent: lineText.slice(0, lineText.length - lineText.trimStart().length), propertyIndent: next.slice(0, next.length - next.trimStart().length) };
  }
}

/** Whether an NSG's name key names the NSG a rule's key points at; an unbound copyIndex() in the NSG's key matches any index. */
function keyMatches(nsgKey: string, ruleParentKey: string): boolean {
  const holes = nsgKey.split(COPY_INDEX_KEY).length - 1;
  // A few indexes in one name are real; many are a pattern whose matching could backtrack for long.
  if (holes === 0 || holes > 3) return nsgKey === ruleParentKey;
  const pattern = nsgKey.split(COPY_INDEX_KEY).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\d+');
  return new RegExp(`^${pattern}$`).test(ruleParentKey);
}

/** A name key as a person reads it: `[parameters('vm')]-nsg`. */
function readableKey(key: string): string {
  return key.replace(new RegExp(`${KEY_MARK}([^${KEY_MARK}]*)${KEY_MARK}`, 'g'), '[$1]');
}

/** The element of an object's `"copy": [ … ]` that builds the property `name`. */
function propertyCopy(node: JsonNode | undefined, name: string): JsonNode | undefined {
  const copies = member(node, 'copy');
  if (copies?.type !== 'array') return undefined;
  const lower = name.toLowerCase();
  return copies.items.find((c) => {
    const n = member(c, 'name');
    return n?.type === 'string' && n.value.toLowerCase() === lower;
  });
}

function typeText(node: JsonNode): string {
  const t = member(node, 'type');
  const api = member(node, 'apiVersion');
  return `${t?.type === 'string' ? t.value : '?'}@${api?.type === 'string' ? api.value : '?'}`;
}

/**
 * Whether a copied NSG or rule resource differs from copy to copy: copyIndex()
 * in anything but its copy block and dependsOn, and for an NSG its name (an
 * NSG's name does not change its rules; a rule's name says which NSG it is in).
 */
function variesWithCopyIndex(node: JsonNode, type: string): boolean {
  if (node.type !== 'object') return false;
  const walk = (n: JsonNode | undefined): boolean => {
    if (!n) return false;
    if (n.type === 'string') return /copyindex\s*\(/i.test(n.value);
    if (n.type === 'array') return n.items.some(walk);
    if (n.type === 'object') return n.props.some((p) => walk(p.value));
    return false;
  };
  const ignored = new Set(['copy', 'dependson', ...(type === NSG_TYPE ? ['name'] : [])]);
  return node.props.some((p) => !ignored.has(p.key.toLowerCase()) && walk(p.value));
}
