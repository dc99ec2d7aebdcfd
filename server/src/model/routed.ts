import { makeRule } from './build';
import type { RoutedThrough, RuleSet } from './types';

const views = new WeakMap<RuleSet, Map<string, RuleSet>>();

/**
 * A rule set as a stage on one route: traffic with a peer the route does not
 * send to it passes untouched (a first rule allows it); the rest meets its
 * rules. Built once per (rule set, route), so the evaluator's per-rule-list
 * caches keep working.
 */
export function throughRoute(ruleSet: RuleSet, route: RoutedThrough, stage: { group: string; order: number }): RuleSet {
  let byRoute = views.get(ruleSet);
  if (!byRoute) {
    byRoute = new Map();
    views.set(ruleSet, byRoute);
  }
  const key = `${route.via}\u0000${route.peers.toString()}\u0000${stage.group}\u0000${stage.order}`;
  const hit = byRoute.get(key);
  if (hit) return hit;
  const elsewhere = route.peers.complement();
  const direction = ruleSet.rulesDirection ?? 'forward';
  const first = Math.min(0, ...ruleSet.rules.map((r) => r.priority?.value ?? 0)) - 1;
  const pass = makeRule({
    id: `not routed through ${ruleSet.name}`,
    name: `not routed through ${ruleSet.name}`,
    target: { kind: 'allow' },
    direction,
    // Both ends outside the routed peers: the route never sends this traffic to the rule set.
    source: { value: elsewhere },
    destination: { value: elsewhere },
    priority: { value: first },
    order: -1,
    span: ruleSet.span,
    raw: `${route.via}: only traffic with ${route.peers.toString()} is routed through ${ruleSet.name}`,
    implicit: true,
    meta: { routePassThrough: 'true' },
  });
  const view: RuleSet = { ...ruleSet, rules: [pass, ...ruleSet.rules], stage };
  byRoute.set(key, view);
  return view;
}
