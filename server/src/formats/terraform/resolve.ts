import type { Span } from '../../model';
import { parseIPv4, formatIPv4 } from '../../net';
import { TERRAFORM_MODULE_FILE } from './format';
import { attribute, blocksOf, parseHcl, type HclBody, type HclExpr, type TraversalStep } from './hcl';
import { isTerraformJsonFile, parseTerraformJson } from './json';

/**
 * Literal values of Terraform expressions: variable defaults, `*.tfvars`,
 * `locals`, interpolation, a few pure functions, `for_each`/`dynamic`
 * iterators over literal collections. Everything else is `unknown` with the
 * reason, so a rule built on it is reported as unknown, never as "any".
 */
export type Value =
  | { readonly kind: 'string'; readonly value: string; readonly span: Span }
  | { readonly kind: 'number'; readonly value: number; readonly span: Span }
  | { readonly kind: 'bool'; readonly value: boolean; readonly span: Span }
  | { readonly kind: 'null'; readonly span: Span }
  | { readonly kind: 'list'; readonly items: readonly Value[]; readonly span: Span }
  | { readonly kind: 'object'; readonly entries: ReadonlyMap<string, Value>; readonly span: Span }
  /** A managed resource's attribute (`aws_security_group.vda.id`): an identity, known only after apply. */
  | { readonly kind: 'ref'; readonly address: string; readonly attribute?: string; readonly text: string; readonly span: Span }
  | { readonly kind: 'unknown'; readonly text: string; readonly reason: string; readonly span: Span };

/** Iterator bindings: `each`, `count`, a `dynamic` block's iterator. A binding of `undefined` means "could not be resolved". */
export type Scope = ReadonlyMap<string, Value | { readonly unresolved: string }>;

export const EMPTY_SCOPE: Scope = new Map();

interface Definition {
  readonly expr: HclExpr;
  readonly text: string;
}

/** Variables and locals a module declares, gathered from this file and its sibling `.tf` files. */
export interface ModuleDefinitions {
  readonly variables: Map<string, { default?: Definition; declared: boolean }>;
  readonly locals: Map<string, Definition>;
  /** tfvars values by variable name; `ambiguous` lists the files that disagree. */
  readonly tfvars: Map<string, { value?: Value; file: string; ambiguous?: string[] }>;
}

export function collectDefinitions(body: HclBody, text: string, defs: ModuleDefinitions = emptyDefinitions()): ModuleDefinitions {
  for (const b of blocksOf(body, 'variable')) {
    const name = b.labels[0]?.value;
    if (!name) continue;
    const d = attribute(b.body, 'default');
    defs.variables.set(name, { declared: true, default: d ? { expr: d.expr, text } : undefined });
  }
  for (const b of blocksOf(body, 'locals')) {
    for (const item of b.body.items) if (item.kind === 'attribute') defs.locals.set(item.name, { expr: item.expr, text });
  }
  return defs;
}

export function emptyDefinitions(): ModuleDefinitions {
  return { variables: new Map(), locals: new Map(), tfvars: new Map() };
}

const baseName = (p: string): string => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

/**
 * Reads sibling files: `.tf` files (and `.tofu`, `.tf.json`) contribute variables and locals (a module
 * is all the `.tf` files of a folder); `.tfvars` set variables. Terraform
 * loads `terraform.tfvars` and `*.auto.tfvars` itself, in that order, later
 * ones winning; other `*.tfvars` are passed with `-var-file`, so when they
 * disagree we cannot know which one is used and the value stays unknown.
 */
