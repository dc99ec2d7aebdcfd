import type { Language, Range, TreeCursor } from 'web-tree-sitter';
import { LineIndex, type Comment, type ParseProblem, type Span } from '../../model';
import { parseDocument, treeSitterParser, type IncrementalTrees } from '../treeSitter';
import { parseHclFast } from './fastHcl';
import { eitherBudget, giveUpAfter } from '../budget';

/**
 * A small, reusable picture of HCL (blocks, labels, attributes, expressions,
 * spans) built from tree-sitter's concrete syntax tree, so the cloud readers
 * never touch tree-sitter nodes (which live in WebAssembly memory and must be
 * freed).
 */

export interface HclLabel {
  readonly value: string;
  readonly span: Span;
}

export interface HclAttribute {
  readonly kind: 'attribute';
  readonly name: string;
  readonly nameSpan: Span;
  readonly expr: HclExpr;
  readonly span: Span;
  readonly hasError?: boolean;
}

export interface HclBlock {
  readonly kind: 'block';
  readonly type: string;
  readonly typeSpan: Span;
  readonly labels: readonly HclLabel[];
  readonly body: HclBody;
  readonly span: Span;
  /** The block or something inside it did not parse cleanly. */
  readonly hasError: boolean;
}

export interface HclBody {
  readonly items: readonly (HclAttribute | HclBlock)[];
}

export type TemplatePart = { readonly literal: string; readonly span: Span } | { readonly expr: HclExpr };

export type TraversalStep =
  | { readonly kind: 'attr'; readonly name: string; readonly span: Span }
  | { readonly kind: 'index'; readonly key: HclExpr; readonly span: Span }
  | { readonly kind: 'splat'; readonly span: Span };

export type HclExpr =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null; readonly span: Span }
  | { readonly kind: 'template'; readonly parts: readonly TemplatePart[]; readonly span: Span }
  | { readonly kind: 'tuple'; readonly items: readonly HclExpr[]; readonly span: Span }
  | { readonly kind: 'object'; readonly entries: readonly { readonly key: HclExpr; readonly value: HclExpr }[]; readonly span: Span }
  /** `var.x`, `local.y[0]`, `aws_security_group.vda.id`, `each.value.port`. */
  | { readonly kind: 'traversal'; readonly root: string; readonly rootSpan: Span; readonly steps: readonly TraversalStep[]; readonly span: Span }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly HclExpr[]; readonly expandLast: boolean; readonly span: Span }
  | { readonly kind: 'conditional'; readonly condition: HclExpr; readonly then: HclExpr; readonly otherwise: HclExpr; readonly span: Span }
  | { readonly kind: 'unary'; readonly op: string; readonly operand: HclExpr; readonly span: Span }
  | { readonly kind: 'binary'; readonly op: string; readonly left: HclExpr; readonly right: HclExpr; readonly span: Span }
  /** Syntax the resolver does not evaluate (for expressions, template directives) or that did not parse. */
  | { readonly kind: 'unsupported'; readonly what: string; readonly span: Span };

export interface HclDocument {
  readonly body: HclBody;
  readonly comments: readonly Comment[];
  readonly problems: readonly ParseProblem[];
}

export function attribute(body: HclBody, name: string): HclAttribute | undefined {
  for (const item of body.items) if (item.kind === 'attribute' && item.name === name) return item;
  return undefined;
}

/**
 * Whether an attribute in the body (or a nested block's) did not parse. A
 * block that only lacks its closing brace still reads correctly, so that
 * alone does not count.
 */
export function bodyHasError(body: HclBody): boolean {
  for (const item of body.items) {
    if (item.kind === 'attribute' ? item.hasError : bodyHasError(item.body)) return true;
  }
  return false;
}

export function blocksOf(body: HclBody, type?: string): HclBlock[] {
  const out: HclBlock[] = [];
  for (const item of body.items) if (item.kind === 'block' && (type === undefined || item.type === type)) out.push(item);
  return out;
}

/**
 * tree-sitter's syntax tree copied into plain objects in one cursor walk:
 * web-tree-sitter builds a JavaScript object across the WebAssembly boundary
 * for every `Node` it hands out, which made conversion cost four times the
 * parse itself.
 */
