import type { LineIndex, MatchCondition, ParseProblem, Span, Unresolved } from '../../model';
import { attribute, blocksOf, bodyHasError, type HclBlock, type HclBody, type HclExpr } from './hcl';
import { reasonOf, respan, scalarString, type Resolver, type Scope, type Value } from './resolve';

/** What every cloud reader needs: the text, the resolver, a place for problems. */
export interface Context {
  readonly text: string;
  readonly lines: LineIndex;
  readonly resolver: Resolver;
  readonly problems: ParseProblem[];
  readonly resources: readonly Resource[];
  /** What the open document's previous version worked out (`IncrementalTrees.memo`); undefined for a file read once. */
  readonly memo?: Map<string, unknown>;
}

export interface Resource {
  readonly type: string;
  readonly name: string;
  readonly address: string;
  readonly block: HclBlock;
}

/** One instance of a resource: `count`/`for_each` expand a block into several, each with its own `each`/`count`. */
export interface Instance {
  readonly address: string;
  readonly key?: string;
  readonly scope: Scope;
  readonly unresolved: readonly Unresolved[];
  readonly conditions: readonly MatchCondition[];
}

export const lineOf = (ctx: Context, span: Span): number => ctx.lines.positionAt(span.start).line + 1;
export const textOf = (ctx: Context, span: Span): string => ctx.text.slice(span.start, span.end);

function keyText(v: Value): string | undefined {
  if (v.kind === 'string') return JSON.stringify(v.value);
  if (v.kind === 'number') return String(v.value);
  return undefined;
}

/** Pairs of (key, value) a `for_each` iterates: a map's entries, a set's (or list's) elements as both key and value. */
export function iterate(v: Value): { key: Value; value: Value }[] | undefined {
  if (v.kind === 'object') return [...v.entries].map(([k, value]) => ({ key: { kind: 'string', value: k, span: value.span }, value }));
  if (v.kind === 'list') return v.items.map((value, i) => ({ key: scalarString(value) !== undefined ? value : { kind: 'number', value: i, span: value.span }, value }));
  return undefined;
}

export function resourceInstances(ctx: Context, r: Resource, outer: Scope): Instance[] {
  const forEach = attribute(r.block.body, 'for_each');
  const count = attribute(r.block.body, 'count');
  if (forEach) {
    const v = ctx.resolver.resolve(forEach.expr, outer);
    const pairs = iterate(v);
    if (!pairs) return [unresolvedInstance(ctx, r, outer, 'each', forEach.expr, v)];
    return pairs.map(({ key, value }) => {
      const kt = scalarString(key) ?? '?';
      return {
        address: `${r.address}[${keyText(key) ?? JSON.stringify(kt)}]`,
        key: kt,
        scope: new Map([...outer, ['each', obj({ key: { ...key, kind: 'string', value: kt } as Value, value }, forEach.expr.span)]]),
        unresolved: [],
        conditions: [],
      };
    });
  }
  if (count) {
    const v = ctx.resolver.resolve(count.expr, outer);
    if (v.kind !== 'number' || !Number.isInteger(v.value) || v.value < 0) return [unresolvedInstance(ctx, r, outer, 'count', count.expr, v)];
    const out: Instance[] = [];
    for (let i = 0; i < Math.min(v.value, 1000); i++) {
      out.push({
        address: `${r.address}[${i}]`,
        key: String(i),
        scope: new Map([...outer, ['count', obj({ index: { kind: 'number', value: i, span: count.expr.span } }, count.expr.span)]]),
        unresolved: [],
        conditions: [],
      });
    }
    return out;
  }
  return [{ address: r.address, scope: outer, unresolved: [], conditions: [] }];
}

function unresolvedInstance(ctx: Context, r: Resource, outer: Scope, what: 'each' | 'count', expr: HclExpr, v: Value): Instance {
  const reason = v.kind === 'unknown' || v.kind === 'ref' ? reasonOf(v) : `not a ${what === 'each' ? 'map or set' : 'whole number'}`;
  const text = textOf(ctx, expr.span);
  const attr = what === 'each' ? 'for_each' : 'count';
  return {
    address: r.address,
    scope: new Map([...outer, [what, { unresolved: `${attr} = ${text} could not be resolved (${reason})` }]]),
    unresolved: [{ text, span: expr.span, reason: `${attr}: ${reason}` }],
    conditions: [{ kind: 'other', text: `${attr} = ${text}`, span: expr.span, effect: 'unknown' }],
  };
}

const obj = (entries: Record<string, Value>, span: Span): Value => ({ kind: 'object', entries: new Map(Object.entries(entries)), span });

/** One rule block after `dynamic` expansion: its body, the scope its iterator adds, where it is. */
export interface RuleBlock {
  readonly body: HclBody;
  readonly scope: Scope;
  readonly span: Span;
  /** Static blocks: index among the resource's blocks of this type; dynamic: the iteration key. */
  readonly index: number;
  readonly dynamicKey?: string;
  readonly dynamic: boolean;
  readonly hasError: boolean;
  readonly unresolved: readonly Unresolved[];
  readonly conditions: readonly MatchCondition[];
}

