import type { ParseProblem, Span } from '../../model';
import { parseJsonTolerant, type JsonNode, type JsonProperty } from '../arm/json';
import { attribute, parseHcl, type HclAttribute, type HclBlock, type HclBody, type HclDocument, type HclExpr, type TemplatePart, type TraversalStep } from './hcl';

/**
 * Terraform's JSON syntax (`.tf.json`, `.tofu.json`) read into the same HCL
 * picture the `.tf` reader builds, so the cloud readers, the resolver and the
 * checks read both alike. Per HashiCorp's "JSON Configuration Syntax":
 * top-level keys are block types with a fixed number of labels (`resource`
 * two, `variable` one, `locals` none), each level may also be an array of
 * objects, strings in expressions are templates (`"${var.port}"`), a `"//"`
 * property is a comment, and a variable's `default` is a literal value.
 *
 * Which keys inside a resource are nested blocks is defined by the provider's
 * schema, which is not here: an object or array of objects is read as blocks
 * (`ingress`, `security_rule`, `allow`), except the meta-arguments and map
 * attributes named below, which are attributes.
 */
export function parseTerraformJson(text: string): HclDocument {
  const parsed = parseJsonTolerant(text);
  const problems: ParseProblem[] = [...parsed.problems];
  const reader = new JsonReader(text, problems);
  const root = parsed.root;
  if (!root) return { body: { items: [] }, comments: [], problems };
  if (root.type !== 'object') {
    problems.push({ code: 'syntax-error', severity: 'error', span: root.span, message: 'Terraform JSON must be an object whose keys are block types (resource, variable, locals, …)' });
    return { body: { items: [] }, comments: [], problems };
  }
  return { body: { items: reader.topLevel(root) }, comments: [], problems };
}

/** Labels each top-level block type takes (HashiCorp's JSON syntax spec). */
const LABELS: Readonly<Record<string, number>> = {
  resource: 2,
  data: 2,
  ephemeral: 2,
  variable: 1,
  output: 1,
  module: 1,
  provider: 0,
  locals: 0,
  terraform: 0,
  moved: 0,
  import: 0,
  removed: 0,
  check: 1,
};

/** Keys that are attributes even when their value is an object: meta-arguments and the maps providers take. */
const OBJECT_ATTRIBUTES = new Set(['for_each', 'count', 'depends_on', 'provider', 'providers', 'tags', 'tags_all', 'labels', 'triggers', 'metadata', 'default_tags', 'source_port_ranges', 'destination_port_ranges']);

/** Bodies whose every key is an attribute, whatever its value. */
const ATTRIBUTE_BODIES = new Set(['locals', 'module', 'output', 'variable']);

/** Blocks whose values are literal JSON, not templates (a variable's default, a validation's message stays a template). */
const LITERAL_ATTRIBUTES: Readonly<Record<string, ReadonlySet<string>>> = { variable: new Set(['default']) };

class JsonReader {
  constructor(
    private readonly text: string,
    private readonly problems: ParseProblem[],
  ) {}

  topLevel(root: JsonNode & { type: 'object' }): (HclAttribute | HclBlock)[] {
    const items: (HclAttribute | HclBlock)[] = [];
    for (const prop of root.props) {
      if (prop.key === '//' || !prop.value) continue;
      const labels = LABELS[prop.key];
      if (labels === undefined) {
        this.problems.push({ code: 'unparsed-rule', severity: 'info', span: prop.keySpan, message: `"${prop.key}" is not a Terraform block type; not read` });
        continue;
      }
      this.labelled(prop, prop.value, labels, [], items);
    }
    return items;
  }

  /** `"resource": {"aws_security_group": {"vda": {…}}}`, where any level may be an array of such objects. */
  private labelled(top: JsonProperty, node: JsonNode, remaining: number, labels: { value: string; span: Span }[], out: (HclAttribute | HclBlock)[]): void {
    if (node.type === 'array') {
      for (const item of node.items) this.labelled(top, item, remaining, labels, out);
      return;
    }
    if (node.type !== 'object') {
      this.problems.push({ code: 'unparsed-rule', severity: 'warning', span: node.span, message: `${[top.key, ...labels.map((l) => l.value)].join('.')}: expected an object here; not read` });
      return;
    }
    if (remaining === 0) {
      out.push(this.block(top.key, top.keySpan, labels, node, top.key));
      return;
    }
    for (const prop of node.props) {
      if (prop.key === '//' || !prop.value) continue;
      this.labelled(top, prop.value, remaining - 1, [...labels, { value: prop.key, span: prop.keySpan }], out);
    }
  }

