import type { ParsedFile, Rule, RuleSet } from '../../model';
import { awsDescription } from '../aws/securityGroup';
import { AclEntryPlanner } from '../aws/networkAclEntries';
import type { AllowRuleEmitter, AllowRuleRequest } from '../../model/edits';
import type { AddressSymbol } from '../../net';
import { firewallOrdering } from '../azure/firewall';
import { azureProperties, neighbourRule, orderProperties, planAzureRules, writtenRules, type AzureRuleSpec, type AzureValue } from '../azure/emit';
import {
  Insertions,
  addressPlan,
  choosePriority,
  eolOf,
  findKey,
  identifier,
  indentAt,
  indentUnit,
  lineStartAt,
  nameWords,
  oneLine,
  placeholderMeaning,
  placeholderWords,
  portText,
  styleName,
  uniqueName,
} from '../emitSupport';
import { attribute, blocksOf, parseHcl, type HclBlock, type HclBody } from './hcl';

/**
 * Writes allow rules into Terraform in the shape the neighbours use: an
 * azurerm `security_rule` block or `azurerm_network_security_rule` resource;
 * an AWS inline `ingress`/`egress` block, `aws_security_group_rule` or
 * `aws_vpc_security_group_*_rule` resource; a `google_compute_firewall`
 * resource. Attributes are aligned as `terraform fmt` aligns them (as the
 * neighbours are), with the file's indentation and line endings. An address
 * the topology does not know becomes a `var.citrix_<role>_addresses`
 * reference, declared at the end of the file without a default, so the file
 * stays valid and `terraform plan` asks for the value instead of opening the
 * rule to everyone.
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  if (requests.length === 0) return { edits: [] };
  const file = requests[0].file;
  if (requests.some((r) => r.file !== file)) return { error: 'all requests of one batch must be for the same file' };
  // JSON-syntax Terraform is nearly always generated (CDK for Terraform, scripts); an edit there is lost on the next run.
  if (/\.json$/i.test(file.uri)) return { error: 'this is Terraform JSON syntax, usually written by a generator (CDK for Terraform, a script): add the rule where it is generated, or in a .tf file of the module' };
  let w: Writer;
  try {
    w = new Writer(file);
  } catch (e) {
    return { error: `the file could not be read again: ${e instanceof Error ? e.message : String(e)}` };
  }
  const byKind = (kind: string): AllowRuleRequest[] => requests.filter((r) => r.ruleSet.kind === kind);
  const other = requests.find((r) => !['azure-nsg', 'aws-security-group', 'aws-network-acl', 'gcp-firewall', 'azure-firewall'].includes(r.ruleSet.kind));
  if (other) return { error: `cannot write rules for ${/^[aeiou]/i.test(other.ruleSet.kind) ? 'an' : 'a'} ${other.ruleSet.kind} rule set` };
  const results = [w.azure(byKind('azure-nsg')), w.aws(byKind('aws-security-group')), w.networkAcl(byKind('aws-network-acl')), w.gcp(byKind('gcp-firewall')), w.azureFirewall(byKind('azure-firewall'))];
  const failed = results.find((r): r is string => typeof r === 'string');
  if (failed) return { error: failed };
  w.declarePlaceholders();
  return { edits: w.out.edits(file.uri) };
};

/**
 * The last texts the writer parsed: an editor asks for code actions at every
 * cursor move on one version of a file, and reading a 10,000-line file again
 * for each took most of a code action's time. The writer only reads the tree.
 */
const recentTrees: { text: string; doc: ReturnType<typeof parseHcl> }[] = [];
const RECENT_TREES = 4;

function hclOf(text: string): ReturnType<typeof parseHcl> {
  const hit = recentTrees.find((t) => t.text === text);
  if (hit) return hit.doc;
  const doc = parseHcl(text);
  recentTrees.unshift({ text, doc });
  recentTrees.length = Math.min(recentTrees.length, RECENT_TREES);
  return doc;
}

type HclItem = { readonly attr: string; readonly value: string } | { readonly comment: string } | { readonly block: string; readonly items: readonly HclItem[] } | { readonly blank: true };

function hclString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$\{/g, '$${').replace(/%\{/g, '%%{')}"`;
}
const hclList = (values: readonly string[]): string => `[${values.map(hclString).join(', ')}]`;

class Writer {
  readonly out = new Insertions();
  readonly eol: string;
  private readonly text: string;
  private readonly resources: HclBlock[];
  private readonly variables = new Set<string>();
  private readonly placeholders = new Map<string, { meaning: string; type: 'list(string)' | 'string' }>();
  private readonly labels = new Map<string, Set<string>>();

  constructor(file: ParsedFile) {
    this.text = file.text;
    this.eol = eolOf(file.text);
    const doc = hclOf(file.text);
    this.resources = blocksOf(doc.body, 'resource');
    for (const v of blocksOf(doc.body, 'variable')) if (v.labels[0]) this.variables.add(v.labels[0].value);
    for (const r of this.resources) {
      const [type, name] = r.labels;
      if (!type || !name) continue;
      const set = this.labels.get(type.value) ?? new Set<string>();
      set.add(name.value);
      this.labels.set(type.value, set);
    }
  }

  /** The resource block whose span starts where a rule or rule set says it does. */
  private resourceAt(start: number): HclBlock | undefined {
    return this.resources.find((r) => r.span.start === start);
  }

  private resourceByAddress(address: string | undefined): HclBlock | undefined {
    if (!address) return undefined;
    const base = address.includes('[') ? address.slice(0, address.indexOf('[')) : address;
    return this.resources.find((r) => `${r.labels[0]?.value}.${r.labels[1]?.value}` === base);
  }

  private attrText(body: HclBody, name: string): string | undefined {
    const a = attribute(body, name);
    return a ? this.text.slice(a.expr.span.start, a.expr.span.end) : undefined;
  }

