import type { MatchCondition, ParsedFile, Rule, RuleSet } from '../../model';
import { Protocols, TCP, UDP } from '../../net';
import { coverage, evaluationOrder, rulesMeeting } from '../evaluate';
import { topologyResolver } from '../required';
import type { CheckDefinition } from './types';
import { allRuleLists, fileOf, ruleLabel, sentence } from './ruleFacts';

/** Lists longer than this are not searched pairwise; the check stays linear-ish on huge generated files. */
const MAX_RULES_PER_LIST = 2000;

const conditionKey = (c: MatchCondition): string => `${c.kind}\u0000${c.text.trim()}`;

/**
 * Can `other` take packets away from `rule` before it is reached? Only a rule
 * that is on, decides (or returns) for every packet it matches, and matches at
 * least where `rule` does: its extra conditions must all be conditions `rule`
 * has too, and nothing in it may be unresolved.
 */
function canCover(other: Rule, rule: Rule, terminating: (r: Rule) => boolean): boolean {
  // The cheap refusals first: this runs for every pair of rules that meet.
  if (other === rule || !other.enabled.value || other.direction !== rule.direction || !terminating(other)) return false;
  if (other.unresolved.length > 0 || other.conditions.some((c) => c.effect === 'never-matches-new' || c.effect === 'unknown')) return false;
  if (!mayOverlap(other, rule)) return false;
  if (other.conditions.length === 0) return true;
  const own = conditionKeysOf(rule);
  return other.conditions.every((c) => own.has(conditionKey(c)));
}

/** The part of canCover that does not depend on the covered rule. */
function mayCoverSomething(other: Rule, terminating: (r: Rule) => boolean): boolean {
  return other.enabled.value && terminating(other) && other.unresolved.length === 0 && !other.conditions.some((c) => c.effect === 'never-matches-new' || c.effect === 'unknown');
}

const conditionKeyCache = new WeakMap<Rule, Set<string>>();
function conditionKeysOf(rule: Rule): Set<string> {
  let keys = conditionKeyCache.get(rule);
  if (!keys) conditionKeyCache.set(rule, (keys = new Set(rule.conditions.map(conditionKey))));
  return keys;
}

const PORTFUL = Protocols.of(TCP, UDP, 132);

/** A cheap test before the exact one: rules on disjoint protocols or ports never cover each other. */
function mayOverlap(a: Rule, b: Rule): boolean {
  const protocols = a.protocols.value.intersect(b.protocols.value);
  if (protocols.isEmpty) return false;
  return !protocols.isSubsetOf(PORTFUL) || a.destinationPorts.value.intersects(b.destinationPorts.value);
}

const decides = (r: Rule): boolean => r.target.kind === 'allow' || r.target.kind === 'deny' || r.target.kind === 'return';

interface Shadowing {
  readonly rule: Rule;
  readonly by: readonly Rule[];
  readonly wording: 'shadowed' | 'redundant' | 'blocked';
}