  private block(type: string, typeSpan: Span, labels: readonly { value: string; span: Span }[], node: JsonNode & { type: 'object' }, context: string): HclBlock {
    const span = { start: labels[0]?.span.start ?? typeSpan.start, end: node.span.end };
    return { kind: 'block', type, typeSpan, labels, body: this.body(node, context), span, hasError: false };
  }

  private body(node: JsonNode & { type: 'object' }, context: string): HclBody {
    const items: (HclAttribute | HclBlock)[] = [];
    const allAttributes = ATTRIBUTE_BODIES.has(context);
    for (const prop of node.props) {
      if (prop.key === '//' || !prop.value) continue;
      const value = prop.value;
      if (!allAttributes && !OBJECT_ATTRIBUTES.has(prop.key)) {
        if (prop.key === 'dynamic' && (value.type === 'object' || value.type === 'array')) {
          for (const d of (blockObjects(value) ?? []).flatMap((o) => o.props)) {
            for (const b of (d.value && blockObjects(d.value)) ?? []) items.push(this.block('dynamic', prop.keySpan, [{ value: d.key, span: d.keySpan }], b, 'dynamic'));
          }
          continue;
        }
        const blocks = blockObjects(value);
        if (blocks) {
          // Each object of an array is its own block, placed (and, unnamed, identified) by where it starts.
          for (const b of blocks) items.push(this.block(prop.key, value.type === 'array' ? { start: b.span.start, end: b.span.start + 1 } : prop.keySpan, [], b, prop.key));
          continue;
        }
      }
      const literal = LITERAL_ATTRIBUTES[context]?.has(prop.key) ?? false;
      if (context === 'dynamic' && prop.key === 'iterator' && value.type === 'string' && !value.value.includes('${')) {
        // The JSON syntax names a dynamic block's iterator by a plain string; HCL writes the bare identifier.
        items.push({ kind: 'attribute', name: prop.key, nameSpan: prop.keySpan, expr: { kind: 'traversal', root: value.value, rootSpan: value.span, steps: [], span: value.span }, span: prop.span });
        continue;
      }
      items.push({ kind: 'attribute', name: prop.key, nameSpan: prop.keySpan, expr: this.expr(value, literal), span: prop.span });
    }
    return { items };
  }

  expr(node: JsonNode, literal: boolean): HclExpr {
    switch (node.type) {
      case 'string':
        return literal ? { kind: 'literal', value: node.value, span: node.span } : this.template(node);
      case 'number':
      case 'boolean':
        return { kind: 'literal', value: node.value, span: node.span };
      case 'null':
        return { kind: 'literal', value: null, span: node.span };
      case 'array':
        return { kind: 'tuple', items: node.items.map((i) => this.expr(i, literal)), span: node.span };
      case 'object':
        return {
          kind: 'object',
          entries: node.props.filter((p) => p.key !== '//' && p.value).map((p) => ({ key: { kind: 'literal', value: p.key, span: p.keySpan } as HclExpr, value: this.expr(p.value!, literal) })),
          span: node.span,
        };
    }
  }

  /**
   * A JSON string is an HCL template. Its interpolations are read by the HCL
   * reader, on the source text where the string holds no escapes (so every
   * span points into the file), else on the decoded value with the string's
   * span for everything in it.
   */
  private template(node: JsonNode & { type: 'string' }): HclExpr {
    const value = node.value;
    if (!value.includes('${') && !value.includes('%{')) return { kind: 'literal', value, span: node.span };
    const raw = this.text.slice(node.span.start + 1, node.span.end - 1);
    const exact = !raw.includes('\\') && raw === value;
    const source = exact ? raw : asQuotedTemplate(value);
    const prefix = 'x = "';
    let parsedExpr: HclExpr | undefined;
    try {
      const doc = parseHcl(`${prefix}${source}"\n`);
      parsedExpr = attribute(doc.body, 'x')?.expr;
    } catch {
      parsedExpr = undefined;
    }
    if (!parsedExpr) {
      this.problems.push({ code: 'unparsed-rule', severity: 'warning', span: node.span, message: 'this template could not be read; its value stays unknown' });
      return { kind: 'unsupported', what: 'unreadable template', span: node.span };
    }
    // `"${x}"` alone is x itself, its type kept (HCL's rule for a template that is one interpolation).
    const only = parsedExpr.kind === 'template' && parsedExpr.parts.length === 1 && 'expr' in parsedExpr.parts[0]! ? parsedExpr.parts[0].expr : parsedExpr;
    const delta = node.span.start + 1 - prefix.length;
    return exact ? shiftExpr(only, (s) => ({ start: s.start + delta, end: s.end + delta })) : shiftExpr(only, () => node.span);
  }
}