  /** Indentation of a block's line and of its first attribute; the file's step when the block is empty. */
  private indents(block: HclBlock | undefined, fallbackOuter = ''): { outer: string; inner: string; unit: string } {
    const outer = block ? indentAt(this.text, block.span.start) : fallbackOuter;
    const first = block?.body.items[0];
    const inner = first ? indentAt(this.text, first.span.start) : `${outer}${this.fileUnit()}`;
    return { outer, inner, unit: indentUnit(outer, inner) };
  }

  private fileUnit(): string {
    for (const r of this.resources) {
      const first = r.body.items[0];
      if (first) return indentUnit(indentAt(this.text, r.span.start), indentAt(this.text, first.span.start));
    }
    return '  ';
  }

  /** Whether the neighbour aligns `=` (as `terraform fmt` does); true when there is no neighbour. */
  private aligned(raw: string | undefined): boolean {
    if (!raw) return true;
    const lines = raw.split(/\r?\n/).filter((l) => /^\s*[A-Za-z_][A-Za-z0-9_-]*\s*=/.test(l));
    if (lines.length < 2) return true;
    const columns = new Set(lines.map((l) => l.indexOf('=')));
    const single = lines.every((l) => /^\s*[A-Za-z_][A-Za-z0-9_-]* =/.test(l));
    return !(single && columns.size > 1);
  }

  private render(items: readonly HclItem[], indent: string, unit: string, align: boolean): string[] {
    const lines: string[] = [];
    let run: { attr: string; value: string }[] = [];
    const flush = (): void => {
      const width = align ? Math.max(0, ...run.map((a) => a.attr.length)) : 0;
      for (const a of run) lines.push(`${indent}${a.attr.padEnd(width)} = ${a.value}`);
      run = [];
    };
    for (const item of items) {
      if ('attr' in item) {
        run.push(item);
        continue;
      }
      flush();
      if ('comment' in item) lines.push(`${indent}# ${item.comment}`);
      else if ('blank' in item) lines.push('');
      else {
        lines.push(`${indent}${item.block} {`);
        lines.push(...this.render(item.items, indent + unit, unit, align));
        lines.push(`${indent}}`);
      }
    }
    flush();
    return lines;
  }

  private block(header: string, items: readonly HclItem[], outer: string, unit: string, align: boolean, comment?: string): string {
    const lines = [...(comment ? [`${outer}# ${comment}`] : []), `${outer}${header} {`, ...this.render(items, outer + unit, unit, align), `${outer}}`];
    return lines.join(this.eol);
  }

  /** After the block ending at `end`: a blank line, then the new text. */
  private insertAfter(end: number, text: string): void {
    this.out.add(end, `${this.eol}${this.eol}${text}`);
  }

  /** Before the closing brace of `block`, on lines of their own. */
  private insertBeforeClose(block: HclBlock, text: string): void {
    const close = block.span.end - 1;
    const lineStart = lineStartAt(this.text, close);
    const onlyBrace = this.text.slice(lineStart, close).trim() === '';
    if (onlyBrace) this.out.add(lineStart, `${block.body.items.length ? this.eol : ''}${text}${this.eol}`);
    else this.out.add(close, `${this.eol}${text}${this.eol}`);
  }

  private uniqueLabel(type: string, words: readonly string[]): string {
    const set = this.labels.get(type) ?? new Set<string>();
    this.labels.set(type, set);
    return uniqueName(identifier(words, 'lower-snake'), set, '_', 64);
  }

  /** `var.citrix_gateway_snip_addresses`, declared once at the end of the file. */
  placeholder(symbol: AddressSymbol): string {
    const name = identifier(placeholderWords(symbol), 'lower-snake');
    if (!this.placeholders.has(name) && !this.variables.has(name)) this.placeholders.set(name, { meaning: placeholderMeaning(symbol), type: 'list(string)' });
    return `var.${name}`;
  }

  /** `var.citrix_delivery_controller_cidr`: one CIDR, for a network ACL entry, which holds exactly one. */
  placeholderCidr(symbol: AddressSymbol): string {
    const name = identifier([...placeholderWords(symbol).filter((w) => w !== 'addresses'), 'cidr'], 'lower-snake');
    if (!this.placeholders.has(name) && !this.variables.has(name)) this.placeholders.set(name, { meaning: `${placeholderMeaning(symbol)} (one CIDR)`, type: 'string' });
    return `var.${name}`;
  }

  declarePlaceholders(): void {
    if (this.placeholders.size === 0) return;
    const unit = this.fileUnit();
    const blocks = [...this.placeholders].map(([name, { meaning, type }]) =>
      this.block(`variable "${name}"`, [{ attr: 'description', value: hclString(meaning) }, { attr: 'type', value: type }], '', unit, true, 'Placeholder written by Citrix Flow Lint: no default on purpose, so Terraform asks for the addresses.'),
    );
    const end = this.text.length;
    const endsWithBreak = /\n$/.test(this.text);
    this.out.add(end, `${endsWithBreak ? '' : this.eol}${this.eol}${blocks.join(this.eol + this.eol)}${this.eol}`);
  }

  // ---------------------------------------------------------------- Azure

  azure(requests: readonly AllowRuleRequest[]): string | undefined {
    if (requests.length === 0) return undefined;
    const plan = planAzureRules(requests);
    if ('error' in plan) return plan.error;
    for (const spec of plan.specs) {
      const err = this.azureRule(spec);
      if (err) return err;
    }
    return undefined;
  }

