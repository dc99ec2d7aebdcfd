import { AddressSet, type ProtocolSet } from '../../net';
import { RULE_DEFAULTS, shiftConditions, shiftField, shiftProblems, shiftSpan, shiftUnresolved, type Direction, type Field, type ParseProblem, type Rule, type RuleSet, type RuleTarget, type Span } from '../../model';
import { tokenize, type Token } from './tokens';
import { type Context, HOOK_DIRECTIONS, HOOK_RANK, type PendingRule, problem, type Table } from './context';
import { mergeFields, readRuleTokens, type RuleFields } from './rules';
import { textOf } from './values';

/**
 * Tables and chains read, turned into RuleSets: one per filter base chain on
 * an evaluated hook, ordered by priority into stages, with jumps and gotos to
 * regular chains. Rules an open document kept from its previous version are
 * moved rather than rebuilt while what they depend on is unchanged.
 */

export function buildRuleSets(ctx: Context): RuleSet[] {
  const out: RuleSet[] = [];
  const envs = new Map<Table, string>();
  for (const table of ctx.tableOrder) {
    for (const chain of table.chains.values()) {
      if (!chain.base) continue;
      const hookDirections = HOOK_DIRECTIONS[chain.base.hook];
      const filters = chain.base.type === 'filter' || (chain.base.type === 'route' && chain.base.hook === 'output');
      const evaluated = filters && hookDirections !== undefined && ['ip', 'ip6', 'inet'].includes(table.family);
      if (!evaluated) {
        problem(
          ctx,
          'limit',
          `chain ${chain.name} (type ${chain.base.type} hook ${chain.base.hook}, family ${table.family}) is read but not evaluated: only filter chains on the prerouting, input, forward, output and postrouting hooks decide here`,
          chain.nameSpan,
          'info',
        );
      }
      const dir: Direction = hookDirections?.[0] ?? 'inbound';
      const ids = new Map<string, number>();
      const toRules = (list: readonly PendingRule[]): Rule[] => list.flatMap((p, order) => toRule(ctx, p, order, dir, table, ids, envs));
      const rules = toRules(chain.rules);
      const userChains: Record<string, readonly Rule[]> = {};
      for (const c of table.chains.values()) if (!c.base) userChains[c.name] = toRules(c.rules);
      out.push({
        id: `${table.family} ${table.name}/${chain.name}`,
        name: chain.name,
        format: 'nftables',
        kind: 'nftables-chain',
        semantics: 'first-match',
        directions: evaluated ? hookDirections : [],
        ...(evaluated && hookDirections.length > 1 ? { rulesDirection: dir } : {}),
        rules,
        chains: userChains,
        defaults: Object.fromEntries((hookDirections ?? [dir]).map((d) => [d, chain.policy ?? { value: 'allow' }])),
        span: chain.span,
        nameSpan: chain.nameSpan,
        // Every filter base chain a packet crosses is a stage of one path, in hook order and then by priority.
        stage: { group: 'netfilter', order: (HOOK_RANK[chain.base.hook] ?? 1) * 1000 + chain.base.priority },
        // A chain of the ip (ip6) family never sees IPv6 (IPv4) packets: for them it is as if it were not there.
        ...(table.family === 'ip' ? { families: [4] as const } : table.family === 'ip6' ? { families: [6] as const } : {}),
        appliesTo: [`hook ${chain.base.hook}`],
        meta: {
          family: table.family,
          table: table.name,
          chain: chain.name,
          type: chain.base.type,
          hook: chain.base.hook,
          priority: String(chain.base.priority),
          ...(evaluated ? {} : { evaluated: 'false' }),
        },
      });
    }
  }
  return out;
}

const LINE_IDS: string[] = [];

/** `line N`, one string per line number, so ids compare and hash once. */
function lineId(line: number): string {
  if (line >= 200_000) return `line ${line}`;
  return (LINE_IDS[line] ??= `line ${line}`);
}

/** Everything besides its own text that a rule's meaning depends on in its table: family, chains, sets, defines. */
function tableEnv(ctx: Context, table: Table, memo: Map<Table, string>): string {
  let env = memo.get(table);
  if (env !== undefined) return env;
  const tok = (t: Token): string => `${t.kind}:${t.text}`;
  env = `${table.family} ${table.name}`;
  for (const c of table.chains.values()) env += `|chain ${c.base ? 'base' : 'regular'} ${c.name}`;
  for (const st of table.sets.values()) env += `|set ${st.name} ${st.dynamic} ${st.elements.map((el) => el.map(tok).join(' ')).join(',')}`;
  for (const [name, value] of ctx.defines) env += `|define ${name}=${value.map(tok).join(' ')}`;
  memo.set(table, env);
  return env;
}