class Node {
  readonly children: Node[] = [];
  hasError: boolean;
  private named?: Node[];
  constructor(
    private readonly source: string,
    readonly type: string,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly isNamed: boolean,
    readonly isMissing: boolean,
  ) {
    this.hasError = type === 'ERROR' || isMissing;
  }
  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }
  get namedChildren(): Node[] {
    this.named ??= this.children.filter((c) => c.isNamed);
    return this.named;
  }
  get firstNamedChild(): Node | null {
    return this.namedChildren[0] ?? null;
  }
  get childCount(): number {
    return this.children.length;
  }
}

/** Type names and namedness by type id, read once per language instead of once per node. */
const typeTables = new WeakMap<Language, { names: string[]; named: boolean[] }>();
function typeTable(language: Language): { names: string[]; named: boolean[] } {
  let t = typeTables.get(language);
  if (!t) {
    const names = language.types.map((n) => n ?? 'ERROR');
    t = { names, named: names.map((_, id) => language.nodeTypeIsNamed(id)) };
    typeTables.set(language, t);
  }
  return t;
}

function copyTree(cursor: TreeCursor, language: Language, source: string): Node {
  const { names, named } = typeTable(language);
  const make = (): Node => {
    const id = cursor.nodeTypeId;
    const start = cursor.startIndex;
    const end = cursor.endIndex;
    // Only zero-width nodes can be MISSING; asking the cursor costs a call into WebAssembly.
    const missing = start === end && cursor.nodeIsMissing;
    const type = names[id] ?? 'ERROR';
    return new Node(source, type, start, end, type === 'ERROR' || (named[id] ?? false), missing);
  };
  const root = make();
  const stack: Node[] = [root];
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const node = make();
    stack[stack.length - 1].children.push(node);
    if (cursor.gotoFirstChild()) {
      stack.push(node);
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) return root;
      stack.pop();
      if (stack.length === 0) return root;
    }
  }
}

function plainTree(cursor: TreeCursor, language: Language, source: string): Node {
  try {
    const root = copyTree(cursor, language, source);
    propagateErrors(root);
    return root;
  } finally {
    cursor.delete();
  }
}

/** A node has an error when it or anything below it is an ERROR or MISSING node. */
function propagateErrors(node: Node): boolean {
  let err = node.hasError;
  for (const c of node.children) if (propagateErrors(c)) err = true;
  node.hasError = err;
  return err;
}

const spanOf = (n: Node): Span => ({ start: n.startIndex, end: n.endIndex });

/** Keywords that open a block only at the top of a Terraform file; used to resynchronise after a syntax error. */
const TOP_LEVEL = new Set(['resource', 'data', 'variable', 'locals', 'module', 'output', 'provider', 'terraform', 'moved', 'import', 'check', 'removed']);

const BINARY_OPS = new Set(['*', '/', '%', '+', '-', '>', '>=', '<', '<=', '==', '!=', '&&', '||']);

class Converter {
  readonly comments: Comment[] = [];
  readonly problems: ParseProblem[] = [];
  private errorsSeen = new Set<number>();
  private errorBudget = 1;

  constructor(private readonly text: string) {}

  /** Collects comments and syntax errors in one pass over every node. */
  scan(node: Node): void {
    if (node.type === 'comment') this.comments.push(this.comment(node));
    else if (isBrokenString(node)) this.syntaxError(node, 'unterminated string (a quoted string cannot span lines)', true);
    else if (node.isMissing) this.syntaxError(node, node.type === '}' ? 'missing "}": a block above is not closed' : node.type === 'quoted_template_end' ? 'unterminated string' : `missing "${node.type}"`);
    else if (node.type === 'ERROR') this.syntaxError(node, this.describeError(node));
    for (const c of node.children) this.scan(c);
  }

  private comment(node: Node): Comment {
    let t = node.text;
    if (t.startsWith('#')) t = t.slice(1);
    else if (t.startsWith('//')) t = t.slice(2);
    else if (t.startsWith('/*')) t = t.slice(2, t.endsWith('*/') ? -2 : undefined);
    let end = node.endIndex;
    while (end > node.startIndex && (this.text.charCodeAt(end - 1) === 13 || this.text.charCodeAt(end - 1) === 10)) end--;
    return { span: { start: node.startIndex, end }, text: t.trim() };
  }