/**
 * The HCL quoted-template text of a decoded JSON string: literal parts get
 * HCL's escapes; interpolations and directives are expressions, copied as
 * they are (their own strings keep their quotes: `${cidrsubnet("10.0.0.0/16", 8, 1)}`).
 */
function asQuotedTemplate(value: string): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if ((c === '$' || c === '%') && value[i + 1] === '{') {
      const end = interpolationEnd(value, i + 2);
      out += value.slice(i, end);
      i = end;
      continue;
    }
    if ((c === '$' || c === '%') && value[i + 1] === c && value[i + 2] === '{') {
      out += value.slice(i, i + 3);
      i += 3;
      continue;
    }
    out += c === '\\' ? '\\\\' : c === '"' ? '\\"' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : c === '\t' ? '\\t' : c;
    i++;
  }
  return out;
}

/** Index just past the `}` closing an interpolation whose body starts at `from`, skipping nested braces and strings. */
function interpolationEnd(value: string, from: number): number {
  let depth = 1;
  let inString = false;
  for (let i = from; i < value.length; i++) {
    const c = value[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return value.length;
}

/** A value that Terraform's JSON syntax writes a nested block as: an object, or an array of objects. */
function blockObjects(value: JsonNode): (JsonNode & { type: 'object' })[] | undefined {
  if (value.type === 'object') return [value];
  if (value.type === 'array' && value.items.length > 0 && value.items.every((i) => i.type === 'object')) return value.items as (JsonNode & { type: 'object' })[];
  return undefined;
}

type SpanMap = (span: Span) => Span;

function shiftExpr(e: HclExpr, map: SpanMap): HclExpr {
  const span = map(e.span);
  switch (e.kind) {
    case 'literal':
    case 'unsupported':
      return { ...e, span };
    case 'template':
      return { kind: 'template', parts: e.parts.map((p): TemplatePart => ('literal' in p ? { literal: p.literal, span: map(p.span) } : { expr: shiftExpr(p.expr, map) })), span };
    case 'tuple':
      return { kind: 'tuple', items: e.items.map((i) => shiftExpr(i, map)), span };
    case 'object':
      return { kind: 'object', entries: e.entries.map((x) => ({ key: shiftExpr(x.key, map), value: shiftExpr(x.value, map) })), span };
    case 'traversal':
      return { kind: 'traversal', root: e.root, rootSpan: map(e.rootSpan), steps: e.steps.map((s) => shiftStep(s, map)), span };
    case 'call':
      return { kind: 'call', name: e.name, args: e.args.map((a) => shiftExpr(a, map)), expandLast: e.expandLast, span };
    case 'conditional':
      return { kind: 'conditional', condition: shiftExpr(e.condition, map), then: shiftExpr(e.then, map), otherwise: shiftExpr(e.otherwise, map), span };
    case 'unary':
      return { kind: 'unary', op: e.op, operand: shiftExpr(e.operand, map), span };
    case 'binary':
      return { kind: 'binary', op: e.op, left: shiftExpr(e.left, map), right: shiftExpr(e.right, map), span };
  }
}

function shiftStep(s: TraversalStep, map: SpanMap): TraversalStep {
  return s.kind === 'index' ? { kind: 'index', key: shiftExpr(s.key, map), span: map(s.span) } : { ...s, span: map(s.span) };
}

/** Terraform's JSON syntax, by file name: `.tf.json` and OpenTofu's `.tofu.json`. */
export function isTerraformJsonFile(uri: string): boolean {
  return /\.(?:tf|tofu)\.json$/i.test(uri);
}