export function readSiblings(siblings: ReadonlyMap<string, string> | undefined, uri: string, defs: ModuleDefinitions): void {
  if (!siblings) return;
  const self = baseName(uri);
  const entries = [...siblings.entries()].sort(([a], [b]) => (baseName(a) < baseName(b) ? -1 : baseName(a) > baseName(b) ? 1 : 0));
  const names = new Set(entries.map(([f]) => baseName(f)));
  names.add(self);
  for (const [file, text] of entries) {
    const name = baseName(file);
    if (name === self || !TERRAFORM_MODULE_FILE.test(name) || shadowedByTofu(name, names)) continue;
    try {
      collectDefinitions((isTerraformJsonFile(name) ? parseTerraformJson(text) : parseHcl(text)).body, text, defs);
    } catch {
      // A sibling we cannot read adds no definitions; its own diagnostics come when it is opened.
    }
  }
  const auto = entries.filter(([f]) => /^terraform\.tfvars(\.json)?$/.test(baseName(f)) || /\.auto\.tfvars(\.json)?$/.test(baseName(f)));
  const explicit = entries.filter(([f]) => /\.tfvars(\.json)?$/.test(baseName(f)) && !auto.some(([a]) => a === f));
  const fromExplicit = new Map<string, { value: Value; file: string; files: string[] }>();
  for (const [file, text] of explicit) {
    for (const [k, v] of readTfvars(file, text)) {
      const prev = fromExplicit.get(k);
      if (!prev) fromExplicit.set(k, { value: v, file: baseName(file), files: [baseName(file)] });
      else {
        prev.files.push(baseName(file));
        if (!sameValue(prev.value, v)) defs.tfvars.set(k, { file: prev.file, ambiguous: prev.files });
      }
    }
  }
  for (const [k, v] of fromExplicit) if (!defs.tfvars.get(k)?.ambiguous) defs.tfvars.set(k, { value: v.value, file: v.file });
  // Auto-loaded files are applied after, so they win (Terraform applies -var-file after them, but those we cannot see).
  for (const [file, text] of auto) {
    for (const [k, v] of readTfvars(file, text)) defs.tfvars.set(k, { value: v, file: baseName(file) });
  }
}

/** OpenTofu reads `x.tofu` instead of `x.tf` (and `x.tofu.json` instead of `x.tf.json`) where both exist. */
function shadowedByTofu(name: string, names: ReadonlySet<string>): boolean {
  const m = /^(.*)\.tf(\.json)?$/.exec(name);
  return m !== null && names.has(`${m[1]}.tofu${m[2] ?? ''}`);
}

function readTfvars(file: string, text: string): Map<string, Value> {
  const out = new Map<string, Value>();
  const nowhere: Span = { start: 0, end: 0 };
  if (file.endsWith('.json')) {
    try {
      const json: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
      if (json && typeof json === 'object' && !Array.isArray(json)) {
        for (const [k, v] of Object.entries(json)) out.set(k, fromJson(v, nowhere));
      }
    } catch {
      // Malformed JSON sets nothing.
    }
    return out;
  }
  try {
    const doc = parseHcl(text);
    const r = new Resolver(text, emptyDefinitions());
    for (const item of doc.body.items) if (item.kind === 'attribute') out.set(item.name, r.resolve(item.expr));
  } catch {
    // As above.
  }
  return out;
}

function fromJson(v: unknown, span: Span): Value {
  if (typeof v === 'string') return { kind: 'string', value: v, span };
  if (typeof v === 'number') return { kind: 'number', value: v, span };
  if (typeof v === 'boolean') return { kind: 'bool', value: v, span };
  if (Array.isArray(v)) return { kind: 'list', items: v.map((x) => fromJson(x, span)), span };
  if (v && typeof v === 'object') return { kind: 'object', entries: new Map(Object.entries(v).map(([k, x]) => [k, fromJson(x, span)])), span };
  return { kind: 'null', span };
}

function sameValue(a: Value, b: Value): boolean {
  return JSON.stringify(plain(a)) === JSON.stringify(plain(b));
}

/** Plain JS for a literal value; undefined when anything inside is not literal. */
export function plain(v: Value): unknown {
  switch (v.kind) {
    case 'string':
    case 'number':
    case 'bool':
      return v.value;
    case 'null':
      return null;
    case 'list': {
      const out: unknown[] = [];
      for (const i of v.items) {
        const p = plain(i);
        if (p === undefined) return undefined;
        out.push(p);
      }
      return out;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, i] of v.entries) {
        const p = plain(i);
        if (p === undefined) return undefined;
        out[k] = p;
      }
      return out;
    }
    default:
      return undefined;
  }
}