  private azureItems(spec: AzureRuleSpec, neighbourRaw: string | undefined, extra: readonly HclItem[]): HclItem[] {
    const snake = (arm: string): string => arm.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const props = new Map<string, AzureValue>([['name', { kind: 'string', value: spec.name }]]);
    const armProps = azureProperties(spec, false);
    // azurerm's documented order: name, priority, direction, access, protocol, ports, addresses.
    for (const key of ['priority', 'direction', 'access']) props.set(key, armProps.get(key)!);
    for (const [k, v] of armProps) if (!props.has(k)) props.set(k, v);
    const ordered = orderProperties(props, neighbourRaw, (raw, name) => findKey(raw, snake(name), '='));
    const items: HclItem[] = ordered.map(([k, v]) => ({ attr: snake(k), value: this.hclValue(v, spec) }));
    return [...items, ...extra];
  }

  private hclValue(v: AzureValue, spec: AzureRuleSpec): string {
    switch (v.kind) {
      case 'string':
        return hclString(v.value);
      case 'number':
        return String(v.value);
      case 'list':
        return hclList(v.values);
      case 'placeholder': {
        const side = spec.source.placeholder && identifier(spec.source.placeholder.words, 'lower-snake') === identifier(v.words, 'lower-snake') ? spec.request.source : spec.request.destination;
        const symbol = side.symbols.find((s) => identifier(placeholderWords(s), 'lower-snake') === identifier(v.words, 'lower-snake'));
        return this.placeholder(symbol ?? { kind: 'variable', name: v.words.join('-') });
      }
    }
  }

  private azureRule(spec: AzureRuleSpec): string | undefined {
    const rs = spec.request.ruleSet;
    const written = writtenRules(rs);
    const styleOf = (r: Rule): string | undefined => r.meta?.style;
    const nsgBlock = rs.meta?.declared === 'elsewhere' ? undefined : this.resourceAt(rs.span.start);
    const before = spec.request.before && !spec.request.before.implicit ? spec.request.before : undefined;
    let style = before ? styleOf(before) : undefined;
    const inline = written.filter((r) => styleOf(r) === 'inline');
    const separate = written.filter((r) => styleOf(r) === 'resource');
    style ??= inline.length >= separate.length && nsgBlock ? 'inline' : separate.length ? 'resource' : nsgBlock ? 'inline' : undefined;
    if (!style) return `${rs.name} is not declared in this file and has no rule resources to model a new one on`;
    const comment = spec.comment;
    if (style === 'inline') {
      if (!nsgBlock) return `the NSG ${rs.name} is not declared in this file`;
      const ruleBlocks = nsgBlock.body.items.filter((i): i is HclBlock => i.kind === 'block' && (i.type === 'security_rule' || (i.type === 'dynamic' && i.labels[0]?.value === 'security_rule')));
      const neighbour = neighbourRule(spec.request, (r) => styleOf(r) === 'inline' && r.meta?.dynamic !== 'true');
      const neighbourBlock = ruleBlocks.find((b) => neighbour && b.span.start === neighbour.span.start) ?? ruleBlocks.find((b) => b.type === 'security_rule');
      const outer = neighbourBlock ? indentAt(this.text, neighbourBlock.span.start) : this.indents(nsgBlock).inner;
      const inner = neighbourBlock?.body.items[0] ? indentAt(this.text, neighbourBlock.body.items[0].span.start) : outer + this.indents(nsgBlock).unit;
      const raw = neighbourBlock ? this.text.slice(neighbourBlock.span.start, neighbourBlock.span.end) : undefined;
      const text = this.block('security_rule', this.azureItems(spec, raw, []), outer, indentUnit(outer, inner), this.aligned(raw), comment);
      const last = ruleBlocks[ruleBlocks.length - 1];
      if (last) this.insertAfter(last.span.end, text);
      else this.insertBeforeClose(nsgBlock, text);
      return undefined;
    }
    const neighbour = neighbourRule(spec.request, (r) => styleOf(r) === 'resource');
    const neighbourBlock = neighbour ? this.resourceAt(neighbour.span.start) : undefined;
    if (!neighbourBlock) return `no azurerm_network_security_rule of ${rs.name} to model a new one on`;
    const extra: HclItem[] = [];
    for (const attr of ['resource_group_name', 'network_security_group_name']) {
      let value = this.attrText(neighbourBlock.body, attr);
      if (value && /\b(each|count)\./.test(value) && nsgBlock) value = `${nsgBlock.labels[0]?.value}.${nsgBlock.labels[1]?.value}.${attr === 'resource_group_name' ? 'resource_group_name' : 'name'}`;
      if (value) extra.push({ attr, value });
    }
    const raw = this.text.slice(neighbourBlock.span.start, neighbourBlock.span.end);
    const { outer, unit } = this.indents(neighbourBlock);
    const label = this.uniqueLabel('azurerm_network_security_rule', spec.words);
    const text = this.block(`resource "azurerm_network_security_rule" "${label}"`, this.azureItems(spec, raw, extra), outer, unit, this.aligned(raw), comment);
    const lastEnd = Math.max(...separate.map((r) => r.span.end));
    this.insertAfter(lastEnd, text);
    return undefined;
  }

  // ---------------------------------------------------------------- Azure Firewall