  private describeError(node: Node): string {
    const first = node.text.split(/\r?\n/, 1)[0].trim();
    const shown = first.length > 40 ? `${first.slice(0, 40)}…` : first;
    if (/(^|[^\\])"[^"]*$/.test(first)) return `unterminated string near "${shown}"`;
    return `cannot read "${shown}"`;
  }

  /** Called before each scan of a tree: after a tree's first error the rest are mostly echoes of it. */
  resetErrorBudget(): void {
    this.errorBudget = 1;
  }

  private syntaxError(node: Node, message: string, firstLineOnly = false): void {
    if (this.errorsSeen.has(node.startIndex) || this.errorBudget <= 0) return;
    this.errorBudget--;
    this.errorsSeen.add(node.startIndex);
    let span = node.isMissing ? { start: node.startIndex, end: Math.min(this.text.length, node.startIndex + 1) } : spanOf(node);
    if (firstLineOnly) {
      const nl = this.text.indexOf('\n', span.start);
      if (nl >= 0 && nl < span.end) span = { start: span.start, end: this.text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl };
    }
    this.problems.push({ code: 'syntax-error', severity: 'error', span, message: `Terraform syntax error: ${message}` });
  }

  body(node: Node | null): HclBody {
    const items: (HclAttribute | HclBlock)[] = [];
    if (!node) return { items };
    for (const child of node.namedChildren) {
      if (!child) continue;
      if (child.type === 'attribute') {
        const a = this.attribute(child);
        if (a) items.push(a);
      } else if (child.type === 'block') {
        const b = this.block(child);
        if (b) items.push(b);
      }
    }
    return { items };
  }

  private attribute(node: Node): HclAttribute | undefined {
    const name = node.namedChildren.find((c) => c?.type === 'identifier');
    const exprNode = node.namedChildren.find((c) => c?.type === 'expression');
    if (!name) return undefined;
    const expr: HclExpr = exprNode ? this.expression(exprNode) : { kind: 'unsupported', what: 'a value that did not parse', span: spanOf(node) };
    const hasError = node.hasError || (exprNode ? containsBrokenString(exprNode) : false);
    return { kind: 'attribute', name: name.text, nameSpan: spanOf(name), expr, span: spanOf(node), hasError };
  }

  private block(node: Node): HclBlock | undefined {
    let type: Node | undefined;
    const labels: HclLabel[] = [];
    let bodyNode: Node | null = null;
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (!type && c.type === 'identifier') type = c;
      else if (c.type === 'string_lit') labels.push({ value: this.stringLit(c), span: spanOf(c) });
      else if (c.type === 'identifier') labels.push({ value: c.text, span: spanOf(c) });
      else if (c.type === 'body') bodyNode = c;
    }
    if (!type) return undefined;
    return { kind: 'block', type: type.text, typeSpan: spanOf(type), labels, body: this.body(bodyNode), span: spanOf(node), hasError: node.hasError };
  }

  private stringLit(node: Node): string {
    const lit = node.namedChildren.find((c) => c?.type === 'template_literal');
    return lit ? unescape(lit.text) : '';
  }

  expression(node: Node): HclExpr {
    const kids = node.children.filter((c): c is Node => !!c && c.type !== 'comment');
    if (node.type === 'expression' && kids.length === 1 && kids[0].type === 'conditional') return this.conditional(kids[0]);
    return this.termSequence(kids, spanOf(node));
  }

  private conditional(node: Node): HclExpr {
    const parts = node.namedChildren.filter((c): c is Node => !!c && c.type === 'expression');
    if (parts.length !== 3) return { kind: 'unsupported', what: 'a conditional that did not parse', span: spanOf(node) };
    return {
      kind: 'conditional',
      condition: this.expression(parts[0]),
      then: this.expression(parts[1]),
      otherwise: this.expression(parts[2]),
      span: spanOf(node),
    };
  }

  /** A primary term followed by `.attr`, `[index]` and splat suffixes (the grammar flattens them into siblings). */
  private termSequence(kids: Node[], span: Span): HclExpr {
    if (kids.length === 0) return { kind: 'unsupported', what: 'an empty expression', span };
    let i = 0;
    let base: HclExpr;
    const first = kids[0];
    if (first.type === '(') {
      const inner = kids.find((k) => k.type === 'expression');
      base = inner ? this.expression(inner) : { kind: 'unsupported', what: 'parentheses', span };
      i = kids.findIndex((k) => k.type === ')') + 1;
      if (i <= 0) i = kids.length;
    } else {
      base = this.primary(first);
      i = 1;
    }
    if (i >= kids.length) return base;
    const steps: TraversalStep[] = [];
    for (; i < kids.length; i++) {
      const k = kids[i];
      if (k.type === 'get_attr') {
        const id = k.namedChildren.find((c) => c?.type === 'identifier');
        steps.push({ kind: 'attr', name: id?.text ?? '', span: spanOf(k) });
      } else if (k.type === 'index') {
        const idx = k.firstNamedChild;
        if (idx?.type === 'legacy_index') {
          const n = Number(idx.text.slice(1));
          steps.push({ kind: 'index', key: { kind: 'literal', value: n, span: spanOf(idx) }, span: spanOf(k) });
        } else {
          const e = idx?.namedChildren.find((c) => c?.type === 'expression');
          steps.push({ kind: 'index', key: e ? this.expression(e) : { kind: 'unsupported', what: 'an index', span: spanOf(k) }, span: spanOf(k) });
        }
      } else if (k.type === 'splat') {
        steps.push({ kind: 'splat', span: spanOf(k) });
      } else {
        return { kind: 'unsupported', what: `"${k.type}" after a value`, span };
      }
    }
    if (base.kind === 'traversal') return { ...base, steps: [...base.steps, ...steps], span };
    if (base.kind === 'unsupported') return { ...base, span };
    // `[a, b][0]`, `func(x).attr`: an unnamed root the resolver evaluates first.
    return { kind: 'traversal', root: '', rootSpan: base.span, steps: [{ kind: 'index', key: base, span: base.span }, ...steps], span };
  }

  private primary(node: Node): HclExpr {
    const span = spanOf(node);
    switch (node.type) {
      case 'literal_value':
        return this.literal(node.firstNamedChild ?? node);
      case 'template_expr':
        return this.template(node.firstNamedChild ?? node);
      case 'collection_value':
        return this.collection(node.firstNamedChild ?? node);
      case 'variable_expr': {
        const id = node.firstNamedChild ?? node;
        return { kind: 'traversal', root: id.text, rootSpan: spanOf(id), steps: [], span };
      }
      case 'function_call': {
        const name = node.firstNamedChild?.text ?? '';
        const argsNode = node.namedChildren.find((c) => c?.type === 'function_arguments');
        const args: HclExpr[] = [];
        let expandLast = false;
        for (const a of argsNode?.namedChildren ?? []) {
          if (a?.type === 'expression') args.push(this.expression(a));
          else if (a?.type === 'ellipsis') expandLast = true;
        }
        return { kind: 'call', name, args, expandLast, span };
      }
      case 'operation':
        return this.operation(node.firstNamedChild ?? node);
      case 'for_expr':
        return { kind: 'unsupported', what: 'a for expression', span };
      case 'expression':
        return this.expression(node);
      default:
        return { kind: 'unsupported', what: node.type === 'ERROR' ? 'text that did not parse' : `"${node.type}"`, span };
    }
  }

  private literal(node: Node): HclExpr {
    const span = spanOf(node);
    switch (node.type) {
      case 'numeric_lit':
        return { kind: 'literal', value: Number(node.text), span };
      case 'bool_lit':
        return { kind: 'literal', value: node.text === 'true', span };
      case 'null_lit':
        return { kind: 'literal', value: null, span };
      case 'string_lit':
        return { kind: 'literal', value: this.stringLit(node), span };
      default:
        return { kind: 'unsupported', what: `"${node.type}"`, span };
    }
  }

  private template(node: Node): HclExpr {
    const span = spanOf(node);
    const parts: TemplatePart[] = [];
    const heredoc = node.type === 'heredoc_template';
    for (const c of node.namedChildren) {
      if (!c) continue;
      if (c.type === 'template_literal') parts.push({ literal: heredoc ? c.text : unescape(c.text), span: spanOf(c) });
      else if (c.type === 'template_interpolation') {
        const e = c.namedChildren.find((x) => x?.type === 'expression');
        if (e) parts.push({ expr: this.expression(e) });
      } else if (c.type === 'template_directive') {
        return { kind: 'unsupported', what: 'a template directive (%{ … })', span };
      }
    }
    if (heredoc && parts.length && 'literal' in parts[parts.length - 1]) {
      // The heredoc body ends with the newline before the closing marker; Terraform keeps it.
      const last = parts[parts.length - 1] as { literal: string; span: Span };
      if (!last.literal.endsWith('\n')) parts[parts.length - 1] = { literal: `${last.literal}\n`, span: last.span };
    }
    return { kind: 'template', parts, span };
  }

  private collection(node: Node): HclExpr {
    const span = spanOf(node);
    if (node.type === 'tuple') {
      const items = node.namedChildren.filter((c): c is Node => c?.type === 'expression').map((c) => this.expression(c));
      return { kind: 'tuple', items, span };
    }
    if (node.type === 'object') {
      const entries: { key: HclExpr; value: HclExpr }[] = [];
      for (const el of node.namedChildren) {
        if (el?.type !== 'object_elem') continue;
        // The grammar's `key` and `val` fields are the element's two expressions, in that order.
        const [key, val] = el.namedChildren.filter((c) => c.type === 'expression');
        if (!key || !val) continue;
        entries.push({ key: this.expression(key), value: this.expression(val) });
      }
      return { kind: 'object', entries, span };
    }
    return { kind: 'unsupported', what: `"${node.type}"`, span };
  }

  private operation(node: Node): HclExpr {
    const span = spanOf(node);
    const kids = node.children.filter((c): c is Node => !!c && c.type !== 'comment');
    if (node.type === 'unary_operation' && kids.length >= 2) {
      const operand = this.termSequence(kids.slice(1), { start: kids[1].startIndex, end: node.endIndex });
      if (kids[0].type === '-' && operand.kind === 'literal' && typeof operand.value === 'number') {
        return { kind: 'literal', value: -operand.value, span };
      }
      return { kind: 'unary', op: kids[0].type, operand, span };
    }
    if (node.type === 'binary_operation') {
      // Both operands are hidden `_expr_term`s, so the operator is the one unnamed child outside parentheses.
      let depth = 0;
      for (let i = 0; i < kids.length; i++) {
        const t = kids[i].type;
        if (t === '(') depth++;
        else if (t === ')') depth--;
        else if (depth === 0 && !kids[i].isNamed && BINARY_OPS.has(t) && i > 0) {
          const left = kids.slice(0, i);
          const right = kids.slice(i + 1);
          return {
            kind: 'binary',
            op: t,
            left: this.termSequence(left, { start: left[0].startIndex, end: left[left.length - 1].endIndex }),
            right: right.length ? this.termSequence(right, { start: right[0].startIndex, end: right[right.length - 1].endIndex }) : { kind: 'unsupported', what: 'a missing operand', span },
            span,
          };
        }
      }
    }
    return { kind: 'unsupported', what: 'an operation', span };
  }
}

