import { AddressSet } from '../../net';
import { LineIndex, makeRule, RULE_DEFAULTS, type Direction, type Field, type MatchCondition, type ParseProblem, type Rule, type RuleSet, type RuleTarget } from '../../model';
import { BUILTIN_DIRECTION, type ChainState, type Context, type PendingRule, problem } from './context';
import { CONTINUE_TARGETS, NAT_TARGETS, QUEUE_TARGETS, TERMINAL_TARGETS } from './options';

/**
 * The chains read, turned into RuleSets: one per built-in filter chain and
 * family, with jumps to user chains, the chain policy, and notes for the
 * tables nothing evaluates. Rules a save file kept from its previous version
 * are moved rather than rebuilt.
 */

export function buildRuleSets(ctx: Context, save: boolean): RuleSet[] {
  const out: RuleSet[] = [];
  const both = ctx.families.size > 1;
  const familyMeta = both ? 'ipv4+ipv6' : ctx.families.has(6) ? 'ipv6' : 'ipv4';
  for (const [table, chains] of ctx.tables) {
    const evaluated = table === 'filter';
    if (!evaluated && chains.size) {
      const first = [...chains.values()][0];
      problem(ctx, 'limit', `table ${table} is read but not evaluated: only the filter table decides whether a flow passes here`, first.span, 'info');
    }
    const ufwOnly = evaluated && ![...chains.values()].some((c) => c.builtin) && [...chains.keys()].some((n) => UFW_ENTRY.has(n));
    for (const chain of chains.values()) {
      const ufw = ufwOnly ? UFW_ENTRY.get(chain.name) : undefined;
      if (!chain.builtin && !ufw) continue;
      const direction = ufw ? ufw.direction : (BUILTIN_DIRECTION.get(chain.name) as Direction);
      if (ufw) {
        problem(
          ctx,
          'limit',
          `ufw's user.rules holds only its user chains: ${chain.name} is read as what ${ufw.builtin} decides, with ufw's default policy assumed (${ufw.policyLine} in /etc/default/ufw, not read here), and ufw-before-${ufw.builtin.toLowerCase()}'s rules (established replies, loopback, ICMP, DHCP) not read`,
          chain.nameSpan,
          'info',
        );
      }
      const ids = new Map<string, number>();
      const makeRules = (list: readonly PendingRule[]): Rule[] =>
        list.map((p, order) => toRule(ctx, p, order, direction, chains, both, ids));
      const rules = makeRules(chain.rules);
      const userChains: Record<string, readonly Rule[]> = {};
      for (const c of chains.values()) if (!c.builtin) userChains[c.name] = makeRules(c.rules);
      const v4 = chain.policy[4];
      const v6 = chain.policy[6];
      const main = v4 ?? v6;
      const defaults: RuleSet['defaults'] = { [direction]: ufw ? { value: ufw.policy, span: chain.nameSpan } : main?.field ?? { value: 'allow' } };
      if (both && (v4?.field.value ?? 'allow') !== (v6?.field.value ?? 'allow')) {
        // One default cannot say "IPv4 drops, IPv6 accepts": each family's policy becomes a last rule for its addresses.
        for (const [fam, pol] of [[4, v4], [6, v6]] as const) {
          const anyFam = fam === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
          const action = pol?.field.value ?? 'allow';
          rules.push(
            makeRule({
              id: `policy IPv${fam}`,
              target: action === 'allow' ? { kind: 'allow' } : { kind: 'deny' },
              direction,
              span: pol?.field.span ?? chain.span,
              raw: pol?.text ?? `(${fam === 4 ? 'iptables' : 'ip6tables'} default policy ACCEPT)`,
              order: rules.length,
              implicit: true,
              source: { value: anyFam },
              destination: { value: anyFam },
              chain: chain.name,
              meta: { table, chain: chain.name, family: `ipv${fam}`, policy: 'true' },
            }),
          );
        }
      }
      out.push({
        id: `${table}/${chain.name}`,
        name: chain.name,
        format: 'iptables',
        kind: 'iptables-chain',
        semantics: 'first-match',
        directions: evaluated && direction && (ufw || ['INPUT', 'OUTPUT', 'FORWARD'].includes(chain.name)) ? [direction] : [],
        rules,
        chains: userChains,
        defaults,
        span: chain.span,
        nameSpan: chain.nameSpan,
        appliesTo: ufw ? [ufw.builtin, chain.name] : [chain.name],
        ...(both ? {} : { families: [ctx.families.has(6) ? 6 : 4] as const }),
        meta: {
          table,
          chain: chain.name,
          family: familyMeta,
          style: save ? 'iptables-save' : 'script',
          ...(ufw ? { ufw: 'user.rules', assumedPolicy: ufw.policyLine } : {}),
          ...(evaluated ? {} : { evaluated: 'false' }),
        },
      });
    }
  }
  return out;
}

