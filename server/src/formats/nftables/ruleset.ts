import { shiftSpan, type Span } from '../../model';
import type { Token } from './tokens';
import { type Chain, chainOf, type Context, Cursor, FAMILIES, type Family, join, NAMED_PRIORITY, type NamedSet, type PendingRule, problem, type Table, tableOf } from './context';
import { cacheableLine, type CachedToken } from './lineCache';
import { splitElements } from './values';

/**
 * The structure of a ruleset: `table`, `chain`, `set` and `map` blocks and
 * the `add`/`insert`/`create`/`flush`/`delete` commands that build it, base
 * chain types, hooks, priorities and policies. Each rule statement is kept as
 * tokens for rules.ts; in an open document a line that holds one rule is
 * looked up in the line cache first.
 */

function readFamily(c: Cursor): Family {
  const t = c.peek();
  if (t?.kind === 'word' && FAMILIES.has(t.text) && c.peek(1)?.kind === 'word') {
    c.next();
    return t.text as Family;
  }
  return 'ip';
}

/** Top-level statements of an nft file (or one shell `nft …` command). */
export function readTop(ctx: Context, c: Cursor, iteration: string | undefined, commandSpan?: Span): void {
  for (;;) {
    c.skipEols();
    if (c.done) return;
    const t = c.peek() as Token;
    const word = t.kind === 'word' ? t.text : '';
    if (word === 'define' || word === 'redefine') {
      c.next();
      const name = c.next();
      if (!c.is('=')) {
        problem(ctx, 'syntax-error', 'define NAME = value', t.span, 'error');
        c.statement();
        continue;
      }
      c.next();
      const value = c.statement();
      if (name) ctx.defines.set(name.text, value);
      continue;
    }
    if (word === 'undefine') {
      c.next();
      const name = c.next();
      if (name) ctx.defines.delete(name.text);
      c.statement();
      continue;
    }
    if (word === 'include') {
      const stmt = c.statement();
      const file = stmt.find((s) => s.kind === 'string');
      problem(ctx, 'unresolved-value', `include "${file?.text ?? ''}" is not read: rules it holds are unknown`, join(t.span, stmt[stmt.length - 1].span), 'info');
      continue;
    }
    if (word === 'flush') {
      c.next();
      const what = c.next()?.text;
      if (what === 'ruleset') {
        ctx.tables.clear();
        ctx.tableOrder.length = 0;
      } else if (what === 'table' || what === 'chain') {
        const family = readFamily(c);
        const table = ctx.tables.get(`${family} ${c.next()?.text ?? ''}`);
        const chainName = what === 'chain' ? c.next()?.text : undefined;
        for (const ch of table?.chains.values() ?? []) if (!chainName || ch.name === chainName) ch.rules = [];
      }
      c.statement();
      continue;
    }
    if (word === 'table') {
      c.next();
      readTableDecl(ctx, c, t.span);
      continue;
    }
    if (word === 'add' || word === 'create' || word === 'insert' || word === 'replace') {
      c.next();
      const what = c.next();
      if (what?.text === 'table') readTableDecl(ctx, c, t.span);
      else if (what?.text === 'chain') readChainCommand(ctx, c, t.span, commandSpan);
      else if (what?.text === 'rule') readRuleCommand(ctx, c, word, iteration, t.span, commandSpan);
      else if (what?.text === 'set' || what?.text === 'map') readSetCommand(ctx, c, what.text === 'map');
      else if (what?.text === 'element') readElementCommand(ctx, c);
      else {
        c.statement();
      }
      continue;
    }
    if (word === 'delete' || word === 'destroy' || word === 'list' || word === 'reset' || word === 'rename' || word === 'monitor' || word === 'describe' || word === 'export') {
      const stmt = c.statement();
      if (word !== 'list' && word !== 'monitor' && word !== 'describe' && word !== 'export') {
        problem(ctx, 'unparsed-rule', `"${word} …" is not applied: handles and later states are not modelled`, join(t.span, stmt[stmt.length - 1].span));
      }
      continue;
    }
    const stmt = c.statement();
    if (c.is('}')) c.next();
    const last = stmt[stmt.length - 1] ?? t;
    problem(ctx, 'syntax-error', `"${t.text}" does not start an nft statement (table, define, add, flush, include, …)`, join(t.span, last.span), 'error');
  }
}