  /**
   * A network rule in a policy's rule collection group. Azure Firewall takes
   * the first match across DNAT, then network, then application collections,
   * groups by priority and collections by priority within a group, so the
   * rule goes into an Allow network collection that runs before the rule that
   * denies the flow (one named for Citrix if there is one, else the last
   * before the deny); when none does, into a new Allow collection just
   * before the deny in its group.
   */
  azureFirewall(requests: readonly AllowRuleRequest[]): string | undefined {
    const added = new Map<HclBlock, { rules: string[]; names: Set<string> }>();
    const newCollections = new Map<HclBlock, { priority: number; rules: string[]; names: Set<string> }[]>();
    for (const req of requests) {
      const err = this.firewallRule(req, added, newCollections);
      if (err) return err;
    }
    for (const [collection, { rules }] of added) {
      const last = collection.body.items.filter((i): i is HclBlock => i.kind === 'block' && i.type === 'rule').pop();
      if (last) this.insertAfter(last.span.end, rules.join(`${this.eol}${this.eol}`));
      else this.insertBeforeClose(collection, rules.join(`${this.eol}${this.eol}`));
    }
    for (const [group, list] of newCollections) {
      const { inner, unit } = this.indents(group);
      for (const c of list) {
        const names = new Set(this.collections(group).map((b) => this.literalString(b.body, 'name')).filter((n): n is string => !!n));
        const name = uniqueName('allow-citrix-flows', names);
        const header = [`${inner}network_rule_collection {`, ...this.render([{ attr: 'name', value: hclString(name) }, { attr: 'priority', value: String(c.priority) }, { attr: 'action', value: hclString('Allow') }], inner + unit, unit, true)];
        const text = [...header, '', c.rules.join(`${this.eol}${this.eol}`), `${inner}}`].join(this.eol);
        const before = this.collections(group).find((b) => (this.literalNumber(b.body, 'priority') ?? Infinity) > c.priority);
        if (before) this.out.add(lineStartAt(this.text, before.span.start), `${text}${this.eol}${this.eol}`);
        else this.insertBeforeClose(group, text);
      }
    }
    return undefined;
  }

  private collections(group: HclBlock): HclBlock[] {
    return group.body.items.filter((i): i is HclBlock => i.kind === 'block' && /^(nat|network|application)_rule_collection$/.test(i.type));
  }

  private literalNumber(body: HclBody, name: string): number | undefined {
    const a = attribute(body, name);
    return a?.expr.kind === 'literal' && typeof a.expr.value === 'number' ? a.expr.value : undefined;
  }

  private literalString(body: HclBody, name: string): string | undefined {
    const a = attribute(body, name);
    if (a?.expr.kind === 'literal' && typeof a.expr.value === 'string') return a.expr.value;
    if (a?.expr.kind === 'template' && a.expr.parts.length === 1 && 'literal' in a.expr.parts[0]) return a.expr.parts[0].literal;
    return undefined;
  }

  private firewallRule(
    req: AllowRuleRequest,
    added: Map<HclBlock, { rules: string[]; names: Set<string> }>,
    newCollections: Map<HclBlock, { priority: number; rules: string[]; names: Set<string> }[]>,
  ): string | undefined {
    const rs = req.ruleSet;
    if (rs.meta?.firewallStyle === 'classic') return `${rs.name} uses classic rule collections (azurerm_firewall_network_rule_collection); add the rule to one by hand, or move the firewall to a policy`;
    if (req.reply) return 'Azure Firewall is stateful: replies need no rule';
    const policyRef = new RegExp(`^${rs.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.id$`);
    const groups = this.resources.filter((r) => r.labels[0]?.value === 'azurerm_firewall_policy_rule_collection_group' && policyRef.test(this.attrText(r.body, 'firewall_policy_id') ?? ''));
    if (groups.length === 0) return `no rule collection group of ${rs.name} is written in this file`;
    const limit = req.before?.priority?.value ?? Infinity;
    type Candidate = { block: HclBlock; group: HclBlock; order: number; name: string };
    const candidates: Candidate[] = [];
    for (const group of groups) {
      const groupPriority = this.literalNumber(group.body, 'priority');
      if (groupPriority === undefined) continue;
      for (const c of this.collections(group)) {
        const priority = this.literalNumber(c.body, 'priority');
        if (c.type !== 'network_rule_collection' || priority === undefined || this.literalString(c.body, 'action')?.toLowerCase() !== 'allow') continue;
        const order = firewallOrdering('network', groupPriority, priority);
        if (order < limit) candidates.push({ block: c, group, order, name: this.literalString(c.body, 'name') ?? '' });
      }
    }
    const chosen = candidates.find((c) => /citrix/i.test(c.name)) ?? candidates.sort((a, b) => b.order - a.order)[0];
    const neighbour = (chosen ? chosen.block : undefined)?.body.items.find((i): i is HclBlock => i.kind === 'block' && i.type === 'rule')
      ?? groups.flatMap((g) => this.collections(g)).flatMap((c) => c.body.items.filter((i): i is HclBlock => i.kind === 'block' && i.type === 'rule'))[0];
    const raw = neighbour ? this.text.slice(neighbour.span.start, neighbour.span.end) : undefined;
    if (chosen) {
      const entry = added.get(chosen.block) ?? { rules: [], names: this.ruleNames(chosen.block) };
      added.set(chosen.block, entry);
      const outer = neighbour && chosen.block.body.items.includes(neighbour) ? indentAt(this.text, neighbour.span.start) : this.indents(chosen.block).inner;
      entry.rules.push(this.firewallRuleText(req, uniqueName(req.name, entry.names), outer, raw));
      return undefined;
    }
    // No Allow collection runs before the deny: a new one just before it, in the deny's group.
    const denyGroup = req.before ? groups.find((g) => g.span.start <= req.before!.span.start && req.before!.span.end <= g.span.end) : groups[groups.length - 1];
    if (!denyGroup) return `the rule that denies the flow (${req.before?.name ?? req.before?.id}) is not in a rule collection group of this file`;
    const used = new Set(this.collections(denyGroup).map((c) => this.literalNumber(c.body, 'priority')).filter((n): n is number => n !== undefined));
    const list = newCollections.get(denyGroup) ?? [];
    newCollections.set(denyGroup, list);
    const denyPriority = req.before ? this.literalNumber(this.collections(denyGroup).find((c) => c.span.start <= req.before!.span.start && req.before!.span.end <= c.span.end)?.body ?? { items: [] }, 'priority') : undefined;
    const { inner, unit } = this.indents(denyGroup);
    // One new collection takes every flow it runs early enough for ("fix all" writes one, not one per flow).
    const fits = list.find((c) => denyPriority === undefined || c.priority < denyPriority);
    if (fits) {
      fits.rules.push(this.firewallRuleText(req, uniqueName(req.name, fits.names), inner + unit, raw));
      return undefined;
    }
    for (const c of list) used.add(c.priority);
    let priority: number | undefined;
    if (denyPriority !== undefined) {
      for (let p = denyPriority - 1; p >= 100; p--) if (!used.has(p)) { priority = p; break; }
      if (priority === undefined) return `no rule collection priority below ${denyPriority} is free in ${denyGroup.labels[1]?.value ?? 'the group'}: give the Citrix rules a collection of their own before it by hand`;
    } else {
      const highest = Math.max(100, ...used);
      priority = highest + 100 <= 65000 ? highest + 100 : undefined;
      if (priority === undefined) return `no rule collection priority is free after ${highest} in ${denyGroup.labels[1]?.value ?? 'the group'}`;
    }
    const collection = { priority, rules: [] as string[], names: new Set<string>() };
    list.push(collection);
    collection.rules.push(this.firewallRuleText(req, uniqueName(req.name, collection.names), inner + unit, raw));
    return undefined;
  }