/** A value re-pointed at the expression that referred to it, so findings point into this file. */
export function respan(v: Value, span: Span): Value {
  switch (v.kind) {
    case 'list':
      return { kind: 'list', items: v.items.map((i) => respan(i, span)), span };
    case 'object':
      return { kind: 'object', entries: new Map([...v.entries].map(([k, i]) => [k, respan(i, span)])), span };
    default:
      return { ...v, span };
  }
}

/** Resource types whose references name something (a group, a network) rather than a literal value. */
const DATA_ROOTS = new Set(['data', 'module', 'path', 'terraform', 'self']);
const MAX_DEPTH = 64;

export class Resolver {
  private readonly localCache = new Map<string, Value>();
  private readonly inProgress = new Set<string>();
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly defs: ModuleDefinitions,
  ) {}

  source(expr: HclExpr, text: string = this.text): string {
    return text.slice(expr.span.start, expr.span.end);
  }

  resolve(expr: HclExpr, scope: Scope = EMPTY_SCOPE): Value {
    if (this.depth > MAX_DEPTH) return this.unknown(expr, 'nested too deeply to evaluate');
    this.depth++;
    try {
      return this.eval(expr, scope, this.text);
    } finally {
      this.depth--;
    }
  }

  private unknown(expr: HclExpr, reason: string, text: string = this.text): Value {
    return { kind: 'unknown', text: this.source(expr, text), reason, span: expr.span };
  }

  private eval(expr: HclExpr, scope: Scope, text: string): Value {
    const span = expr.span;
    switch (expr.kind) {
      case 'literal':
        if (expr.value === null) return { kind: 'null', span };
        if (typeof expr.value === 'string') return { kind: 'string', value: expr.value, span };
        if (typeof expr.value === 'number') return { kind: 'number', value: expr.value, span };
        return { kind: 'bool', value: expr.value, span };
      case 'template': {
        // `"${x}"` alone is x itself, list or not (Terraform 0.11 wrote every reference this way).
        if (expr.parts.length === 1 && 'expr' in expr.parts[0]) return respan(this.eval(expr.parts[0].expr, scope, text), span);
        let out = '';
        for (const p of expr.parts) {
          if ('literal' in p) out += p.literal;
          else {
            const v = this.eval(p.expr, scope, text);
            const s = scalarString(v);
            if (s === undefined) return v.kind === 'unknown' || v.kind === 'ref' ? { kind: 'unknown', text: this.source(expr, text), reason: reasonOf(v), span } : this.unknown(expr, 'interpolates a value that is not text', text);
            out += s;
          }
        }
        return { kind: 'string', value: out, span };
      }
      case 'tuple':
        return { kind: 'list', items: expr.items.map((i) => this.eval(i, scope, text)), span };
      case 'object': {
        const entries = new Map<string, Value>();
        for (const e of expr.entries) {
          let key: string | undefined;
          if (e.key.kind === 'traversal' && e.key.steps.length === 0 && !scope.has(e.key.root)) key = e.key.root;
          else {
            key = scalarString(this.eval(e.key, scope, text));
          }
          if (key === undefined) return this.unknown(expr, 'an object key that is not a literal', text);
          entries.set(key, this.eval(e.value, scope, text));
        }
        return { kind: 'object', entries, span };
      }
      case 'traversal':
        return this.traversal(expr, scope, text);
      case 'call':
        return this.call(expr, scope, text);
      case 'conditional': {
        const c = this.eval(expr.condition, scope, text);
        if (c.kind !== 'bool') return this.unknown(expr, c.kind === 'unknown' ? `its condition is unknown (${c.reason})` : 'its condition is not true or false', text);
        return this.eval(c.value ? expr.then : expr.otherwise, scope, text);
      }
      case 'unary': {
        const v = this.eval(expr.operand, scope, text);
        if (expr.op === '!' && v.kind === 'bool') return { kind: 'bool', value: !v.value, span };
        if (expr.op === '-' && v.kind === 'number') return { kind: 'number', value: -v.value, span };
        return v.kind === 'unknown' ? { ...v, span, text: this.source(expr, text) } : this.unknown(expr, `cannot apply "${expr.op}"`, text);
      }
      case 'binary':
        return this.binary(expr, scope, text);
      case 'unsupported':
        return this.unknown(expr, `${expr.what} is not evaluated`, text);
    }
  }

  private binary(expr: Extract<HclExpr, { kind: 'binary' }>, scope: Scope, text: string): Value {
    const span = expr.span;
    const l = this.eval(expr.left, scope, text);
    const r = this.eval(expr.right, scope, text);
    if (l.kind === 'unknown' || l.kind === 'ref') return this.unknown(expr, reasonOf(l), text);
    if (r.kind === 'unknown' || r.kind === 'ref') return this.unknown(expr, reasonOf(r), text);
    const op = expr.op;
    if (op === '==' || op === '!=') {
      const eq = JSON.stringify(plain(l)) === JSON.stringify(plain(r));
      return { kind: 'bool', value: op === '==' ? eq : !eq, span };
    }
    if (op === '&&' || op === '||') {
      if (l.kind !== 'bool' || r.kind !== 'bool') return this.unknown(expr, `"${op}" needs true or false`, text);
      return { kind: 'bool', value: op === '&&' ? l.value && r.value : l.value || r.value, span };
    }
    const a = l.kind === 'number' ? l.value : l.kind === 'string' ? Number(l.value) : NaN;
    const b = r.kind === 'number' ? r.value : r.kind === 'string' ? Number(r.value) : NaN;
    if (!Number.isFinite(a) || !Number.isFinite(b)) return this.unknown(expr, `"${op}" needs numbers`, text);
    switch (op) {
      case '+':
        return { kind: 'number', value: a + b, span };
      case '-':
        return { kind: 'number', value: a - b, span };
      case '*':
        return { kind: 'number', value: a * b, span };
      case '/':
        return b === 0 ? this.unknown(expr, 'division by zero', text) : { kind: 'number', value: a / b, span };
      case '%':
        return b === 0 ? this.unknown(expr, 'division by zero', text) : { kind: 'number', value: a % b, span };
      case '<':
        return { kind: 'bool', value: a < b, span };
      case '<=':
        return { kind: 'bool', value: a <= b, span };
      case '>':
        return { kind: 'bool', value: a > b, span };
      case '>=':
        return { kind: 'bool', value: a >= b, span };
      default:
        return this.unknown(expr, `operator "${op}" is not evaluated`, text);
    }
  }

  private traversal(expr: Extract<HclExpr, { kind: 'traversal' }>, scope: Scope, text: string): Value {
    const span = expr.span;
    const steps = expr.steps;
    const root = expr.root;
    let base: Value;
    let rest: readonly TraversalStep[] = steps;
    if (root === '') {
      // `[…][0]`, `f(x).y`: the first step holds the value itself.
      // Error recovery can leave a traversal with neither root nor steps (`name =/* …` unterminated).
      const first = steps[0];
      base = first?.kind === 'index' ? this.eval(first.key, scope, text) : this.unknown(expr, 'not evaluated', text);
      rest = steps.slice(1);
    } else if (scope.has(root)) {
      const bound = scope.get(root)!;
      if ('unresolved' in bound) return this.unknown(expr, bound.unresolved, text);
      base = bound;
    } else if (root === 'var' || root === 'local') {
      const name = steps[0]?.kind === 'attr' ? steps[0].name : undefined;
      if (!name) return this.unknown(expr, `"${root}" without a name`, text);
      base = root === 'var' ? this.variable(name, expr, text) : this.local(name, expr, text);
      if (base.kind === 'unknown') return { ...base, text: this.source(expr, text), span };
      rest = steps.slice(1);
    } else if (root === 'each' || root === 'count') {
      return this.unknown(expr, `${root} is used outside a resource with ${root === 'each' ? 'for_each' : 'count'}`, text);
    } else if (DATA_ROOTS.has(root)) {
      const what = root === 'data' ? 'a data source' : root === 'module' ? 'a module output' : `"${root}"`;
      return this.unknown(expr, `${what} is read when Terraform runs`, text);
    } else {
      return this.resourceRef(expr, scope, text);
    }
    for (const step of rest) {
      if (base.kind === 'unknown') return { ...base, span, text: this.source(expr, text) };
      if (step.kind === 'splat') return this.unknown(expr, 'a splat expression is not evaluated', text);
      let key: Value;
      if (step.kind === 'attr') key = { kind: 'string', value: step.name, span: step.span };
      else key = this.eval(step.key, scope, text);
      base = index(base, key);
      if (base.kind === 'unknown') return { ...base, span, text: this.source(expr, text) };
    }
    return respan(base, span);
  }

  /** `aws_security_group.vda.id`, `azurerm_network_security_group.x[each.key].name`. */
  private resourceRef(expr: Extract<HclExpr, { kind: 'traversal' }>, scope: Scope, text: string): Value {
    const steps = expr.steps;
    const nameStep = steps[0];
    if (!nameStep || nameStep.kind !== 'attr') return this.unknown(expr, `"${expr.root}" is not a value Terraform knows here`, text);
    let address = `${expr.root}.${nameStep.name}`;
    let i = 1;
    if (steps[1]?.kind === 'index') {
      const k = this.eval(steps[1].key, scope, text);
      const ks = k.kind === 'string' ? JSON.stringify(k.value) : k.kind === 'number' ? String(k.value) : undefined;
      if (ks === undefined) return this.unknown(expr, `the instance key of ${address} is unknown`, text);
      address += `[${ks}]`;
      i = 2;
    }
    const attr = steps[i]?.kind === 'attr' ? (steps[i] as { name: string }).name : undefined;
    return { kind: 'ref', address, attribute: attr, text: this.source(expr, text), span: expr.span };
  }

  /**
   * Where Terraform takes `var.name` from, in words, for messages: `"*", the
   * default of var.rdp_sources` or `var.admin_cidrs in prod.auto.tfvars`;
   * undefined when it has no single value here.
   */
  variableOrigin(name: string): string | undefined {
    const fromFile = this.defs.tfvars.get(name);
    if (fromFile?.ambiguous) return undefined;
    if (fromFile?.value) return `var.${name} in ${fromFile.file}`;
    const def = this.defs.variables.get(name)?.default;
    if (!def) return undefined;
    const written = def.text.slice(def.expr.span.start, def.expr.span.end).replace(/\s+/g, ' ');
    return `${written.length > 60 ? `${written.slice(0, 57)}…` : written}, the default of var.${name}`;
  }

  private variable(name: string, at: HclExpr, text: string): Value {
    const fromFile = this.defs.tfvars.get(name);
    if (fromFile?.ambiguous) return this.unknown(at, `var.${name} differs between ${fromFile.ambiguous.join(' and ')}`, text);
    if (fromFile?.value) return fromFile.value;
    const def = this.defs.variables.get(name);
    if (!def) return this.unknown(at, `var.${name} is not declared in this module`, text);
    if (!def.default) return this.unknown(at, `var.${name} has no default and no value in a tfvars file`, text);
    const v = this.evalIn(def.default, EMPTY_SCOPE);
    return v.kind === 'unknown' ? { ...v, reason: `var.${name}: ${v.reason}` } : v;
  }

  private local(name: string, at: HclExpr, text: string): Value {
    const cached = this.localCache.get(name);
    if (cached) return cached;
    const def = this.defs.locals.get(name);
    if (!def) return this.unknown(at, `local.${name} is not defined in this module`, text);
    if (this.inProgress.has(name)) return this.unknown(at, `local.${name} refers to itself`, text);
    this.inProgress.add(name);
    try {
      let v = this.evalIn(def, EMPTY_SCOPE);
      if (v.kind === 'unknown') v = { ...v, reason: `local.${name}: ${v.reason}` };
      this.localCache.set(name, v);
      return v;
    } finally {
      this.inProgress.delete(name);
    }
  }

  private evalIn(def: Definition, scope: Scope): Value {
    if (this.depth > MAX_DEPTH) return { kind: 'unknown', text: this.source(def.expr, def.text), reason: 'nested too deeply to evaluate', span: def.expr.span };
    this.depth++;
    try {
      return this.eval(def.expr, scope, def.text);
    } finally {
      this.depth--;
    }
  }

  private call(expr: Extract<HclExpr, { kind: 'call' }>, scope: Scope, text: string): Value {
    const span = expr.span;
    let args = expr.args.map((a) => this.eval(a, scope, text));
    if (expr.expandLast && args.length) {
      const last = args[args.length - 1];
      if (last.kind !== 'list') return this.unknown(expr, 'expands a value that is not a list', text);
      args = [...args.slice(0, -1), ...last.items];
    }
    const bad = args.find((a) => a.kind === 'unknown' || a.kind === 'ref');
    const fail = (reason: string): Value => this.unknown(expr, reason, text);
    const fn = FUNCTIONS[expr.name];
    if (!fn) return fail(`function ${expr.name}() is not evaluated`);
    if (bad) return fail(reasonOf(bad));
    const out = fn.run(args, span);
    return out ?? fail(`${expr.name}() with these arguments is not evaluated`);
  }
}