/** A quoted string holding a line break: its closing quote is missing, and it swallowed what followed. */
function isBrokenString(node: Node): boolean {
  if (node.type !== 'string_lit' && node.type !== 'quoted_template') return false;
  for (const c of node.namedChildren) if (c?.type === 'template_literal' && c.text.includes('\n')) return true;
  return false;
}

function containsBrokenString(node: Node): boolean {
  if (isBrokenString(node)) return true;
  // Only strings can hide a line break, and only literal chunks can hold one; nested expressions are checked through their own attribute.
  for (const c of node.namedChildren) if (c && c.type !== 'comment' && containsBrokenString(c)) return true;
  return false;
}

/** HCL string escapes; `$${` and `%%{` are literal `${` and `%{`. */
function unescape(s: string): string {
  if (!s.includes('\\') && !s.includes('$${') && !s.includes('%%{')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length) {
      const n = s[++i];
      if (n === 'n') out += '\n';
      else if (n === 't') out += '\t';
      else if (n === 'r') out += '\r';
      else if (n === 'u' || n === 'U') {
        const len = n === 'u' ? 4 : 8;
        const hex = s.slice(i + 1, i + 1 + len);
        const code = /^[0-9a-fA-F]+$/.test(hex) ? Number.parseInt(hex, 16) : NaN;
        if (Number.isFinite(code) && code <= 0x10ffff) {
          out += String.fromCodePoint(code);
          i += len;
        } else out += `\\${n}`;
      } else out += n;
    } else if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') {
      out += `${c}{`;
      i += 2;
    } else out += c;
  }
  return out;
}