function shadowingsIn(ruleSet: RuleSet, list: readonly Rule[], resolve: ReturnType<typeof topologyResolver>): Shadowing[] {
  if (list.length > MAX_RULES_PER_LIST) return [];
  const out: Shadowing[] = [];
  const candidates = (rule: Rule): boolean => !rule.implicit && rule.enabled.value;
  switch (ruleSet.semantics) {
    case 'first-match':
    case 'priority-first-match': {
      const order = evaluationOrder(ruleSet, list);
      const position = new Map(order.map((r, i) => [r, i]));
      // Only rules that can cover anything are searched: a list of broken or undecidable rules costs one pass.
      const pool = order.filter((o) => mayCoverSomething(o, decides));
      if (pool.length === 0) return out;
      // Pool keeps the order's order, so the pool's rules before rule i are a prefix of it: the index skips the rest.
      let poolBefore = 0;
      order.forEach((rule, i) => {
        while (poolBefore < pool.length && (position.get(pool[poolBefore]) as number) < i) poolBefore++;
        if (!candidates(rule)) return;
        const earlier = rulesMeeting(pool, rule, poolBefore).filter((o) => (position.get(o) as number) < i && canCover(o, rule, decides));
        if (earlier.length === 0) return;
        const c = coverage(rule, earlier, { resolve });
        if (c.covered) out.push({ rule, by: c.by, wording: 'shadowed' });
      });
      return out;
    }
    case 'union-of-allows': {
      for (const rule of list) {
        if (!candidates(rule) || rule.target.kind !== 'allow') continue;
        // Of two rules that hold each other, the later one is the redundant one.
        const others = rulesMeeting(list, rule).filter((o) => canCover(o, rule, (r) => r.target.kind === 'allow') && (o.order < rule.order || !coverage(o, [rule], { resolve }).covered));
        if (others.length === 0) continue;
        const c = coverage(rule, others, { resolve });
        if (c.covered) out.push({ rule, by: c.by, wording: 'redundant' });
      }
      return out;
    }
    case 'block-wins': {
      for (const rule of list) {
        if (!candidates(rule) || rule.target.kind !== 'allow') continue;
        const blocks = rulesMeeting(list, rule).filter((o) => canCover(o, rule, (r) => r.target.kind === 'deny'));
        if (blocks.length === 0) continue;
        const c = coverage(rule, blocks, { resolve });
        if (c.covered) out.push({ rule, by: c.by, wording: 'blocked' });
      }
      return out;
    }
  }
}

function message(where: (r: Rule) => ParsedFile, s: Shadowing): string {
  const names = s.by.slice(0, 4).map((r) => ruleLabel(where(r), r));
  const more = s.by.length > 4 ? ` and ${s.by.length - 4} more` : '';
  const list = `${names.join(', ')}${more}`;
  const own = ruleLabel(where(s.rule), s.rule);
  switch (s.wording) {
    case 'redundant':
      return `${own} is redundant: ${list} already ${s.by.length === 1 ? 'allows' : 'allow'} everything it allows.`;
    case 'blocked':
      return `${own} never allows anything: block ${s.by.length === 1 ? 'rule' : 'rules'} ${list} ${s.by.length === 1 ? 'blocks' : 'block'} everything it matches, and a block wins over an allow.`;
    case 'shadowed': {
      const conflicting = s.by.some((r) => (r.target.kind === 'allow' || r.target.kind === 'deny') && r.target.kind !== s.rule.target.kind);
      const effect = conflicting && (s.rule.target.kind === 'allow' || s.rule.target.kind === 'deny') ? ` Its ${s.rule.target.kind} never takes effect.` : '';
      return `${own} is never reached: ${list} ${s.by.length === 1 ? 'matches' : 'match'} every packet it matches, first.${effect}`;
    }
  }
}

export const shadowedRule: CheckDefinition = {
  id: 'shadowed-rule',
  title: 'Rule never reached',
  summary: 'A rule no packet can reach, because earlier or higher-priority rules (or, for security groups, other allows; for Windows Firewall, block rules) already cover all it matches.',
  defaultSeverity: 'warning',
  scope: 'file',
  needsRoles: false,
  run(context) {
    const resolve = topologyResolver(context.topology);
    const findings: ReturnType<CheckDefinition['run']>[number][] = [];
    for (const file of context.files) {
      for (const ruleSet of file.ruleSets) {
        for (const list of allRuleLists(ruleSet)) {
          for (const s of shadowingsIn(ruleSet, list, resolve)) {
            const where = (r: Rule): ParsedFile => fileOf(r, file, context.allFiles ?? context.files);
            findings.push({
              checkId: 'shadowed-rule',
              uri: where(s.rule).uri,
              span: s.rule.span,
              message: sentence(message(where, s)),
              related: s.by.filter((r) => !r.implicit).map((r) => ({ uri: where(r).uri, span: r.span, message: `covers ${s.rule.name ?? s.rule.id}` })),
              data: { ruleSetId: ruleSet.id, ruleId: s.rule.id, shadowedBy: s.by.map((r) => r.id), wording: s.wording },
            });
          }
        }
      }
    }
    return findings;
  },
};