/** The `type` blocks of a body plus the expansions of `dynamic "type"` blocks over literal collections. */
export function ruleBlocks(ctx: Context, body: HclBody, type: string, scope: Scope): RuleBlock[] {
  const out: RuleBlock[] = [];
  let staticIndex = 0;
  for (const b of blocksOf(body)) {
    if (b.type === type) {
      out.push({ body: b.body, scope, span: b.span, index: staticIndex++, dynamic: false, hasError: bodyHasError(b.body), unresolved: [], conditions: [] });
      continue;
    }
    if (b.type !== 'dynamic' || b.labels[0]?.value !== type) continue;
    const content = blocksOf(b.body, 'content')[0];
    if (!content) {
      ctx.problems.push({ code: 'unparsed-rule', severity: 'warning', span: b.span, message: `dynamic "${type}" has no content block` });
      continue;
    }
    const iteratorAttr = attribute(b.body, 'iterator');
    const iterName = iteratorAttr?.expr.kind === 'traversal' && iteratorAttr.expr.steps.length === 0 ? iteratorAttr.expr.root : type;
    const forEach = attribute(b.body, 'for_each');
    const v = forEach ? ctx.resolver.resolve(forEach.expr, scope) : undefined;
    const pairs = v ? iterate(v) : undefined;
    if (!forEach || !v || !pairs) {
      const text = forEach ? textOf(ctx, forEach.expr.span) : '';
      const reason = !forEach ? 'for_each is missing' : v && (v.kind === 'unknown' || v.kind === 'ref') ? reasonOf(v) : 'not a list, set or map';
      out.push({
        body: content.body,
        scope: new Map([...scope, [iterName, { unresolved: `dynamic "${type}" iterates ${text || 'nothing'}, which could not be resolved (${reason})` }]]),
        span: b.span,
        index: -1,
        dynamic: true,
        hasError: bodyHasError(b.body),
        unresolved: [{ text, span: forEach?.expr.span ?? b.span, reason: `dynamic "${type}" for_each: ${reason}` }],
        conditions: [{ kind: 'other', text: `dynamic "${type}" for_each = ${text}`, span: forEach?.expr.span ?? b.span, effect: 'unknown' }],
      });
      continue;
    }
    pairs.forEach(({ key, value }, i) => {
      out.push({
        body: content.body,
        scope: new Map([...scope, [iterName, obj({ key: respan(key, forEach.expr.span), value }, forEach.expr.span)]]),
        span: b.span,
        index: i,
        dynamicKey: scalarString(key) ?? String(i),
        dynamic: true,
        hasError: bodyHasError(b.body),
        unresolved: [],
        conditions: [],
      });
    });
  }
  return out;
}

/** A value the rule readers consume, with the place it was written. */
export interface Item {
  readonly value: Value;
  readonly span: Span;
}

/**
 * Elements of a list attribute, each resolved on its own (so one unknown
 * element does not hide the others) and flattened, as Terraform 0.11 did with
 * `["${var.list}"]`.
 */
export function listItems(ctx: Context, expr: HclExpr, scope: Scope): Item[] {
  const out: Item[] = [];
  const push = (v: Value): void => {
    if (v.kind === 'list') for (const i of v.items) push(i);
    else if (v.kind !== 'null') out.push({ value: v, span: v.span });
  };
  if (expr.kind === 'tuple') for (const e of expr.items) push(ctx.resolver.resolve(e, scope));
  else push(ctx.resolver.resolve(expr, scope));
  return out;
}

export function scalar(ctx: Context, body: HclBody, name: string, scope: Scope): { value: Value; span: Span; text: string } | undefined {
  const a = attribute(body, name);
  if (!a) return undefined;
  const value = ctx.resolver.resolve(a.expr, scope);
  if (value.kind === 'null') return undefined;
  return { value, span: a.expr.span, text: textOf(ctx, a.expr.span) };
}

/** The resource address a reference names, without the attribute: `aws_security_group.vda`. */
export function refAddress(v: Value): string | undefined {
  return v.kind === 'ref' ? v.address : undefined;
}

/** Strips the instance key: `aws_security_group.x["a"]` → `aws_security_group.x`. */
export function baseAddress(address: string): string {
  const i = address.indexOf('[');
  return i < 0 ? address : address.slice(0, i);
}

/** Span covering several spans (the attributes that together make one field). */
export function cover(spans: readonly (Span | undefined)[]): Span | undefined {
  let start = Infinity;
  let end = -Infinity;
  for (const s of spans) {
    if (!s) continue;
    start = Math.min(start, s.start);
    end = Math.max(end, s.end);
  }
  return Number.isFinite(start) ? { start, end } : undefined;
}

/** A rule whose text did not parse is reported, not guessed at. */
export function skipBroken(ctx: Context, hasError: boolean, span: Span, what: string): boolean {
  if (!hasError) return false;
  ctx.problems.push({ code: 'unparsed-rule', severity: 'error', span, message: `${what} has a syntax error; its rule is not read` });
  return true;
}