function toRule(ctx: Context, p: PendingRule, order: number, direction: Direction, table: Table, ids: Map<string, number>, envs: Map<Table, string>): Rule[] {
  const line = ctx.lines.positionAt(p.span.start).line + 1;
  let id = p.iteration ? `line ${line} (${p.iteration})` : lineId(line);
  const seen = ids.get(id) ?? 0;
  ids.set(id, seen + 1);
  if (seen > 0) id = `${id} #${seen + 1}`;
  const entry = p.entry;
  const lineStart = p.lineStart ?? 0;
  const env = entry ? tableEnv(ctx, table, envs) : '';
  if (entry) {
    for (const b of entry.built) {
      if (b.env !== env || b.rule.direction !== direction || b.rule.chain !== p.chain) continue;
      const delta = lineStart - b.base;
      if (delta !== 0 || b.rule.id !== id || b.rule.order !== order) {
        b.rule = moveRule(b.rule, delta, id, order);
        b.problems = shiftProblems(b.problems, delta);
        b.base = lineStart;
      }
      for (const x of b.problems) ctx.problems.push(x);
      return [b.rule];
    }
  }
  const problemsBefore = ctx.problems.length;
  // A rule taken from the cache has no tokens: read its line again.
  const pending = p.tokens.length || !entry ? p : { ...p, tokens: tokenize(ctx.text, undefined, undefined, lineStart + entry.rel.start, lineStart + entry.rel.end) };
  const b = readRuleTokens(ctx, pending, table.chains);
  const meta = { family: table.family, table: table.name, chain: p.chain };
  const make = (fields: RuleFields, l3Match: 4 | 6 | undefined, l4: ProtocolSet | undefined, target: RuleTarget | undefined, ruleId: string): Rule => {
    const l3 = l3Match ?? (table.family === 'ip' ? 4 : table.family === 'ip6' ? 6 : undefined);
    const restrict = (f: Field<AddressSet> | undefined): Field<AddressSet> | undefined => {
      if (!l3) return f;
      const fam = l3 === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
      if (!f) return { value: fam };
      const cut = f.value.intersect(fam);
      return { ...f, value: AddressSet.of(cut.v4, cut.v6, f.value.symbols) };
    };
    let protocols = fields.protocols;
    if (l4 && !protocols) protocols = b.l4Span ? { value: l4, span: b.l4Span, text: ctx.text.slice(b.l4Span.start, b.l4Span.end) } : { value: l4 };
    else if (l4 && protocols) protocols = { ...protocols, value: protocols.value.intersect(l4) };
    // One object literal, always with `comment` (undefined when there is none): rules built by spreading
    // partial objects all differ in shape and are slow to make and read.
    return {
      protocols: protocols ?? RULE_DEFAULTS.protocols,
      source: restrict(fields.source) ?? RULE_DEFAULTS.source,
      destination: restrict(fields.destination) ?? RULE_DEFAULTS.destination,
      sourcePorts: fields.sourcePorts ?? RULE_DEFAULTS.sourcePorts,
      destinationPorts: fields.destinationPorts ?? RULE_DEFAULTS.destinationPorts,
      enabled: RULE_DEFAULTS.enabled,
      conditions: b.conditions,
      unresolved: b.unresolved,
      id: ruleId,
      target: target ?? NO_VERDICT,
      direction,
      span: p.span,
      raw: textOf(ctx, p.span),
      order,
      chain: p.chain,
      meta,
      comment: b.fields.comment,
    };
  };
  if (b.alternatives) {
    // One rule per element of the set or map, sharing the line's order: they never overlap.
    return b.alternatives.map((alt) =>
      make(mergeFields(b.fields, alt.fields), alt.l3 ?? b.l3, alt.l4 && b.l4 ? alt.l4.intersect(b.l4) : (alt.l4 ?? b.l4), alt.target ?? b.target, b.alternatives && b.alternatives.length > 1 ? `${id} [${alt.label}]` : id),
    );
  }
  const rule = make(b.fields, b.l3, b.l4, b.target, id);
  const problems = ctx.problems.slice(problemsBefore);
  // Only what lies on the rule's own line moves with it (a problem in a define's value stays where the define is).
  if (entry && allWithin(rule, problems)) {
    if (entry.built.length >= 6) entry.built.shift();
    entry.built.push({ base: lineStart, env, rule, problems });
  }
  return [rule];
}

function allWithin(rule: Rule, problems: readonly ParseProblem[]): boolean {
  const { start, end } = rule.span;
  const inside = (x: Span | undefined): boolean => x === undefined || (x.start >= start && x.end <= end);
  return (
    inside(rule.protocols.span) &&
    inside(rule.source.span) &&
    inside(rule.destination.span) &&
    inside(rule.sourcePorts.span) &&
    inside(rule.destinationPorts.span) &&
    rule.conditions.every((c) => inside(c.span)) &&
    rule.unresolved.every((u) => inside(u.span)) &&
    problems.every((x) => inside(x.span))
  );
}

const NO_VERDICT: RuleTarget = { kind: 'continue', note: 'no verdict: evaluation goes on' };

/** A rule built for an earlier version, moved to where its line is now. */
function moveRule(r: Rule, delta: number, id: string, order: number): Rule {
  // Written out, not spread: a spread copy of a rule is several times slower to make.
  const moved: Rule = {
    protocols: shiftField(r.protocols, delta),
    source: shiftField(r.source, delta),
    destination: shiftField(r.destination, delta),
    sourcePorts: shiftField(r.sourcePorts, delta),
    destinationPorts: shiftField(r.destinationPorts, delta),
    enabled: r.enabled,
    conditions: shiftConditions(r.conditions, delta),
    unresolved: shiftUnresolved(r.unresolved, delta),
    id,
    target: r.target,
    direction: r.direction,
    span: shiftSpan(r.span, delta),
    raw: r.raw,
    order,
    chain: r.chain,
    meta: r.meta,
  };
  return r.comment === undefined ? moved : { ...moved, comment: r.comment };
}