export function reasonOf(v: Value): string {
  if (v.kind === 'unknown') return v.reason;
  if (v.kind === 'ref') return `${v.text} is known only after apply`;
  return 'not a literal';
}

export function scalarString(v: Value): string | undefined {
  if (v.kind === 'string') return v.value;
  if (v.kind === 'number') return String(v.value);
  if (v.kind === 'bool') return String(v.value);
  return undefined;
}

function index(base: Value, key: Value): Value {
  const span = base.span;
  if (base.kind === 'list') {
    const n = key.kind === 'number' ? key.value : key.kind === 'string' && /^\d+$/.test(key.value) ? Number(key.value) : NaN;
    if (!Number.isInteger(n)) return { kind: 'unknown', text: '', reason: 'a list index that is not a number', span };
    const item = base.items[n];
    return item ?? { kind: 'unknown', text: '', reason: `index ${n} is past the end of the list`, span };
  }
  if (base.kind === 'object') {
    const k = scalarString(key);
    if (k === undefined) return { kind: 'unknown', text: '', reason: 'a key that is not a literal', span };
    const item = base.entries.get(k);
    return item ?? { kind: 'unknown', text: '', reason: `no "${k}" in the object`, span };
  }
  if (base.kind === 'unknown' || base.kind === 'ref') return base;
  return { kind: 'unknown', text: '', reason: 'indexes a value that is not a list or object', span };
}