  private ruleNames(collection: HclBlock): Set<string> {
    const names = new Set<string>();
    for (const r of collection.body.items) if (r.kind === 'block' && r.type === 'rule') {
      const n = this.literalString(r.body, 'name');
      if (n) names.add(n);
    }
    return names;
  }

  private firewallRuleText(req: AllowRuleRequest, name: string, outer: string, neighbourRaw: string | undefined): string {
    const side = (set: AllowRuleRequest['source']): string => {
      const plan = addressPlan(set);
      if (plan.any) return hclList(['*']);
      if (plan.symbols.length) return this.placeholder(plan.symbols[0]);
      return hclList([...plan.cidrs4, ...plan.cidrs6].map((c) => c.replace(/\/32$/, '')));
    };
    const protocols = req.protocols.map((p) => p.toUpperCase());
    const items: HclItem[] = [
      { attr: 'name', value: hclString(name) },
      { attr: 'protocols', value: hclList(protocols) },
      { attr: 'source_addresses', value: side(req.source) },
      { attr: 'destination_addresses', value: side(req.destination) },
      { attr: 'destination_ports', value: hclList(req.ports.length ? req.ports.map(portText) : ['*']) },
    ];
    const unit = neighbourRaw ? indentUnit(outer, indentAt(neighbourRaw, neighbourRaw.indexOf('\n') + 1)) : this.fileUnit();
    return this.block('rule', items, outer, unit || this.fileUnit(), this.aligned(neighbourRaw), oneLine(req.comment));
  }

  // ---------------------------------------------------------------- AWS

  aws(requests: readonly AllowRuleRequest[]): string | undefined {
    for (const req of requests) {
      const err = this.awsRequest(req);
      if (err) return err;
    }
    return undefined;
  }

  private awsStyle(req: AllowRuleRequest): string | undefined {
    const written = req.ruleSet.rules;
    const count = (rules: readonly Rule[]): string | undefined => {
      const counts = new Map<string, number>();
      for (const r of rules) {
        let s = r.meta?.style;
        if (!s) continue;
        if (s.startsWith('aws_vpc_security_group_')) s = 'vpc';
        counts.set(s, (counts.get(s) ?? 0) + 1);
      }
      let best: string | undefined;
      for (const [s, c] of counts) if (!best || c > counts.get(best)!) best = s;
      return best;
    };
    return count(written.filter((r) => r.direction === req.direction)) ?? count(written) ?? (req.ruleSet.meta?.declared === 'elsewhere' ? undefined : 'inline');
  }

