// Names the evaluator cannot resolve, in the rule or in the flow (a peer without addresses), and the order of rules
// that tie. Each verdict is worked out by hand: a part of the flow a name may or may not hold is unknown, never
// allowed or denied; a name both sides share holds for certain; a resolved name is its addresses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { resolveVnet, rule, ruleSet } from '../../helpers/ruleSpec';
import type { RuleSet } from '../../../server/src/model';

const dropping = (specs: string[]): RuleSet => ruleSet('first-match', specs, { defaults: { inbound: { value: 'deny' } } });

const CASES: { name: string; set: RuleSet; flow: string; resolve?: typeof resolveVnet; verdict: Verdict; deciding: string[]; decisions: string[]; reason?: string }[] = [
  {
    name: 'a rule naming X, a flow from another name: X may or may not hold it',
    set: dropping(['allow tcp tag:X -> any:1494']),
    flow: 'in tcp var:peer -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['unknown r0 peer'],
    reason: 'rule r0 may match: unresolved X',
  },
  {
    name: 'a rule naming two names: both are said',
    set: dropping(['allow tcp tag:X,tag:Y -> any:1494']),
    flow: 'in tcp var:peer -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['unknown r0 peer'],
    reason: 'rule r0 may match: unresolved X, Y',
  },
  {
    // The parser knows why the value is unknown (a variable without a default): that is said instead of the name.
    name: 'a rule whose value the parser could not resolve: its reason is said',
    set: dropping([]),
    flow: 'in tcp 10.0.0.20 -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['unknown r0 10.0.0.20'],
    reason: 'rule r0 may match: var.gateway_ip (a variable without a default)',
  },
  {
    name: 'a flow between two unresolved peers through a rule of plain addresses: both sides are said',
    set: dropping(['allow tcp 10.0.0.0/8 -> 10.0.2.0/24:1494']),
    flow: 'in tcp var:gateway -> var:vdas:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['unknown r0 gateway'],
    reason: "rule r0 may match: the flow's source gateway is not resolved, and the flow's destination vdas is not resolved",
  },
  {
    name: 'a rule naming X, a flow from X: it holds for certain',
    set: dropping(['allow tcp tag:X -> any:1494']),
    flow: 'in tcp tag:X -> 10.0.2.5:1494',
    verdict: 'allowed',
    deciding: ['r0'],
    decisions: ['allow r0 X'],
  },
  {
    name: 'a rule of plain addresses, a flow from an unresolved peer: the reason names the peer',
    set: dropping(['allow tcp 10.0.0.0/8 -> any:1494']),
    flow: 'in tcp var:peer -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['unknown r0 peer'],
    reason: "rule r0 may match: the flow's source peer is not resolved",
  },
  {
    // 192.0.2.1 is outside 10.0.0.0/8 for certain: the default drops it; the peer may be inside: unknown.
    name: 'a flow of an address and a name: the address is decided, the name is not',
    set: dropping(['allow tcp 10.0.0.0/8 -> any:1494']),
    flow: 'in tcp 192.0.2.1,var:peer -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: [],
    decisions: ['deny default 192.0.2.1', 'unknown r0 peer'],
  },
  {
    // The deny holds 10/8 only: 192.0.2.1 goes on to the allow; the peer may be denied.
    name: 'the same with a deny first',
    set: ruleSet('first-match', ['deny tcp 10.0.0.0/8 -> any:1494', 'allow any any -> any']),
    flow: 'in tcp 192.0.2.1,var:peer -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['allow r1 192.0.2.1', 'unknown r0 peer'],
  },
  {
    name: 'a rule naming X, a flow from a plain address: X may hold it',
    set: dropping(['allow tcp tag:X -> any:1494']),
    flow: 'in tcp 192.0.2.1 -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['unknown r0 192.0.2.1'],
    reason: 'rule r0 may match: unresolved X',
  },
  {
    // 10.1.1.1 is in the rule's 10/8 for certain; 192.0.2.1 only X could hold.
    name: 'a rule of an address and a name: the address part is decided',
    set: dropping(['allow tcp 10.0.0.0/8,tag:X -> any:1494']),
    flow: 'in tcp 10.1.1.1,192.0.2.1 -> 10.0.2.5:1494',
    verdict: 'unknown',
    deciding: ['r0'],
    decisions: ['allow r0 10.1.1.1', 'unknown r0 192.0.2.1'],
  },
  {
    name: 'a resolved name is its addresses: inside',
    set: dropping(['allow tcp tag:VirtualNetwork -> any:1494']),
    flow: 'in tcp 10.0.1.4 -> 10.0.2.5:1494',
    resolve: resolveVnet,
    verdict: 'allowed',
    deciding: ['r0'],
    decisions: ['allow r0 10.0.1.4'],
  },
  {
    name: 'a resolved name is its addresses: outside',
    set: dropping(['allow tcp tag:VirtualNetwork -> any:1494']),
    flow: 'in tcp 192.0.2.1 -> 10.0.2.5:1494',
    resolve: resolveVnet,
    verdict: 'denied',
    deciding: [],
    decisions: ['deny default 192.0.2.1'],
  },
  {
    // Three allows at priority 100 all hold the flow: the one written first is the one that decides.
    name: 'a tie of priorities: the rule written first decides',
    set: ruleSet('priority-first-match', ['allow tcp any -> any:1494 prio 100', 'allow tcp 10.0.0.0/8 -> any:1494 prio 100', 'allow tcp 10.1.0.0/16 -> any:1494 prio 100', 'deny any any -> any prio 65500']),
    flow: 'in tcp 10.1.1.1 -> 10.0.2.5:1494',
    verdict: 'allowed',
    deciding: ['r0'],
    decisions: ['allow r0 10.1.1.1'],
  },
  {
    // Block wins: with no block, the first allow written decides.
    name: 'block wins without a block: the first allow written decides',
    set: ruleSet('block-wins', ['allow tcp any -> any:1494', 'allow tcp 10.0.0.0/8 -> any:1494', 'allow tcp 10.1.0.0/16 -> any:1494'], { defaults: { inbound: { value: 'deny' } } }),
    flow: 'in tcp 10.1.1.1 -> 10.0.2.5:1494',
    verdict: 'allowed',
    deciding: ['r0'],
    decisions: ['allow r0 10.1.1.1'],
  },
];

const unresolvedRule = rule('allow tcp var:gateway_ip -> any:1494', 0, { unresolved: [{ text: 'var.gateway_ip', reason: 'a variable without a default' }] });

for (const c of CASES) {
  test(`unresolved names: ${c.name}`, () => {
    const set = c.name.includes('could not resolve') ? { ...c.set, rules: [unresolvedRule] } : c.set;
    const result = evaluate(set, flow(c.flow), c.resolve);
    assert.equal(result.verdict, c.verdict, result.reasons.join(' | '));
    assert.deepEqual(result.decidingRules.map((r) => r.id), c.deciding);
    assert.deepEqual(result.decisions.map((d) => `${d.outcome} ${d.rule?.id ?? 'default'} ${d.part.source}`), c.decisions);
    if (c.reason) assert.ok(result.reasons.includes(c.reason), result.reasons.join(' | '));
  });
}