/**
 * Where top-level blocks start: a line beginning (in column 0) with a
 * top-level keyword. Used only after a syntax error, to parse each block on
 * its own so one broken resource does not swallow the ones after it.
 */
function topLevelStarts(text: string): number[] {
  const starts: number[] = [];
  let lineStart = 0;
  while (lineStart <= text.length) {
    let end = text.indexOf('\n', lineStart);
    if (end < 0) end = text.length;
    let i = lineStart;
    if (i === 0 && text.charCodeAt(0) === 0xfeff) i = 1;
    let j = i;
    while (j < end) {
      const c = text.charCodeAt(j);
      if (!((c >= 97 && c <= 122) || c === 95)) break;
      j++;
    }
    if (j > i && TOP_LEVEL.has(text.slice(i, j))) {
      const next = text.charCodeAt(j);
      if (next === 32 || next === 9 || next === 34 || next === 123) starts.push(lineStart);
    }
    lineStart = end + 1;
  }
  return starts;
}

/** Whitespace runs longer than this are read shortened by tree-sitter (see readRanges). */
export const LONG_WHITESPACE = 32;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

function rangeOf(start: number, end: number, lines: LineIndex): Range {
  const s = lines.positionAt(start);
  const e = lines.positionAt(end);
  return { startIndex: start, endIndex: end, startPosition: { row: s.line, column: s.character }, endPosition: { row: e.line, column: e.character } };
}