  private awsRequest(req: AllowRuleRequest): string | undefined {
    const rs = req.ruleSet;
    if (req.direction === 'forward') return 'a security group has no forward direction';
    const style = this.awsStyle(req);
    if (!style) return `${rs.name} is not declared in this file and has no rules to model a new one on`;
    if (style === 'inline-attribute') return `${rs.name} writes its rules as an attribute list (ingress = [ … ]); add the rule there by hand`;
    const kind = req.direction === 'inbound' ? 'ingress' : 'egress';
    const peer = addressPlan(req.direction === 'inbound' ? req.source : req.destination);
    const families: { attrInline: string; attrVpc: string; values: string[] | 'placeholder'; symbol?: AddressSymbol }[] = [];
    if (peer.any) {
      families.push({ attrInline: 'cidr_blocks', attrVpc: 'cidr_ipv4', values: ['0.0.0.0/0'] }, { attrInline: 'ipv6_cidr_blocks', attrVpc: 'cidr_ipv6', values: ['::/0'] });
    } else {
      if (peer.cidrs4.length) families.push({ attrInline: 'cidr_blocks', attrVpc: 'cidr_ipv4', values: [...peer.cidrs4] });
      if (peer.cidrs6.length) families.push({ attrInline: 'ipv6_cidr_blocks', attrVpc: 'cidr_ipv6', values: [...peer.cidrs6] });
      for (const s of peer.symbols) families.push({ attrInline: 'cidr_blocks', attrVpc: 'cidr_ipv4', values: 'placeholder', symbol: s });
    }
    if (families.length === 0) return 'no peer address to write';
    const description = awsDescription(req.comment);
    const group = rs.meta?.declared === 'elsewhere' ? undefined : this.resourceAt(rs.span.start);
    const pieces: { protocol: string; from: number; to: number }[] = [];
    for (const p of req.protocols.length ? req.protocols : ['tcp']) {
      if (p === 'icmp' || req.ports.length === 0) pieces.push({ protocol: p, from: -1, to: -1 });
      else for (const r of req.ports) pieces.push({ protocol: p, from: r.from, to: r.to });
    }

    if (style === 'inline') {
      if (!group) return `the security group ${rs.name} is not declared in this file`;
      const blocks = blocksOf(group.body).filter((b) => b.type === 'ingress' || b.type === 'egress' || (b.type === 'dynamic' && (b.labels[0]?.value === 'ingress' || b.labels[0]?.value === 'egress')));
      const kindOf = (b: HclBlock): string => (b.type === 'dynamic' ? b.labels[0]?.value ?? '' : b.type);
      const same = blocks.filter((b) => kindOf(b) === kind);
      const neighbour = same.find((b) => b.type === kind) ?? blocks.find((b) => b.type !== 'dynamic');
      const outer = neighbour ? indentAt(this.text, neighbour.span.start) : this.indents(group).inner;
      const inner = neighbour?.body.items[0] ? indentAt(this.text, neighbour.body.items[0].span.start) : outer + this.indents(group).unit;
      const raw = neighbour ? this.text.slice(neighbour.span.start, neighbour.span.end) : undefined;
      const texts: string[] = [];
      for (const piece of pieces) {
        for (const fam of families) {
          const items: HclItem[] = [
            { attr: 'description', value: hclString(description) },
            { attr: 'from_port', value: String(piece.from) },
            { attr: 'to_port', value: String(piece.to) },
            { attr: 'protocol', value: hclString(piece.protocol) },
            { attr: fam.attrInline, value: fam.values === 'placeholder' ? this.placeholder(fam.symbol!) : hclList(fam.values) },
          ];
          texts.push(this.block(kind, orderItems(items, raw), outer, indentUnit(outer, inner), this.aligned(raw)));
        }
      }
      const anchor = same[same.length - 1] ?? blocks[blocks.length - 1];
      if (anchor) this.insertAfter(anchor.span.end, texts.join(this.eol + this.eol));
      else this.insertBeforeClose(group, texts.join(this.eol + this.eol));
      return undefined;
    }

    const separate = rs.rules.filter((r) => r.meta?.style === 'aws_security_group_rule' || r.meta?.style?.startsWith('aws_vpc_security_group_'));
    const model = separate.filter((r) => (style === 'vpc' ? r.meta?.style?.startsWith('aws_vpc_') : r.meta?.style === style));
    const neighbourRule = model.find((r) => r.direction === req.direction) ?? model[0];
    const neighbour = neighbourRule ? this.resourceAt(neighbourRule.span.start) : undefined;
    if (!neighbour) return `no rule resource of ${rs.name} to model a new one on`;
    let groupRef = this.attrText(neighbour.body, 'security_group_id');
    if (!groupRef || /\b(each|count)\./.test(groupRef)) groupRef = group ? `${group.labels[0]?.value}.${group.labels[1]?.value}.id` : groupRef;
    if (!groupRef) return `cannot tell how the rules of ${rs.name} name their group`;
    const raw = this.text.slice(neighbour.span.start, neighbour.span.end);
    const { outer, unit } = this.indents(neighbour);
    const texts: string[] = [];
    for (const piece of pieces) {
      for (const fam of families) {
        const words = [...nameWords(req.name), ...(pieces.length > 1 ? [piece.protocol, ...(piece.from >= 0 && req.ports.length > 1 ? [String(piece.from)] : [])] : []), ...(families.length > 1 ? [fam.attrVpc === 'cidr_ipv6' ? 'v6' : fam.symbol ? 'peer' : 'v4'] : [])];
        if (style === 'vpc') {
          const type = `aws_vpc_security_group_${kind}_rule`;
          const label = this.uniqueLabel(type, words);
          const many = fam.values === 'placeholder' || fam.values.length > 1;
          const items: HclItem[] = [
            ...(many ? [{ attr: 'for_each', value: fam.values === 'placeholder' ? `toset(${this.placeholder(fam.symbol!)})` : `toset(${hclList(fam.values)})` }, { blank: true } as const] : []),
            { attr: 'security_group_id', value: groupRef },
            { attr: 'description', value: hclString(description) },
            { attr: fam.attrVpc, value: many ? 'each.value' : hclString((fam.values as string[])[0]) },
            { attr: 'from_port', value: String(piece.from) },
            { attr: 'to_port', value: String(piece.to) },
            { attr: 'ip_protocol', value: hclString(piece.protocol) },
          ];
          texts.push(this.block(`resource "${type}" "${label}"`, orderItems(items, raw), outer, unit, this.aligned(raw)));
        } else {
          const label = this.uniqueLabel('aws_security_group_rule', words);
          const items: HclItem[] = [
            { attr: 'type', value: hclString(kind) },
            { attr: 'description', value: hclString(description) },
            { attr: 'from_port', value: String(piece.from) },
            { attr: 'to_port', value: String(piece.to) },
            { attr: 'protocol', value: hclString(piece.protocol) },
            { attr: fam.attrInline, value: fam.values === 'placeholder' ? this.placeholder(fam.symbol!) : hclList(fam.values) },
            { attr: 'security_group_id', value: groupRef },
          ];
          texts.push(this.block(`resource "aws_security_group_rule" "${label}"`, orderItems(items, raw), outer, unit, this.aligned(raw)));
        }
      }
    }
    const lastEnd = Math.max(...separate.map((r) => r.span.end));
    this.insertAfter(lastEnd, texts.join(this.eol + this.eol));
    return undefined;
  }

  // ---------------------------------------------------------------- AWS network ACLs

