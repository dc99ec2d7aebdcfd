import type { ParsedFile, Rule } from '../../model';
import type { AllowRuleEmitter, AllowRuleRequest } from '../../model/edits';
import { azureProperties, neighbourRule, orderProperties, neighbourIndents, writeAzureRules, writtenRules, type AzureRuleSpec, type AzureValue, type FirewallRuleSpec } from '../azure/emit';
import { Insertions, eolOf, findKey, identifier, indentAt, indentUnit, lineStartAt, uniqueName } from '../emitSupport';

/**
 * Writes allow rules into Bicep as the NSG's neighbours are written: an
 * entry of the inline `securityRules` array, or a child rule resource
 * (`parent:`, nested, or `'nsg/rule'` name). Single quotes, the file's
 * indentation, arrays one item per line unless the neighbours write them on
 * one line. An address the topology does not know becomes a parameter
 * without a default (declared once, above the first resource), so the file
 * stays valid and the deployment asks for it.
 */
export const emitAllowRules: AllowRuleEmitter = (requests) => {
  if (requests.length === 0) return { edits: [] };
  const file = requests[0].file;
  if (requests.some((r) => r.file !== file)) return { error: 'all requests of one batch must be for the same file' };
  const w = new BicepWriter(file);
  const failed = writeAzureRules(requests, w);
  if (failed) return { error: failed };
  w.finish();
  w.declarePlaceholders();
  return { edits: w.out.edits(file.uri) };
};

function bicepString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\$\{/g, '\\${')}'`;
}

class BicepWriter {
  readonly out = new Insertions();
  private readonly eol: string;
  private readonly text: string;
  private readonly symbols = new Set<string>();
  private readonly placeholders = new Map<string, string>();

  constructor(file: ParsedFile) {
    this.text = file.text;
    this.eol = eolOf(file.text);
    for (const m of this.text.matchAll(/^[ \t]*(?:resource|param|var|module|output)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/gm)) this.symbols.add(m[1]);
  }

  private placeholder(words: readonly string[], meaning: string): string {
    const name = identifier(words, 'camel');
    if (!this.placeholders.has(name) && !this.symbols.has(name)) this.placeholders.set(name, meaning);
    return name;
  }

  declarePlaceholders(): void {
    if (this.placeholders.size === 0) return;
    const lines: string[] = [];
    for (const [name, meaning] of this.placeholders) {
      lines.push('// Placeholder written by Citrix Flow Lint: no default on purpose, so the deployment asks for the addresses.', `@description(${bicepString(meaning)})`, `param ${name} array`, '');
    }
    const firstResource = /^resource[ \t]/m.exec(this.text);
    let at = firstResource ? firstResource.index : this.text.length;
    // Above the comments that sit right on top of the resource: a `citrix-role:` annotation must stay on the line above what it binds.
    while (firstResource && at > 0) {
      const prevStart = lineStartAt(this.text, at - 1);
      if (!/^[ \t]*(\/\/|\/\*|\*)/.test(this.text.slice(prevStart, at))) break;
      at = prevStart;
    }
    const prefix = !firstResource && this.text.length && !/\n$/.test(this.text) ? this.eol : '';
    this.out.add(at, prefix + lines.join(this.eol) + this.eol);
  }

  private value(v: AzureValue, indent: string, unit: string, oneLineArrays: boolean): string {
    switch (v.kind) {
      case 'string':
        return bicepString(v.value);
      case 'number':
        return String(v.value);
      case 'list':
        if (oneLineArrays) return `[${v.values.map(bicepString).join(', ')}]`;
        return `[${this.eol}${v.values.map((x) => `${indent}${unit}${bicepString(x)}`).join(this.eol)}${this.eol}${indent}]`;
      case 'placeholder':
        return this.placeholder(v.words, v.meaning);
    }
  }

