import { Parser, parseDocument, isMap, isScalar, isSeq, isAlias, type Node as YamlNode, type Document } from 'yaml';
import type { Comment, ParseProblem, Span } from '../../model';
import type { JsonNode, JsonProperty } from '../arm/json';

/**
 * A CloudFormation YAML template as the same tree the JSON form gives, with
 * the short-form intrinsics (`!Ref X`, `!GetAtt A.B`, `!Sub …`) rewritten to
 * their long form (`{ "Ref": "X" }`, `{ "Fn::GetAtt": ["A", "B"] }`), so one
 * reader serves both. Spans stay those of the YAML source.
 */
export function parseCfnYaml(text: string): { root?: JsonNode; problems: ParseProblem[]; comments: Comment[] } {
  const problems: ParseProblem[] = [];
  const comments = yamlComments(text);
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false, strict: false });
  } catch (e) {
    return { problems: [{ code: 'syntax-error', severity: 'error', span: { start: 0, end: Math.min(1, text.length) }, message: `YAML could not be read: ${(e as Error).message}` }], comments };
  }
  for (const err of doc.errors) {
    // The yaml library places an error at the end of the input one character past it.
    const start = Math.min(err.pos[0], text.length);
    const end = Math.min(text.length, Math.max(err.pos[1], start + 1));
    problems.push({ code: 'syntax-error', severity: 'error', span: { start, end }, message: `YAML: ${firstLine(err.message)}` });
  }
  const root = doc.contents ? convert(doc.contents as YamlNode, text, problems, 0) : undefined;
  return { root, problems, comments };
}

const MAX_DEPTH = 200;

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return (i < 0 ? s : s.slice(0, i)).replace(/ at line \d+, column \d+:?$/, '');
}

function spanOf(node: YamlNode, text: string): Span {
  const r = node.range;
  if (!r) return { start: 0, end: 0 };
  let start = r[0];
  // The range of a tagged node starts after the tag; the intrinsic covers the tag too.
  if (node.tag && node.tag.startsWith('!')) {
    const tag = tagText(node.tag);
    const at = text.lastIndexOf(tag, start);
    if (at >= 0 && start - at <= tag.length + 8) start = at;
  }
  return { start, end: Math.max(start, r[1]) };
}

function tagText(tag: string): string {
  return tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice(18)}` : tag;
}

/** `!Ref` → `Ref`, `!GetAtt` → `Fn::GetAtt`, `!Condition` → `Condition`. */
function longForm(tag: string): string | undefined {
  if (!/^![A-Za-z][A-Za-z0-9]*$/.test(tag)) return undefined;
  const name = tag.slice(1);
  if (name === 'Ref' || name === 'Condition') return name;
  return `Fn::${name}`;
}

function convert(node: YamlNode, text: string, problems: ParseProblem[], depth: number): JsonNode {
  const span = spanOf(node, text);
  if (depth > MAX_DEPTH) {
    problems.push({ code: 'limit', severity: 'warning', span, message: `nested more than ${MAX_DEPTH} levels deep; the deeper part is not read` });
    return { type: 'null', span };
  }
  const plain = plainNode(node, text, problems, depth, span);
  const tag = node.tag;
  if (!tag || !tag.startsWith('!') || tag.startsWith('!!')) return plain;
  const fn = longForm(tag);
  if (!fn) {
    problems.push({ code: 'unparsed-rule', severity: 'warning', span, message: `unknown YAML tag ${tag}; its value is not read` });
    return plain;
  }
  let arg: JsonNode = plain;
  // `!GetAtt Group.GroupId` is the short form of `Fn::GetAtt: [Group, GroupId]`.
  if (fn === 'Fn::GetAtt' && plain.type === 'string') {
    const dot = plain.value.indexOf('.');
    const parts = dot < 0 ? [plain.value] : [plain.value.slice(0, dot), plain.value.slice(dot + 1)];
    arg = { type: 'array', span: plain.span, items: parts.map((value) => ({ type: 'string' as const, span: plain.span, value })) };
  }
  const prop: JsonProperty = { key: fn, keySpan: { start: span.start, end: Math.min(span.end, span.start + tag.length) }, value: arg, span };
  return { type: 'object', span, props: [prop] };
}

function plainNode(node: YamlNode, text: string, problems: ParseProblem[], depth: number, span: Span): JsonNode {
  const inner: Span = node.range ? { start: node.range[0], end: Math.max(node.range[0], node.range[1]) } : span;
  if (isMap(node)) {
    const props: JsonProperty[] = [];
    for (const pair of node.items) {
      const k = pair.key as YamlNode | null;
      const keyText = k && isScalar(k) ? String(k.value) : k ? text.slice(k.range?.[0] ?? 0, k.range?.[1] ?? 0) : '';
      const keySpan: Span = k?.range ? { start: k.range[0], end: k.range[1] } : inner;
      const v = pair.value as YamlNode | null;
      const value = v ? convert(v, text, problems, depth + 1) : { type: 'null' as const, span: keySpan };
      props.push({ key: keyText, keySpan, value, span: { start: keySpan.start, end: Math.max(keySpan.end, value.span.end) } });
    }
    return { type: 'object', span: inner, props };
  }
  if (isSeq(node)) {
    return { type: 'array', span: inner, items: node.items.map((i) => (i ? convert(i as YamlNode, text, problems, depth + 1) : { type: 'null' as const, span: inner })) };
  }
  if (isAlias(node)) {
    problems.push({ code: 'unparsed-rule', severity: 'warning', span: inner, message: `YAML alias *${node.source} is not followed; CloudFormation does not accept aliases` });
    return { type: 'null', span: inner };
  }
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'number') return { type: 'number', span: inner, value: v };
    if (typeof v === 'boolean') return { type: 'boolean', span: inner, value: v };
    if (v === null || v === undefined) return node.tag && node.tag.startsWith('!') ? { type: 'string', span: inner, value: '' } : { type: 'null', span: inner };
    if (v instanceof Date) return { type: 'string', span: inner, value: text.slice(inner.start, inner.end) };
    return { type: 'string', span: inner, value: String(v) };
  }
  return { type: 'null', span: inner };
}

/** Every `#` comment with its span, from the YAML concrete syntax tree (so `#` inside strings and block scalars is not one). */
function yamlComments(text: string): Comment[] {
  const out: Comment[] = [];
  const seen = new Set<unknown>();
  const visit = (x: unknown, depth: number): void => {
    if (!x || typeof x !== 'object' || seen.has(x) || depth > 400) return;
    seen.add(x);
    if (Array.isArray(x)) {
      for (const i of x) visit(i, depth + 1);
      return;
    }
    const t = x as { type?: string; offset?: number; source?: string };
    if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') {
      out.push({ span: { start: t.offset, end: t.offset + t.source.length }, text: t.source.replace(/^#/, '') });
      return;
    }
    for (const v of Object.values(x)) if (v && typeof v === 'object') visit(v, depth + 1);
  };
  try {
    for (const token of new Parser().parse(text)) visit(token, 0);
  } catch {
    // The document reader reports the syntax error; comments are only lost.
  }
  const unique = new Map(out.map((c) => [c.span.start, c]));
  return [...unique.values()].sort((a, b) => a.span.start - b.span.start);
}