/**
 * ufw's user.rules (`ufw status` reads it back) is iptables-save text with
 * only ufw's chains: INPUT jumps through ufw-before-input to ufw-user-input,
 * then ufw-after-input, then the chain policy ufw sets from
 * /etc/default/ufw. Its shipped defaults are DEFAULT_INPUT_POLICY="DROP",
 * DEFAULT_OUTPUT_POLICY="ACCEPT", DEFAULT_FORWARD_POLICY="DROP".
 */
const UFW_ENTRY: ReadonlyMap<string, { direction: Direction; builtin: string; policy: 'allow' | 'deny'; policyLine: string }> = new Map([
  ['ufw-user-input', { direction: 'inbound', builtin: 'INPUT', policy: 'deny', policyLine: 'DEFAULT_INPUT_POLICY="DROP"' }],
  ['ufw-user-output', { direction: 'outbound', builtin: 'OUTPUT', policy: 'allow', policyLine: 'DEFAULT_OUTPUT_POLICY="ACCEPT"' }],
  ['ufw-user-forward', { direction: 'forward', builtin: 'FORWARD', policy: 'deny', policyLine: 'DEFAULT_FORWARD_POLICY="DROP"' }],
] as const);

/** What toRule made of a pending rule, reused while its inputs stay the same (the pending rule came from the cache unchanged). */
export interface BuiltRule {
  readonly rule: Rule;
  readonly problems: readonly ParseProblem[];
  readonly both: boolean;
  readonly targetKey: string;
}

const LINE_IDS: string[] = [];

/** `line N`, one string per line number: the same string each version, so its hash is computed once and comparisons are by identity. */
function lineId(line: number): string {
  if (line >= 200_000) return `line ${line}`;
  return (LINE_IDS[line] ??= `line ${line}`);
}