  /** `name: …` and `properties: { … }` lines of one rule, at `indent` (the rule object's own properties). */
  private body(spec: AzureRuleSpec, nameText: string, indent: string, unit: string, neighbourRaw: string | undefined, head: readonly string[] = []): string[] {
    const oneLineArrays = !!neighbourRaw && /\[[ \t]*'/.test(neighbourRaw);
    const props = orderProperties(azureProperties(spec, false), neighbourRaw, (raw, name) => findKey(raw, name, ':'));
    const inner = indent + unit;
    return [
      ...head.map((h) => `${indent}${h}`),
      `${indent}name: ${nameText}`,
      `${indent}properties: {`,
      ...props.map(([k, v]) => `${inner}${k}: ${this.value(v, inner, unit, oneLineArrays)}`),
      `${indent}}`,
    ];
  }

  /** A `NetworkRule` object after the chosen collection's last rule, laid out like it. */
  firewallRule(spec: FirewallRuleSpec): void {
    const after = spec.after;
    const { indent, propertyIndent, unit } = neighbourIndents(this.text, after, '  ');
    const oneLineArrays = /\[[ \t]*'/.test(after.raw);
    const list = (v: AzureValue): string => this.value(v, propertyIndent, unit, oneLineArrays);
    const lines = [
      `${indent}// ${spec.request.comment.replace(/\s+/g, ' ')}`,
      `${indent}{`,
      `${propertyIndent}ruleType: 'NetworkRule'`,
      `${propertyIndent}name: ${bicepString(spec.name)}`,
      `${propertyIndent}ipProtocols: ${list({ kind: 'list', values: spec.protocols })}`,
      `${propertyIndent}sourceAddresses: ${list(spec.source)}`,
      `${propertyIndent}destinationAddresses: ${list(spec.destination)}`,
      `${propertyIndent}destinationPorts: ${list({ kind: 'list', values: spec.ports })}`,
      `${indent}}`,
    ];
    this.out.add(after.span.end, this.eol + lines.join(this.eol));
  }

  rule(spec: AzureRuleSpec): string | undefined {
    const req = spec.request;
    const rs = req.ruleSet;
    if (rs.meta?.inlineLoop === 'true') return `the rules of ${rs.name} come from a loop; add the rule to the array it loops over`;
    const written = writtenRules(rs);
    const usable = (r: Rule): boolean => r.meta?.loopIndex === undefined;
    const before = req.before && !req.before.implicit && usable(req.before) ? req.before : undefined;
    const inline = written.filter((r) => r.meta?.style === 'inline');
    const children = written.filter((r) => r.meta?.style?.startsWith('child-') && usable(r));
    const style = before?.meta?.style ?? (inline.length >= children.length ? 'inline' : children[children.length - 1].meta!.style!);
    if (style === 'inline') return this.inline(spec, inline);
    return this.child(spec, neighbourRule(req, (r) => r.meta?.style === style && usable(r)), children);
  }

  private inline(spec: AzureRuleSpec, inline: readonly Rule[]): string | undefined {
    const req: AllowRuleRequest = spec.request;
    const neighbour = neighbourRule(req, (r) => r.meta?.style === 'inline');
    const comment = `// ${spec.comment}`;
    if (neighbour) {
      const indent = neighbour.meta?.indent ?? indentAt(this.text, neighbour.span.start);
      const propertyIndent = neighbour.meta?.propertyIndent ?? `${indent}  `;
      const unit = indentUnit(indent, propertyIndent);
      const lines = [`${indent}${comment}`, `${indent}{`, ...this.body(spec, bicepString(spec.name), propertyIndent, unit, neighbour.raw), `${indent}}`];
      const last = inline[inline.length - 1];
      this.out.add(last.span.end, this.eol + lines.join(this.eol));
      return undefined;
    }
    // `securityRules: []`: the first entry goes between the brackets.
    const nsgText = this.text.slice(req.ruleSet.span.start, req.ruleSet.span.end);
    const m = /securityRules[ \t]*:[ \t]*\[[ \t]*\]/.exec(nsgText);
    if (!m) return `${req.ruleSet.name} has no securityRules array to add the rule to`;
    const at = req.ruleSet.span.start + m.index;
    const keyIndent = indentAt(this.text, at);
    const declLineEnd = this.text.indexOf('\n', req.ruleSet.span.start);
    const unit = indentUnit(indentAt(this.text, req.ruleSet.span.start), declLineEnd >= 0 ? indentAt(this.text, declLineEnd + 1) : '');
    const indent = keyIndent + unit;
    const lines = [`${indent}${comment}`, `${indent}{`, ...this.body(spec, bicepString(spec.name), indent + unit, unit, undefined), `${indent}}`];
    const open = at + m[0].indexOf('[') + 1;
    const pending = this.emptyArrays.get(open) ?? { entries: [], closeIndent: keyIndent };
    pending.entries.push(lines.join(this.eol));
    this.emptyArrays.set(open, pending);
    return undefined;
  }

  /** Entries for an empty `[]`, written together so the closing line comes out once. */
  private readonly emptyArrays = new Map<number, { entries: string[]; closeIndent: string }>();

  finish(): void {
    for (const [at, p] of this.emptyArrays) this.out.add(at, this.eol + p.entries.join(this.eol) + this.eol + p.closeIndent);
  }

  private child(spec: AzureRuleSpec, neighbour: Rule | undefined, children: readonly Rule[]): string | undefined {
    if (!neighbour) return `no rule resource of ${spec.request.ruleSet.name} to model a new one on`;
    const raw = neighbour.raw;
    const header = /^resource[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]+('[^']*')[ \t]*=/.exec(raw.trimStart());
    if (!header) return `cannot read the declaration of ${neighbour.id}`;
    const indent = indentAt(this.text, neighbour.span.start);
    const firstLine = raw.split(/\r?\n/)[1] ?? '';
    const propertyIndent = firstLine.slice(0, firstLine.length - firstLine.trimStart().length) || `${indent}  `;
    const unit = indentUnit(indent, propertyIndent);
    const head: string[] = [];
    const parent = /^[ \t]*parent[ \t]*:[ \t]*(.+?)[ \t]*$/m.exec(raw);
    if (neighbour.meta?.style === 'child-parent' && parent) head.push(`parent: ${parent[1]}`);
    let nameText = bicepString(spec.name);
    const nameLine = /^[ \t]*name[ \t]*:[ \t]*(.+?)[ \t]*$/m.exec(raw);
    if (neighbour.meta?.style === 'child-name') {
      // `'nsg-vda/Allow-ICA'` or `'${nsgName}/Allow-ICA'`: keep everything up to the last slash.
      const written = nameLine?.[1] ?? '';
      const slash = written.lastIndexOf('/');
      if (!written.startsWith("'") || slash < 0) return `cannot tell how ${neighbour.id} names its NSG`;
      nameText = `${written.slice(0, slash + 1)}${bicepString(spec.name).slice(1)}`;
    }
    const symbol = uniqueName(identifier(spec.words, 'camel'), this.symbols, '', 255);
    const lines = [`${indent}// ${spec.comment}`, `${indent}resource ${symbol} ${header[1]} = {`, ...this.body(spec, nameText, propertyIndent, unit, raw, head), `${indent}}`];
    const last = children.filter((c) => c.meta?.style === neighbour.meta?.style).reduce((a, b) => (b.span.end > a.span.end ? b : a), neighbour);
    this.out.add(last.span.end, this.eol + this.eol + lines.join(this.eol));
    return undefined;
  }
}