  /**
   * Network ACL entries: one CIDR, protocol and port range each, numbered
   * below the entry that denies (first match by rule number), inline
   * `ingress`/`egress` blocks or `aws_network_acl_rule` resources as the ACL
   * already has them. A reply request (the ACL keeps no state) writes the
   * entry for the replies: the other direction, to the peer's ephemeral ports.
   */
  networkAcl(requests: readonly AllowRuleRequest[]): string | undefined {
    const planner = new AclEntryPlanner();
    for (const req of requests) {
      const err = this.networkAclRequest(req, planner);
      if (err) return err;
    }
    return undefined;
  }

  private networkAclRequest(req: AllowRuleRequest, planner: AclEntryPlanner): string | undefined {
    const rs = req.ruleSet;
    const written = rs.rules.filter((r) => !r.implicit && r.meta?.style);
    const inline = written.filter((r) => r.meta?.style === 'inline');
    const separate = written.filter((r) => r.meta?.style === 'aws_network_acl_rule');
    const acl = rs.meta?.declared === 'elsewhere' ? undefined : this.resourceAt(rs.span.start);
    const style = separate.length > inline.length || !acl ? 'resource' : 'inline';
    if (style === 'resource' && separate.length === 0) return `${rs.name} is not declared in this file and has no rules to model a new one on`;
    const plan = planner.plan(req);
    if (typeof plan === 'string') return plan;
    const { egress, entries } = plan;
    const entryDirection = egress ? 'outbound' : 'inbound';
    if (entries.length === 0) return undefined;
    const comment = oneLine(req.comment);
    const texts: string[] = [];
    if (style === 'inline') {
      const kind = egress ? 'egress' : 'ingress';
      const blocks = blocksOf(acl!.body).filter((b) => b.type === 'ingress' || b.type === 'egress');
      const neighbour = blocks.find((b) => b.type === kind) ?? blocks[0];
      const outer = neighbour ? indentAt(this.text, neighbour.span.start) : this.indents(acl).inner;
      const inner = neighbour?.body.items[0] ? indentAt(this.text, neighbour.body.items[0].span.start) : outer + this.indents(acl).unit;
      const raw = neighbour ? this.text.slice(neighbour.span.start, neighbour.span.end) : undefined;
      for (const e of entries) {
        const items: HclItem[] = [
          { attr: 'protocol', value: hclString(e.protocol) },
          { attr: 'rule_no', value: String(e.number) },
          { attr: 'action', value: hclString('allow') },
          { attr: e.v6 ? 'ipv6_cidr_block' : 'cidr_block', value: typeof e.cidr === 'string' ? hclString(e.cidr) : this.placeholderCidr(e.cidr) },
          { attr: 'from_port', value: String(e.from) },
          { attr: 'to_port', value: String(e.to) },
        ];
        texts.push(this.block(kind, orderItems(items, raw), outer, indentUnit(outer, inner), this.aligned(raw), comment));
      }
      const same = blocks.filter((b) => b.type === kind);
      const anchor = same[same.length - 1] ?? blocks[blocks.length - 1];
      if (anchor) this.insertAfter(anchor.span.end, texts.join(this.eol + this.eol));
      else this.insertBeforeClose(acl!, texts.join(this.eol + this.eol));
      return undefined;
    }
    const model = separate.find((r) => r.direction === entryDirection) ?? separate[0];
    const neighbour = this.resourceAt(model.span.start);
    if (!neighbour) return `no rule resource of ${rs.name} to model a new one on`;
    const aclRef = this.attrText(neighbour.body, 'network_acl_id');
    if (!aclRef || /\b(each|count)\./.test(aclRef)) return `cannot tell how the rules of ${rs.name} name their ACL`;
    const raw = this.text.slice(neighbour.span.start, neighbour.span.end);
    const { outer, unit } = this.indents(neighbour);
    for (const e of entries) {
      // The rule number first: labels are cut at 64 characters, and the number is what tells two entries apart.
      const label = this.uniqueLabel('aws_network_acl_rule', ['acl', String(e.number), ...nameWords(req.name), ...(req.reply ? ['replies'] : [])]);
      const items: HclItem[] = [
        { attr: 'network_acl_id', value: aclRef },
        { attr: 'rule_number', value: String(e.number) },
        { attr: 'egress', value: String(egress) },
        { attr: 'protocol', value: hclString(e.protocol) },
        { attr: 'rule_action', value: hclString('allow') },
        { attr: e.v6 ? 'ipv6_cidr_block' : 'cidr_block', value: typeof e.cidr === 'string' ? hclString(e.cidr) : this.placeholderCidr(e.cidr) },
        { attr: 'from_port', value: String(e.from) },
        { attr: 'to_port', value: String(e.to) },
      ];
      texts.push(this.block(`resource "aws_network_acl_rule" "${label}"`, orderItems(items, raw), outer, unit, this.aligned(raw), comment));
    }
    this.insertAfter(Math.max(...separate.map((r) => r.span.end)), texts.join(this.eol + this.eol));
    return undefined;
  }

  // ---------------------------------------------------------------- GCP

  gcp(requests: readonly AllowRuleRequest[]): string | undefined {
    const used = new Map<string, Set<number>>();
    const names = new Set<string>();
    for (const r of this.resources) {
      if (r.labels[0]?.value !== 'google_compute_firewall') continue;
      const n = attribute(r.body, 'name');
      if (n?.expr.kind === 'literal' && typeof n.expr.value === 'string') names.add(n.expr.value);
      else if (n?.expr.kind === 'template' && n.expr.parts.length === 1 && 'literal' in n.expr.parts[0]) names.add(n.expr.parts[0].literal);
    }
    for (const req of requests) {
      const err = this.gcpRequest(req, used, names);
      if (err) return err;
    }
    return undefined;
  }