function toRule(
  ctx: Context,
  p: PendingRule,
  order: number,
  direction: Direction,
  chains: ReadonlyMap<string, ChainState>,
  both: boolean,
  ids: Map<string, number>,
): Rule {
  let extra: MatchCondition | undefined;
  let unknownTarget: string | undefined;
  let target: RuleTarget = NO_TARGET;
  const t = p.targetName;
  if (t) {
    if (t.unresolved) {
      extra = { kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' };
      target = { kind: 'continue', note: `target ${t.name} is not known in this file` };
    } else if (TERMINAL_TARGETS.has(t.name) && !t.goto) target = TERMINAL_TARGETS.get(t.name) as RuleTarget;
    else if (CONTINUE_TARGETS.has(t.name)) target = { kind: 'continue', note: `${t.name} does not end evaluation` };
    else if (NAT_TARGETS.has(t.name)) target = { kind: 'continue', note: `${t.name} (address translation)` };
    else if (QUEUE_TARGETS.has(t.name)) {
      extra = { kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' };
      target = { kind: 'continue', note: `${t.name} hands the packet to a user-space program, which decides` };
    } else if (chains.has(t.name) && !chains.get(t.name)?.builtin) target = t.goto ? { kind: 'goto', chain: t.name } : { kind: 'jump', chain: t.name };
    else {
      unknownTarget = `"${t.name}" is neither a target nor a chain of table ${p.table}`;
      extra = { kind: 'other', text: `-j ${t.name}`, span: t.span, effect: 'unknown' };
      target = { kind: 'continue', note: `unknown target ${t.name}` };
    }
  }
  const line = p.line ?? (ctx.lines ??= LineIndex.of(ctx.text)).positionAt(p.span.start).line + 1;
  let id = p.iteration ? `line ${line} (${p.iteration})` : lineId(line);
  if (p.sourceTwin && p.fields.sourcePorts === p.sourceTwin && !p.fields.destinationPorts) id += ' (source port)';
  // A save-file line holds one command, so its rules' ids cannot collide; scripts (loops, -I) can repeat a line.
  if (p.line === undefined || p.iteration !== undefined) {
    const seen = ids.get(id) ?? 0;
    ids.set(id, seen + 1);
    if (seen > 0) id = `${id} #${seen + 1}`;
  }
  const targetKey = target.kind === 'jump' || target.kind === 'goto' ? `${target.kind} ${target.chain}` : target.kind === 'continue' ? `continue ${target.note}` : target.kind;
  let variants = p.built;
  if (variants) {
    for (const built of variants) {
      if (built.rule.id === id && built.rule.order === order && built.rule.direction === direction && built.both === both && built.targetKey === targetKey) {
        for (const x of built.problems) ctx.problems.push(x);
        return built.rule;
      }
    }
  } else p.built = variants = [];
  const problemsBefore = ctx.problems.length;
  if (unknownTarget && t) problem(ctx, 'unparsed-rule', unknownTarget, t.span);
  const restrict = (f: Field<AddressSet> | undefined): Field<AddressSet> | undefined => {
    if (!both) return f;
    const fam = p.family === 4 ? AddressSet.anyV4() : AddressSet.anyV6();
    if (!f) return { value: fam };
    const within = f.value.intersect(fam);
    return { ...f, value: AddressSet.of(within.v4, within.v6, f.value.symbols) };
  };
  const f = p.fields;
  const source = restrict(f.source) ?? RULE_DEFAULTS.source;
  const destination = restrict(f.destination) ?? RULE_DEFAULTS.destination;
  let conditions = extra ? [...p.conditions, extra] : p.conditions;
  if (target.kind === 'jump' && target.chain === 'ufw-user-limit') {
    // `ufw limit`: the rule rejects only a source's 6th new connection in 30 s; the flow itself, within that rate, goes on to the accept after it.
    conditions = conditions.map((c) => (c.effect === 'unknown' && c.text.includes('-m recent') ? { ...c, effect: 'never-matches-new' as const, text: `${c.text} (ufw limit: rejects only past the rate; read as passing)` } : c));
  }
  const raw = ctx.text.slice(p.span.start, p.span.end);
  const meta = t && (t.name === 'DNAT' || t.name === 'REDIRECT') ? { ...p.meta, ...translation(t.name, raw) } : p.meta;
  // One object literal, always with `comment` (undefined when there is none): rules built by spreading
  // partial objects all differ in shape and are slow to make and read.
  const rule: Rule = {
        protocols: f.protocols ?? RULE_DEFAULTS.protocols,
        source,
        destination,
        sourcePorts: f.sourcePorts ?? RULE_DEFAULTS.sourcePorts,
        destinationPorts: f.destinationPorts ?? RULE_DEFAULTS.destinationPorts,
        enabled: RULE_DEFAULTS.enabled,
        conditions,
        unresolved: p.unresolved,
        id,
        target,
        direction,
        span: p.span,
        raw,
        order,
        chain: p.chain,
        meta,
        comment: f.comment,
  };
  if (variants.length >= 6) variants.shift();
  variants.push({ rule, problems: ctx.problems.slice(problemsBefore), both, targetKey });
  return rule;
}

/**
 * Where a DNAT or REDIRECT sends the packet, as written (`--to-destination
 * 10.0.2.5:1494`, `--to-ports 1494`), for the checks that follow a public
 * port to the internal one it reaches. Nothing evaluates the nat table; this
 * is the one fact of it a check needs.
 */
function translation(target: 'DNAT' | 'REDIRECT', raw: string): Record<string, string> {
  const to = /(?:^|\s)--to-destination\s+(\S+)/.exec(raw)?.[1];
  const ports = /(?:^|\s)--to-ports?\s+(\S+)/.exec(raw)?.[1];
  return { nat: target, ...(to ? { natTo: to.replace(/^["']|["']$/g, '') } : {}), ...(ports ? { natToPorts: ports.replace(/^["']|["']$/g, '') } : {}) };
}

const NO_TARGET: RuleTarget = { kind: 'continue', note: 'no target: the rule only counts packets' };