interface Fn {
  readonly run: (args: Value[], span: Span) => Value | undefined;
}

const str = (value: string, span: Span): Value => ({ kind: 'string', value, span });
const list = (items: readonly Value[], span: Span): Value => ({ kind: 'list', items, span });

function flattenValues(items: readonly Value[]): Value[] {
  const out: Value[] = [];
  for (const i of items) if (i.kind === 'list') out.push(...flattenValues(i.items));
  else out.push(i);
  return out;
}

function distinctValues(items: readonly Value[]): Value[] {
  const seen = new Set<string>();
  const out: Value[] = [];
  for (const i of items) {
    const k = JSON.stringify(plain(i));
    if (!seen.has(k)) {
      seen.add(k);
      out.push(i);
    }
  }
  return out;
}

/** IPv4 `cidrsubnet(prefix, newbits, netnum)`; IPv6 stays unknown. */
function cidrsubnet(args: Value[], span: Span): Value | undefined {
  const [p, nb, nn] = args;
  if (p?.kind !== 'string' || nb?.kind !== 'number' || nn?.kind !== 'number') return undefined;
  const slash = p.value.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIPv4(p.value.slice(0, slash));
  const len = Number(p.value.slice(slash + 1));
  if (!ip.ok || !Number.isInteger(len)) return undefined;
  const newLen = len + nb.value;
  if (newLen > 32 || nn.value < 0 || nn.value >= 2 ** nb.value) return undefined;
  const base = len === 0 ? 0 : Math.floor(ip.value / 2 ** (32 - len)) * 2 ** (32 - len);
  return str(`${formatIPv4(base + nn.value * 2 ** (32 - newLen))}/${newLen}`, span);
}