  private gcpRequest(req: AllowRuleRequest, usedBy: Map<string, Set<number>>, names: Set<string>): string | undefined {
    const rs: RuleSet = req.ruleSet;
    if (req.direction === 'forward') return 'a GCP firewall has no forward direction';
    const written = rs.rules.filter((r) => !r.implicit);
    const key = `${rs.id}\u0000${req.direction}`;
    let used = usedBy.get(key);
    if (!used) {
      used = new Set(written.filter((r) => r.direction === req.direction && r.priority).map((r) => r.priority!.value));
      usedBy.set(key, used);
    }
    const before = req.before && !req.before.implicit ? req.before.priority?.value : undefined;
    // Deny wins at equal priority, so the new allow must be strictly lower; the implied rules sit at 65535.
    const upper = before ?? 65535;
    const priority = choosePriority({ used, upper, min: 0, start: 1000, all: written.map((r) => r.priority?.value ?? 1000) });
    if (priority === undefined) return `no free priority below ${upper} in ${rs.name}`;
    used.add(priority);

    const neighbourRule = (req.before && !req.before.implicit ? req.before : undefined) ?? written.filter((r) => r.direction === req.direction).pop() ?? written[written.length - 1];
    const neighbour = this.resourceByAddress(neighbourRule?.meta?.address);
    if (!neighbour) return `no google_compute_firewall of ${rs.name} to model a new one on`;
    const network = this.attrText(neighbour.body, 'network');
    const project = this.attrText(neighbour.body, 'project');

    const name = uniqueName(styleName(nameWords(req.name), 'lower-kebab').replace(/^[^a-z]+/, ''), names, '-', 63);
    const label = this.uniqueLabel('google_compute_firewall', nameWords(name));
    const peerSet = req.direction === 'inbound' ? req.source : req.destination;
    const ownSet = req.direction === 'inbound' ? req.destination : req.source;
    const peer = addressPlan(peerSet);
    const own = addressPlan(ownSet);
    const items: HclItem[] = [{ attr: 'name', value: hclString(name) }];
    if (network) items.push({ attr: 'network', value: network });
    if (project) items.push({ attr: 'project', value: project });
    if (req.direction === 'outbound') items.push({ attr: 'direction', value: hclString('EGRESS') });
    items.push({ attr: 'priority', value: String(priority) });
    items.push({ attr: 'description', value: hclString(oneLine(req.comment).slice(0, 2048)) });
    const peerAttr = req.direction === 'inbound' ? 'source_ranges' : 'destination_ranges';
    const placeholderSymbol = peer.symbols.find((s) => s.kind !== 'network-tag');
    const tags = peer.symbols.filter((s) => s.kind === 'network-tag').map((s) => s.name);
    if (peer.any) items.push({ attr: peerAttr, value: hclList(['0.0.0.0/0']) });
    else if (placeholderSymbol && peer.cidrs4.length + peer.cidrs6.length === 0) items.push({ attr: peerAttr, value: this.placeholder(placeholderSymbol) });
    else if (peer.cidrs4.length + peer.cidrs6.length) items.push({ attr: peerAttr, value: hclList([...peer.cidrs4, ...peer.cidrs6]) });
    if (tags.length && req.direction === 'inbound') items.push({ attr: 'source_tags', value: hclList(tags) });
    const ownTags = own.symbols.filter((s) => s.kind === 'network-tag').map((s) => s.name);
    if (ownTags.length) items.push({ attr: 'target_tags', value: hclList(ownTags) });
    else if (req.direction === 'inbound' && !own.any && own.cidrs4.length + own.cidrs6.length) items.push({ attr: 'destination_ranges', value: hclList([...own.cidrs4, ...own.cidrs6]) });
    const raw = this.text.slice(neighbour.span.start, neighbour.span.end);
    const ordered = orderItems(items, raw);
    const blocks: HclItem[] = [];
    for (const p of req.protocols.length ? req.protocols : ['tcp']) {
      const inner: HclItem[] = [{ attr: 'protocol', value: hclString(p) }];
      if (p !== 'icmp' && req.ports.length) inner.push({ attr: 'ports', value: hclList(req.ports.map(portText)) });
      blocks.push({ blank: true }, { block: 'allow', items: inner });
    }
    // The neighbour puts its allow/deny blocks before or after the attributes; so does the new rule.
    const action = blocksOf(neighbour.body).find((b) => b.type === 'allow' || b.type === 'deny');
    const firstAttr = neighbour.body.items.find((i) => i.kind === 'attribute' && i.name !== 'name' && i.name !== 'network');
    const blocksFirst = action && firstAttr && action.span.start < firstAttr.span.start;
    let body: HclItem[];
    if (blocksFirst) {
      const head = ordered.filter((i) => 'attr' in i && (i.attr === 'name' || i.attr === 'network' || i.attr === 'project'));
      const tail = ordered.filter((i) => !head.includes(i));
      body = [...head, ...blocks, { blank: true }, ...tail];
    } else body = [...ordered, ...blocks];
    const { outer, unit } = this.indents(neighbour);
    const text = this.block(`resource "google_compute_firewall" "${label}"`, body, outer, unit, this.aligned(raw));
    const ends = written.map((r) => this.resourceByAddress(r.meta?.address)?.span.end ?? r.span.end);
    this.insertAfter(Math.max(...ends), text);
    return undefined;
  }
}

/** Items in the order a neighbour writes the same attributes; the rest keep their place. */
function orderItems(items: readonly HclItem[], raw: string | undefined): HclItem[] {
  const attrs = items.filter((i): i is { attr: string; value: string } => 'attr' in i);
  if (!raw || attrs.length !== items.length) return [...items];
  const positions = attrs.map((a, i) => ({ a, i, at: findKey(raw, a.attr, '=') }));
  let last = -1;
  const keyed = positions.map((p) => {
    if (p.at >= 0) last = p.at;
    return { ...p, key: p.at >= 0 ? p.at : last + 0.5 };
  });
  return keyed.sort((x, y) => x.key - y.key || x.i - y.i).map((k) => k.a);
}