/**
 * The parts of text[start, end) tree-sitter reads. The HCL grammar takes time quadratic in the length of
 * a whitespace run inside an object or after an unclosed bracket (`x = {` and 4,000 spaces: 0.4 s;
 * 16,000: 5.6 s), so of each run longer than LONG_WHITESPACE only its first character, its last line
 * break and its last character are read: tree-sitter sees the same tokens and line breaks (a heredoc's
 * end marker still starts a line), nodes keep their offsets in the real text, and the converter reads
 * node text from the real text, so a string or heredoc keeps every space. Linear; one range when no
 * run is that long.
 */
export function readRanges(text: string, start: number, end: number, lines: LineIndex): Range[] {
  const ranges: Range[] = [];
  const range = (from: number, to: number): void => {
    if (to <= from) return;
    const last = ranges[ranges.length - 1];
    if (last && last.endIndex === from) ranges[ranges.length - 1] = rangeOf(last.startIndex, to, lines);
    else ranges.push(rangeOf(from, to, lines));
  };
  let at = start;
  for (let i = start; i < end; ) {
    if (!isSpace(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < end && isSpace(text.charCodeAt(j))) j++;
    if (j - i > LONG_WHITESPACE) {
      const lastBreak = text.lastIndexOf('\n', j - 1);
      range(at, i + 1);
      if (lastBreak > i && lastBreak < j - 1) range(lastBreak, lastBreak + 1);
      at = j - 1;
    }
    i = j;
  }
  range(at, end);
  return ranges;
}

/**
 * An open document gets a tree-sitter tree even when the direct reader does
 * the work, so a version with a syntax error (which only tree-sitter reads)
 * is an incremental re-parse rather than a full one. Once there is a tree it
 * is not brought up to every valid version: `baseFor` edits it to whatever
 * text comes (one edit from the first to the last changed character), and
 * re-parsing it on every keystroke was a third of a 10,000-line file's parse.
 */
export function keepDocumentTree(text: string, trees: IncrementalTrees): void {
  if (trees.holds('terraform')) return;
  // With long whitespace the tree-sitter route reads skipped ranges (see readRanges), which it never keeps.
  if (readRanges(text, 0, text.length, LineIndex.of(text)).length > 1) return;
  parseDocument('terraform', text, trees, { progressCallback: giveUpAfter(text.length) })?.delete();
}

export function parseHcl(text: string): HclDocument {
  const fast = parseHclFast(text);
  if (fast) return fast;
  return parseHclWithTreeSitter(text);
}

/**
 * The tree-sitter route: every input, with error recovery; exported so tests can compare both routes,
 * and (with `shortenWhitespace` false) the documents read with and without the ranges of readRanges.
 * With `trees` (an open document's, from `ParseOptions.reuse`) the whole-file parse is incremental.
 */
export function parseHclWithTreeSitter(original: string, shortenWhitespace = true, trees?: IncrementalTrees): HclDocument {
  const parser = treeSitterParser('terraform');
  const conv = new Converter(original);
  // tree-sitter reads the masked text; every node's text and span is taken from the original, offset for offset.
  const legacy = maskLegacyKeys(original);
  const text = legacy.text;
  // The masks keep every offset and line break, so one index serves both texts.
  const lines = LineIndex.of(text);
  conv.problems.push(...legacyKeyProblems(original, lines, legacy.keys));
  // One budget for the whole file, shared by this parse and the per-block fallback below.
  const wholeFile = giveUpAfter(text.length);
  const read = (start: number, end: number): Range[] => (shortenWhitespace ? readRanges(text, start, end, lines) : [rangeOf(start, end, lines)]);
  const all = read(0, text.length);
  // Only a parse of the whole text is the document's tree (`trees`); one over the ranges of readRanges is not.
  const whole = all.length > 1 ? parser.parse(text, null, { includedRanges: all, progressCallback: wholeFile }) : parseDocument('terraform', text, trees, { progressCallback: wholeFile });
  let root: Node | undefined;
  if (whole) {
    try {
      if (!whole.rootNode.hasError) root = plainTree(whole.rootNode.walk(), whole.language, original);
    } finally {
      whole.delete();
    }
  }
  if (root) {
    conv.resetErrorBudget();
    conv.scan(root);
    return { body: conv.body(root.namedChildren.find((c) => c.type === 'body') ?? null), comments: conv.comments, problems: conv.problems };
  }
  const starts = topLevelStarts(text);
  if (starts[0] !== 0) starts.unshift(0);
  const items: (HclAttribute | HclBlock)[] = [];
  for (let k = 0; k < starts.length; k++) {
    const startIndex = starts[k];
    const endIndex = k + 1 < starts.length ? starts[k + 1] : text.length;
    if (endIndex <= startIndex) continue;
    const s = lines.positionAt(startIndex);
    const tree = parser.parse(text, null, { includedRanges: read(startIndex, endIndex), progressCallback: eitherBudget(giveUpAfter(endIndex - startIndex), wholeFile) });
    if (!tree) {
      conv.problems.push({
        code: 'limit',
        severity: 'warning',
        span: { start: startIndex, end: Math.max(startIndex, Math.min(endIndex, lines.lineEnd(s.line))) },
        message: 'analysis is limited: this block is too malformed for the Terraform parser to recover from in reasonable time, so it is left out',
      });
      continue;
    }
    let chunk: Node;
    try {
      chunk = plainTree(tree.rootNode.walk(), tree.language, original);
    } finally {
      tree.delete();
    }
    conv.resetErrorBudget();
    conv.scan(chunk);
    items.push(...conv.body(chunk.namedChildren.find((c) => c.type === 'body') ?? null).items);
  }
  return { body: { items }, comments: conv.comments, problems: conv.problems };
}

/**
 * HCL 1 (Terraform 0.11 and older) allowed dots in an attribute's key
 * (`role.name = "vda"` in a `tags` block, `m3.large = …` in a map) and quoted
 * attribute names in a block (`"description" = "…"`); HCL 2's grammar allows
 * neither, and its recovery lost the whole block, rules and all. Such keys
 * are rewritten for tree-sitter offset for offset (each dot becomes `_`, the
 * quotes of a quoted name blanks) and returned, so the reader reports the
 * construct and reads the rest. Only a line that is nothing but `key = value`
 * outside heredocs and block comments is touched, and a quoted name only in
 * a block's body: in an object literal it is valid HCL 2.
 */
export function maskLegacyKeys(text: string): { text: string; keys: { span: Span; kind: 'dotted' | 'quoted' }[] } {
  if (!/^[ \t]*(?:[A-Za-z_][\w-]*\.[\w-]|"[A-Za-z_][\w-]*"[ \t]*=)/m.test(text)) return { text, keys: [] };
  const keys: { span: Span; kind: 'dotted' | 'quoted' }[] = [];
  const out = text.split('\n');
  // What each open brace opened, as far as a line-by-line reading can tell: a block (`resource "a" "b" {`) or an object (`x = {`).
  const braces: ('block' | 'object')[] = [];
  let offset = 0;
  let heredoc: string | undefined;
  let inComment = false;
  for (let n = 0; n < out.length; n++) {
    const line = out[n];
    const start = offset;
    offset += line.length + 1;
    if (heredoc !== undefined) {
      if (line.trim() === heredoc) heredoc = undefined;
      continue;
    }
    if (inComment) {
      if (line.includes('*/')) inComment = false;
      continue;
    }
    const opener = /<<-?\s*([A-Za-z_]\w*)\s*$/.exec(line);
    if (opener) {
      heredoc = opener[1];
      continue;
    }
    if (/\/\*/.test(line) && !/\*\//.test(line.slice(line.indexOf('/*')))) inComment = true;
    const dotted = /^([ \t]*)([A-Za-z_][\w-]*(?:\.[\w-]+)+)([ \t]*=)(?!=)/.exec(line);
    const quoted = braces[braces.length - 1] === 'block' ? /^([ \t]*)"([A-Za-z_][\w-]*)"([ \t]*=)(?!=)/.exec(line) : null;
    if (dotted) {
      const at = start + dotted[1].length;
      keys.push({ span: { start: at, end: at + dotted[2].length }, kind: 'dotted' });
      out[n] = dotted[1] + dotted[2].replace(/\./g, '_') + line.slice(dotted[1].length + dotted[2].length);
    } else if (quoted) {
      const at = start + quoted[1].length;
      keys.push({ span: { start: at, end: at + quoted[2].length + 2 }, kind: 'quoted' });
      out[n] = `${quoted[1]} ${quoted[2]} ${line.slice(quoted[1].length + quoted[2].length + 2)}`;
    }
    // Braces outside strings and comments move the context for the next line.
    const code = line.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/(#|\/\/).*$/, '');
    for (let i = 0; i < code.length; i++) {
      // Only a block header (`resource "a" "b" {`, `tags {`) opens a block; a `{` after `=`, `:`, `(`, on a line of its own… is an object.
      if (code[i] === '{') braces.push(/^\s*[A-Za-z_][\w-]*(\s+(""|[A-Za-z_][\w-]*))*\s*$/.test(code.slice(0, i)) ? 'block' : 'object');
      else if (code[i] === '}') braces.pop();
    }
    if (braces.length > 10_000) braces.length = 10_000;
  }
  return { text: out.join('\n'), keys };
}

/** One info finding per run of adjacent legacy keys (a map of eight dotted instance sizes is one construct, not eight). */
function legacyKeyProblems(text: string, lines: LineIndex, keys: readonly { span: Span; kind: 'dotted' | 'quoted' }[]): ParseProblem[] {
  const out: ParseProblem[] = [];
  for (let i = 0; i < keys.length; ) {
    const kind = keys[i].kind;
    let j = i + 1;
    while (j < keys.length && keys[j].kind === kind && lines.positionAt(keys[j].span.start).line === lines.positionAt(keys[j - 1].span.start).line + 1) j++;
    const names = keys.slice(i, j).map((k) => text.slice(k.span.start, k.span.end));
    const listed = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    const one = names.length === 1;
    const what = kind === 'dotted' ? (one ? 'the dotted key' : 'dotted keys') : one ? 'the quoted attribute name' : 'quoted attribute names';
    const subject = one ? `${what} ${listed} is` : `${names.length} ${what} (${listed}) are`;
    const fix = kind === 'dotted' ? `quote ${one ? 'it' : 'them'}: "${names[0]}"` : `write ${names[0].replace(/"/g, '')} = …`;
    const message = `Terraform 0.11 syntax: ${subject} not valid since Terraform 0.12 (${fix}); read as written`;
    out.push({ code: 'unparsed-rule', severity: 'info', span: keys[i].span, message });
    i = j;
  }
  return out;
}

/** The source text of a span. */
export function textOf(text: string, span: Span): string {
  return text.slice(span.start, span.end);
}