const FUNCTIONS: Readonly<Record<string, Fn>> = {
  concat: { run: (a, s) => (a.every((x) => x.kind === 'list') ? list(a.flatMap((x) => (x.kind === 'list' ? x.items : [])), s) : undefined) },
  flatten: { run: (a, s) => (a[0]?.kind === 'list' ? list(flattenValues(a[0].items), s) : undefined) },
  tolist: { run: (a) => (a[0]?.kind === 'list' ? a[0] : undefined) },
  toset: { run: (a, s) => (a[0]?.kind === 'list' ? list(distinctValues(a[0].items), s) : undefined) },
  distinct: { run: (a, s) => (a[0]?.kind === 'list' ? list(distinctValues(a[0].items), s) : undefined) },
  compact: { run: (a, s) => (a[0]?.kind === 'list' ? list(a[0].items.filter((x) => !(x.kind === 'string' && x.value === '') && x.kind !== 'null'), s) : undefined) },
  // Terraform 0.11's list("a", "b") and map("k", "v").
  list: { run: (a, s) => list(a, s) },
  map: {
    run: (a, s) => {
      if (a.length % 2) return undefined;
      const entries = new Map<string, Value>();
      for (let i = 0; i < a.length; i += 2) {
        const k = scalarString(a[i]);
        if (k === undefined) return undefined;
        entries.set(k, a[i + 1]);
      }
      return { kind: 'object', entries, span: s };
    },
  },
  tomap: { run: (a) => (a[0]?.kind === 'object' ? a[0] : undefined) },
  merge: {
    run: (a, s) => {
      const entries = new Map<string, Value>();
      for (const x of a) {
        if (x.kind !== 'object') return undefined;
        for (const [k, v] of x.entries) entries.set(k, v);
      }
      return { kind: 'object', entries, span: s };
    },
  },
  lookup: {
    run: (a) => {
      if (a[0]?.kind !== 'object') return undefined;
      const k = a[1] ? scalarString(a[1]) : undefined;
      if (k === undefined) return undefined;
      return a[0].entries.get(k) ?? a[2];
    },
  },
  element: {
    run: (a) => {
      if (a[0]?.kind !== 'list' || a[1]?.kind !== 'number' || a[0].items.length === 0) return undefined;
      return a[0].items[((a[1].value % a[0].items.length) + a[0].items.length) % a[0].items.length];
    },
  },
  keys: { run: (a, s) => (a[0]?.kind === 'object' ? list([...a[0].entries.keys()].sort().map((k) => str(k, s)), s) : undefined) },
  values: { run: (a, s) => (a[0]?.kind === 'object' ? list([...a[0].entries.entries()].sort(([x], [y]) => (x < y ? -1 : 1)).map(([, v]) => v), s) : undefined) },
  length: {
    run: (a, s) => {
      const x = a[0];
      if (x?.kind === 'list') return { kind: 'number', value: x.items.length, span: s };
      if (x?.kind === 'object') return { kind: 'number', value: x.entries.size, span: s };
      if (x?.kind === 'string') return { kind: 'number', value: [...x.value].length, span: s };
      return undefined;
    },
  },
  lower: { run: (a, s) => (a[0]?.kind === 'string' ? str(a[0].value.toLowerCase(), s) : undefined) },
  upper: { run: (a, s) => (a[0]?.kind === 'string' ? str(a[0].value.toUpperCase(), s) : undefined) },
  tostring: { run: (a, s) => (a[0] && scalarString(a[0]) !== undefined ? str(scalarString(a[0])!, s) : undefined) },
  tonumber: {
    run: (a, s) => {
      const t = a[0] ? scalarString(a[0]) : undefined;
      const n = t === undefined ? NaN : Number(t);
      return Number.isFinite(n) ? { kind: 'number', value: n, span: s } : undefined;
    },
  },
  join: {
    run: (a, s) => {
      if (a[0]?.kind !== 'string') return undefined;
      const parts: string[] = [];
      for (const l of a.slice(1)) {
        if (l.kind !== 'list') return undefined;
        for (const i of l.items) {
          const t = scalarString(i);
          if (t === undefined) return undefined;
          parts.push(t);
        }
      }
      return str(parts.join(a[0].value), s);
    },
  },
  split: { run: (a, s) => (a[0]?.kind === 'string' && a[1]?.kind === 'string' ? list(a[1].value.split(a[0].value).map((p) => str(p, s)), s) : undefined) },
  cidrsubnet: { run: cidrsubnet },
};