function readTableDecl(ctx: Context, c: Cursor, startSpan: Span): void {
  const family = readFamily(c);
  const nameTok = c.next();
  if (!nameTok) return problem(ctx, 'syntax-error', 'table needs a name', startSpan, 'error');
  const table = tableOf(ctx, family, nameTok.text);
  if (!c.is('{')) return;
  c.next();
  for (;;) {
    c.skipEols();
    if (c.done) return problem(ctx, 'syntax-error', `table ${nameTok.text} is not closed with "}"`, nameTok.span, 'error');
    if (c.is('}')) {
      c.next();
      return;
    }
    const t = c.next() as Token;
    if (t.text === 'chain') {
      const name = c.next();
      if (!name) return;
      const chain = chainOf(table, name.text, join(t.span, name.span), name.span);
      chain.span = join(t.span, name.span);
      if (c.is('{')) {
        c.next();
        readChainBody(ctx, c, chain, undefined);
      }
    } else if (t.text === 'set' || t.text === 'map') {
      const name = c.next();
      if (!name) return;
      if (c.is('{')) {
        c.next();
        readSetBody(ctx, c, table, name, t.text === 'map');
      }
    } else if (t.text === 'flags' || t.text === 'comment') {
      c.statement();
    } else if (c.is('{') || t.kind === 'word') {
      // flowtable, counter, quota, ct helper, …: objects rules may refer to but that filter nothing by themselves.
      const rest = c.statement();
      if (c.is('{')) c.skipBlock();
      else if (rest.length && rest[rest.length - 1].text === '{') c.skipBlock();
      if (!['flowtable', 'counter', 'quota', 'ct', 'limit', 'secmark', 'synproxy'].includes(t.text)) {
        problem(ctx, 'syntax-error', `"${t.text}" is not a table member`, t.span, 'error');
      }
    }
  }
}

/** Reads statements up to the closing `}` of a chain. */
function readChainBody(ctx: Context, c: Cursor, chain: Chain, iteration: string | undefined): void {
  for (;;) {
    c.skipEols();
    if (c.done) return problem(ctx, 'syntax-error', `chain ${chain.name} is not closed with "}"`, chain.nameSpan, 'error');
    const raw = c.raw();
    if (raw && raw.kind === 'cached') {
      const entry = (raw as CachedToken).entry;
      const lineStart = raw.span.start;
      chain.rules.push({ tokens: [], span: shiftSpan(entry.rel, lineStart), table: chain.table, chain: chain.name, iteration, entry, lineStart });
      c.i++;
      continue;
    }
    if (c.is('}')) {
      c.next();
      return;
    }
    const stmt = c.statement();
    if (stmt.length === 0) {
      c.next();
      continue;
    }
    const head = stmt[0].text;
    if (head === 'type' && stmt[0].kind === 'word') readBaseChain(ctx, chain, stmt);
    else if (head === 'policy' && stmt[0].kind === 'word') readPolicy(ctx, chain, stmt);
    else if (head === 'comment' && stmt.length === 2) continue;
    else if (head === 'devices' || head === 'device' || head === 'flags') continue;
    else {
      const span = join(stmt[0].span, stmt[stmt.length - 1].span);
      const line = ctx.cache && iteration === undefined ? cacheableLine(ctx, c, span) : undefined;
      chain.rules.push({ tokens: stmt, span, table: chain.table, chain: chain.name, iteration, entry: line?.entry, lineStart: line?.start });
    }
  }
}

function readBaseChain(ctx: Context, chain: Chain, stmt: Token[]): void {
  const type = stmt[1]?.text ?? '';
  const hookAt = stmt.findIndex((t) => t.text === 'hook');
  const prioAt = stmt.findIndex((t) => t.text === 'priority');
  const hook = hookAt >= 0 ? stmt[hookAt + 1]?.text ?? '' : '';
  let priority = 0;
  let priorityText = '';
  if (prioAt >= 0) {
    const parts = stmt.slice(prioAt + 1).filter((t) => t.text !== 'device' && t.kind !== 'string');
    priorityText = parts.map((p) => p.text).join(' ');
    const value = evalPriority(ctx, parts);
    if (value === undefined) problem(ctx, 'syntax-error', `priority "${priorityText}" is not understood; taken as 0`, stmt[prioAt].span);
    priority = value ?? 0;
  } else problem(ctx, 'syntax-error', 'a base chain needs a priority', stmt[0].span, 'error');
  if (!['filter', 'nat', 'route'].includes(type)) problem(ctx, 'syntax-error', `chain type "${type}" is not filter, nat or route`, stmt[1]?.span ?? stmt[0].span, 'error');
  chain.base = { type, hook, priority, priorityText, span: join(stmt[0].span, stmt[stmt.length - 1].span) };
}

function evalPriority(ctx: Context, parts: Token[]): number | undefined {
  const expanded: Token[] = [];
  for (const p of parts) {
    if (p.kind === 'var') expanded.push(...(ctx.defines.get(p.text) ?? [p]));
    else expanded.push(p);
  }
  const words = expanded.flatMap((t) => (t.kind === 'word' ? t.text.split(/(?=[+-])|(?<=[+-])/) : [t.text])).filter((w) => w !== '');
  let value: number | undefined;
  let sign = 1;
  for (const w of words) {
    if (w === '+') sign = 1;
    else if (w === '-') sign = -1;
    else {
      const n = /^\d+$/.test(w) ? Number(w) : NAMED_PRIORITY[w];
      if (n === undefined) return undefined;
      value = (value ?? 0) + sign * n;
      sign = 1;
    }
  }
  return value;
}

