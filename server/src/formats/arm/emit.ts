import type { ParsedFile, Rule } from '../../model';
import type { AllowRuleEmitter } from '../../model/edits';
import { azureProperties, neighbourRule, orderProperties, neighbourIndents, writeAzureRules, writtenRules, type AzureRuleSpec, type AzureValue, type FirewallRuleSpec } from '../azure/emit';
import { Insertions, clipWords, eolOf, findKey, identifier, indentAt, indentUnit } from '../emitSupport';
import { member, parseJsonTolerant, type JsonNode } from './json';

/**
 * Writes allow rules into an ARM template as its neighbours are written: an
 * entry of the NSG's inline `securityRules`, or a child
 * `securityRules` resource (top level with an `nsg/rule` name, or nested in
 * the NSG's `resources`) that copies the neighbour's type, apiVersion,
 * dependsOn and name expression. The catalog flow goes into the rule's
 * `description`, so the file stays plain JSON. An address the topology does
 * not know becomes `[parameters('citrix…Addresses')]`, with the parameter
 * declared without a default value.
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  if (requests.length === 0) return { edits: [] };
  const file = requests[0].file;
  if (requests.some((r) => r.file !== file)) return { error: 'all requests of one batch must be for the same file' };
  const w = new ArmWriter(file);
  const failed = writeAzureRules(requests, w);
  if (failed) return { error: failed };
  w.finish();
  const err = w.declarePlaceholders();
  if (err) return { error: err };
  return { edits: w.out.edits(file.uri) };
};

const json = (s: string): string => JSON.stringify(s);

class ArmWriter {
  readonly out = new Insertions();
  private readonly eol: string;
  private readonly text: string;
  private readonly root: JsonNode | undefined;
  private readonly placeholders = new Map<string, string>();
  private readonly declared = new Set<string>();
  private unit = '  ';

  constructor(file: ParsedFile) {
    this.text = file.text;
    this.eol = eolOf(file.text);
    this.root = parseJsonTolerant(file.text).root;
    const params = member(this.root, 'parameters');
    if (params?.type === 'object') for (const p of params.props) this.declared.add(p.key);
    const first = this.root?.type === 'object' ? this.root.props[0] : undefined;
    if (first) this.unit = indentUnit(indentAt(this.text, this.root!.span.start), indentAt(this.text, first.span.start));
  }

  private value(v: AzureValue, indent: string, unit: string): string {
    switch (v.kind) {
      case 'string':
        return json(v.value);
      case 'number':
        return String(v.value);
      case 'list':
        return `[${this.eol}${v.values.map((x) => `${indent}${unit}${json(x)}`).join(`,${this.eol}`)}${this.eol}${indent}]`;
      case 'placeholder': {
        const name = identifier(v.words, 'camel');
        if (!this.declared.has(name)) this.placeholders.set(name, v.meaning);
        return json(`[parameters('${name}')]`);
      }
    }
  }

  /** `"properties": { … }` at `indent`. */
  private properties(spec: AzureRuleSpec, indent: string, unit: string, neighbourRaw: string | undefined): string[] {
    const props = orderProperties(azureProperties(spec, true), neighbourRaw, (raw, name) => findKey(raw, name, ':', '"'));
    const inner = indent + unit;
    return [`${indent}"properties": {`, props.map(([k, v]) => `${inner}${json(k)}: ${this.value(v, inner, unit)}`).join(`,${this.eol}`), `${indent}}`];
  }

  /** A `NetworkRule` object after the chosen collection's last rule, laid out like it; the catalog flow in its description. */
  firewallRule(spec: FirewallRuleSpec): void {
    const after = spec.after;
    const { indent, propertyIndent, unit } = neighbourIndents(this.text, after, this.unit);
    const value = (v: AzureValue): string => this.value(v, propertyIndent, unit);
    const props: [string, string][] = [
      ['ruleType', json('NetworkRule')],
      ['name', json(spec.name)],
      ['description', json(clipWords(spec.request.comment, 140))],
      ['ipProtocols', value({ kind: 'list', values: spec.protocols })],
      ['sourceAddresses', value(spec.source)],
      ['destinationAddresses', value(spec.destination)],
      ['destinationPorts', value({ kind: 'list', values: spec.ports })],
    ];
    const lines = [`${indent}{`, props.map(([k, v]) => `${propertyIndent}${json(k)}: ${v}`).join(`,${this.eol}`), `${indent}}`];
    this.out.add(after.span.end, `,${this.eol}${lines.join(this.eol)}`);
  }

  rule(spec: AzureRuleSpec): string | undefined {
    const req = spec.request;
    const rs = req.ruleSet;
    if (rs.meta?.inlineLoop === 'true') return `the rules of ${rs.name} come from a securityRules copy loop; add the rule to the array it loops over`;
    if (rs.meta?.copyLoop !== undefined) return `${rs.name} is one copy of a copy loop whose rules change with copyIndex(); a rule written into the template would go into every copy`;
    // A rule resource copied per index is one text for several rules: not a neighbour to model a new rule on.
    const usable = (r: Rule): boolean => r.meta?.copyLoop === undefined;
    const written = writtenRules(rs);
    const inline = written.filter((r) => r.meta?.style === 'inline');
    const children = written.filter((r) => r.meta?.style?.startsWith('child-') && usable(r));
    const before = req.before && !req.before.implicit && usable(req.before) ? req.before : undefined;
    const style = before?.meta?.style ?? (inline.length >= children.length ? 'inline' : children[children.length - 1].meta!.style!);
    if (style === 'inline') return this.inline(spec, inline);
    return this.child(spec, neighbourRule(req, (r) => r.meta?.style === style && usable(r)), children);
  }

  private inline(spec: AzureRuleSpec, inline: readonly Rule[]): string | undefined {
    const req = spec.request;
    const neighbour = neighbourRule(req, (r) => r.meta?.style === 'inline');
    if (neighbour) {
      const indent = neighbour.meta?.indent ?? indentAt(this.text, neighbour.span.start);
      const propertyIndent = neighbour.meta?.propertyIndent ?? indent + this.unit;
      const unit = indentUnit(indent, propertyIndent);
      const lines = [`${indent}{`, `${propertyIndent}"name": ${json(spec.name)},`, ...this.properties(spec, propertyIndent, unit, neighbour.raw), `${indent}}`];
      const last = inline[inline.length - 1];
      this.out.add(last.span.end, `,${this.eol}${lines.join(this.eol)}`);
      return undefined;
    }
    const nsg = this.nsgNode(req.ruleSet.span.start);
    const rules = member(member(nsg, 'properties'), 'securityRules');
    if (!rules || rules.type !== 'array' || rules.items.length) return `${req.ruleSet.name} has no empty securityRules array to add the rule to`;
    const keyIndent = indentAt(this.text, rules.span.start);
    const indent = keyIndent + this.unit;
    const lines = [`${indent}{`, `${indent}${this.unit}"name": ${json(spec.name)},`, ...this.properties(spec, indent + this.unit, this.unit, undefined), `${indent}}`];
    const pending = this.emptyArrays.get(rules.span.start + 1) ?? { entries: [], closeIndent: keyIndent };
    pending.entries.push(lines.join(this.eol));
    this.emptyArrays.set(rules.span.start + 1, pending);
    return undefined;
  }

  /** Entries for an empty `[]`, written together so commas and the closing line come out once. */
  private readonly emptyArrays = new Map<number, { entries: string[]; closeIndent: string }>();

  finish(): void {
    for (const [at, p] of this.emptyArrays) this.out.add(at, this.eol + p.entries.join(`,${this.eol}`) + this.eol + p.closeIndent);
  }

  private nsgNode(start: number): JsonNode | undefined {
    let found: JsonNode | undefined;
    const visit = (n: JsonNode | undefined, depth: number): void => {
      if (!n || found || depth > 64) return;
      if (n.type === 'object' && n.span.start === start) {
        found = n;
        return;
      }
      if (n.type === 'object') for (const p of n.props) visit(p.value, depth + 1);
      else if (n.type === 'array') for (const i of n.items) visit(i, depth + 1);
    };
    visit(this.root, 0);
    return found;
  }

  private child(spec: AzureRuleSpec, neighbour: Rule | undefined, children: readonly Rule[]): string | undefined {
    if (!neighbour) return `no rule resource of ${spec.request.ruleSet.name} to model a new one on`;
    const node = this.nsgNode(neighbour.span.start);
    if (!node || node.type !== 'object') return `cannot read the resource of ${neighbour.id}`;
    const indent = indentAt(this.text, node.span.start);
    const first = node.props[0];
    const propertyIndent = first ? indentAt(this.text, first.span.start) : indent + this.unit;
    const unit = indentUnit(indent, propertyIndent);
    const lines: string[] = [];
    for (const p of node.props) {
      if (!p.value) continue;
      const key = p.key.toLowerCase();
      if (key === 'properties' || key === 'copy' || key === 'condition') continue;
      let valueText = this.text.slice(p.value.span.start, p.value.span.end);
      if (key === 'name') {
        // The neighbour's name with its rule name swapped: `nsg/Allow-ICA`, `[concat(parameters('nsg'), '/Allow-ICA')]`.
        if (p.value.type !== 'string' || !neighbour.name) return `cannot tell how ${neighbour.id} writes its name`;
        const at = p.value.value.lastIndexOf(neighbour.name);
        if (at < 0) return `cannot tell how ${neighbour.id} writes its name`;
        valueText = json(p.value.value.slice(0, at) + spec.name + p.value.value.slice(at + neighbour.name.length));
      }
      // Multi-line values (dependsOn) keep their own layout.
      lines.push(`${propertyIndent}${json(p.key)}: ${valueText},`);
    }
    lines.push(...this.properties(spec, propertyIndent, unit, neighbour.raw));
    const last = children.filter((c) => c.meta?.style === neighbour.meta?.style).reduce((a, b) => (b.span.end > a.span.end ? b : a), neighbour);
    this.out.add(last.span.end, `,${this.eol}${indent}{${this.eol}${lines.join(this.eol)}${this.eol}${indent}}`);
    return undefined;
  }

  declarePlaceholders(): string | undefined {
    if (this.placeholders.size === 0) return undefined;
    const params = member(this.root, 'parameters');
    const rootProps = this.root?.type === 'object' ? this.root.props : [];
    const pIndent = rootProps[0] ? indentAt(this.text, rootProps[0].span.start) : this.unit;
    const entryIndent = pIndent + this.unit;
    const entries = [...this.placeholders].map(([name, meaning]) =>
      [
        `${entryIndent}${json(name)}: {`,
        `${entryIndent}${this.unit}"type": "array",`,
        `${entryIndent}${this.unit}"metadata": {`,
        `${entryIndent}${this.unit}${this.unit}"description": ${json(`${meaning} (placeholder written by Citrix Flow Lint; no defaultValue on purpose)`)}`,
        `${entryIndent}${this.unit}}`,
        `${entryIndent}}`,
      ].join(this.eol),
    );
    if (params?.type === 'object') {
      const last = params.props[params.props.length - 1];
      if (last?.value) this.out.add(last.value.span.end, `,${this.eol}${entries.join(`,${this.eol}`)}`);
      else this.out.add(params.span.start + 1, `${this.eol}${entries.join(`,${this.eol}`)}${this.eol}${pIndent}`);
      return undefined;
    }
    const anchor = rootProps.find((p) => p.key === 'contentVersion') ?? rootProps.find((p) => p.key === '$schema');
    if (!anchor?.value) return 'the template has no parameters section and no contentVersion to put one after';
    this.out.add(anchor.value.span.end, `,${this.eol}${pIndent}"parameters": {${this.eol}${entries.join(`,${this.eol}`)}${this.eol}${pIndent}}`);
    return undefined;
  }
}