function readPolicy(ctx: Context, chain: Chain, stmt: Token[]): void {
  const t = stmt[1];
  let text: string | undefined = t?.text;
  if (t?.kind === 'var') text = ctx.defines.get(t.text)?.[0]?.text;
  if (!t || (text !== 'accept' && text !== 'drop')) {
    problem(ctx, 'syntax-error', `policy is accept or drop, not "${t?.text ?? ''}"`, (t ?? stmt[0]).span, 'error');
    return;
  }
  chain.policy = { value: text === 'accept' ? 'allow' : 'deny', span: t.span, text: t.kind === 'var' ? `$${t.text}` : t.text };
}

/** `add chain [family] table chain [{ type … ; policy … ; }]` */
function readChainCommand(ctx: Context, c: Cursor, startSpan: Span, commandSpan?: Span): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  if (!tableName || !name) return problem(ctx, 'syntax-error', 'add chain [family] TABLE CHAIN', startSpan, 'error');
  const table = tableOf(ctx, family, tableName.text);
  const chain = chainOf(table, name.text, commandSpan ?? join(startSpan, name.span), name.span);
  if (c.is('{')) {
    c.next();
    readChainBody(ctx, c, chain, undefined);
  }
}

/** `add|insert rule [family] table chain [position|index|handle N] statements…` */
function readRuleCommand(ctx: Context, c: Cursor, verb: string, iteration: string | undefined, startSpan: Span, commandSpan?: Span): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  if (!tableName || !name) return problem(ctx, 'syntax-error', `${verb} rule [family] TABLE CHAIN …`, startSpan, 'error');
  const table = tableOf(ctx, family, tableName.text);
  const chain = chainOf(table, name.text, commandSpan ?? startSpan, name.span);
  if (c.is('position') || c.is('handle') || c.is('index')) {
    const kw = c.next() as Token;
    c.next();
    problem(ctx, 'unparsed-rule', `"${kw.text}" refers to rule handles we cannot see; the rule is placed ${verb === 'insert' ? 'first' : 'last'}`, kw.span, 'info');
  }
  const stmt = c.statement();
  if (stmt.length === 0) return problem(ctx, 'syntax-error', 'the rule is empty', startSpan, 'error');
  const rule: PendingRule = { tokens: stmt, span: commandSpan ?? join(startSpan, stmt[stmt.length - 1].span), table, chain: chain.name, iteration };
  if (verb === 'insert') chain.rules.unshift(rule);
  else chain.rules.push(rule);
}

function readSetCommand(ctx: Context, c: Cursor, isMap: boolean): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  if (!tableName || !name) return;
  const table = tableOf(ctx, family, tableName.text);
  if (c.is('{')) {
    c.next();
    readSetBody(ctx, c, table, name, isMap);
  }
}

function readElementCommand(ctx: Context, c: Cursor): void {
  const family = readFamily(c);
  const tableName = c.next();
  const name = c.next();
  const stmt = c.statement();
  const set = tableName && name ? ctx.tables.get(`${family} ${tableName.text}`)?.sets.get(name.text) : undefined;
  if (!set) {
    if (name) problem(ctx, 'syntax-error', `set ${name.text} is not declared before its elements`, name.span, 'error');
    return;
  }
  set.elements.push(...splitElements(stmt));
}

function readSetBody(ctx: Context, c: Cursor, table: Table, nameTok: Token, isMap: boolean): void {
  const set: NamedSet = table.sets.get(nameTok.text) ?? { name: nameTok.text, type: '', dynamic: false, isMap, elements: [], span: nameTok.span };
  table.sets.set(nameTok.text, set);
  for (;;) {
    c.skipEols();
    if (c.done) return problem(ctx, 'syntax-error', `set ${nameTok.text} is not closed with "}"`, nameTok.span, 'error');
    if (c.is('}')) {
      c.next();
      return;
    }
    const stmt = c.statement();
    if (stmt.length === 0) {
      c.next();
      continue;
    }
    const head = stmt[0].text;
    if (head === 'type' || head === 'typeof') set.type = stmt.slice(1).map((t) => t.text).join(' ');
    else if (head === 'flags' && stmt.some((t) => t.text === 'dynamic' || t.text === 'timeout')) set.dynamic = true;
    else if (head === 'timeout') set.dynamic = true;
    else if (head === 'elements') set.elements.push(...splitElements(stmt.slice(2)));
  }
}
