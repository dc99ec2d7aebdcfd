// An unresolved name that only chooses between rules ending the same way cannot change the verdict: the evaluator
// decides each name both ways (evaluateBranches). Every verdict and reason below is worked out by hand from the
// rules, in priority order; the reason says which rule decides in which case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { rule, ruleSet } from '../../helpers/ruleSpec';
import type { RuleSet } from '../../../server/src/model';

const FLOW = 'in tcp 10.0.1.4 -> 10.0.2.5:1494';
const nsg = (specs: string[], more: Partial<RuleSet> = {}): RuleSet => ruleSet('priority-first-match', [...specs, 'deny any any -> any prio 65500'], more);
/** n names, each an allow then a deny of its own: in N0 the first allow decides, else the next pair, else the last allow. */
const pairs = (n: number): string[] => Array.from({ length: n }, (_, i) => [`allow tcp tag:N${i} -> any:1494 prio ${100 + 2 * i}`, `deny tcp tag:N${i} -> any:1494 prio ${101 + 2 * i}`]).flat();
/** Rules that meet the flow but come after the rules that decide it (priority 1000 on): looked at, never reached. */
const filler = (n: number): string[] => Array.from({ length: n }, (_, i) => `allow tcp 10.0.1.0/24 -> any:1494 prio ${1000 + i}`);

const disabled = rule('deny tcp tag:Q -> any:1494 prio 50', 99, { enabled: { value: false } });

const CASES: { name: string; set: RuleSet; verdict: Verdict; deciding: string[]; reason: string }[] = [
  {
    // In X: r0 allows first. Not in X: r1 (deny from X) does not match, r2 allows. Allowed both ways.
    name: 'one name, allowed whichever way',
    set: nsg(['allow tcp tag:X -> any:1494 prio 100', 'deny tcp tag:X -> any:1494 prio 200', 'allow tcp any -> any:1494 prio 300']),
    verdict: 'allowed',
    deciding: ['r0', 'r2'],
    reason: 'X (source) is not resolved; whichever way, the flow is allowed: by r0 when the source is in X; by r2 when the source is not in X',
  },
  {
    // In X: r0 denies. Not in X: r1 does not match, the last deny does. Denied both ways.
    name: 'one name, denied whichever way',
    set: nsg(['deny tcp tag:X -> any:1494 prio 100', 'allow tcp tag:X -> any:1494 prio 200']),
    verdict: 'denied',
    deciding: ['r0', 'r2'],
    reason: 'X (source) is not resolved; whichever way, the flow is denied: by r0 when the source is in X; by r2 when the source is not in X',
  },
  {
    // No last deny rule: where no rule decides, the rule set's default (deny) does, and the reason says so.
    name: 'the default decides one way',
    set: ruleSet('priority-first-match', ['deny tcp tag:X -> any:1494 prio 100', 'allow tcp tag:X -> any:1494 prio 200'], { defaults: { inbound: { value: 'deny' } } }),
    verdict: 'denied',
    deciding: ['r0'],
    reason: 'X (source) is not resolved; whichever way, the flow is denied: by r0 when the source is in X; by the default when the source is not in X',
  },
  {
    // As the first case; the outbound rule's Z and the disabled rule's Q are no names this inbound flow depends on.
    name: 'names of rules of the other direction and of disabled rules are not branched on',
    set: nsg(['allow tcp tag:X -> any:1494 prio 100', 'deny tcp tag:Z -> any:1494 prio 150 out', 'deny tcp tag:X -> any:1494 prio 200', 'allow tcp any -> any:1494 prio 300']),
    verdict: 'allowed',
    deciding: ['r0', 'r3'],
    reason: 'X (source) is not resolved; whichever way, the flow is allowed: by r0 when the source is in X; by r3 when the source is not in X',
  },
  {
    name: 'a name on the destination side',
    set: nsg(['allow tcp any -> tag:Web:1494 prio 100', 'deny tcp any -> tag:Web:1494 prio 200', 'allow tcp any -> any:1494 prio 300']),
    verdict: 'allowed',
    deciding: ['r0', 'r2'],
    reason: 'Web (destination) is not resolved; whichever way, the flow is allowed: by r0 when the destination is in Web; by r2 when the destination is not in Web',
  },
  {
    // Azure's pattern: a deny from VirtualNetwork above AllowVnetInBound. Both ends in VirtualNetwork: r0 denies.
    // Source outside: r1 (VNet to VNet) does not match, r2 denies. Destination outside: r1 cannot match whatever
    // the source, and r2 denies for certain — one case for both sources, so "by r2" has no condition of its own.
    name: 'the same name on both sides is two names',
    set: nsg(['deny tcp tag:VirtualNetwork -> any:1494 prio 100', 'allow any tag:VirtualNetwork -> tag:VirtualNetwork prio 65000']),
    verdict: 'denied',
    deciding: ['r0', 'r2'],
    reason:
      'VirtualNetwork (source), VirtualNetwork (destination) are not resolved; whichever way, the flow is denied: by r0 when the source is in VirtualNetwork and the destination is in VirtualNetwork; by r2',
  },
  {
    // Five names: in N0 r0 allows; else in N1 r2; … ; in none, r10 (allow any). Every way allowed.
    name: 'five names, the most that are branched on',
    set: nsg([...pairs(5), 'allow tcp any -> any:1494 prio 300']),
    verdict: 'allowed',
    deciding: ['r0', 'r2', 'r4', 'r6', 'r8', 'r10'],
    reason:
      'N0 (source), N1 (source), N2 (source), N3 (source), N4 (source) are not resolved; whichever way, the flow is allowed: by r0 when the source is in N0; ' +
      'by r2 when the source is not in N0 and the source is in N1; by r4 when the source is not in N0 and the source is not in N1 and the source is in N2; ' +
      'by r6 when the source is not in N0 and the source is not in N1 and the source is not in N2 and the source is in N3; ' +
      'by r8 when the source is not in N0 and the source is not in N1 and the source is not in N2 and the source is not in N3 and the source is in N4; ' +
      'by r10 when the source is not in N0 and the source is not in N1 and the source is not in N2 and the source is not in N3 and the source is not in N4',
  },
  {
    // Six names would be 64 evaluations: left unknown, with the first rule that may match.
    name: 'six names: unknown, not branched on',
    set: nsg([...pairs(6), 'allow tcp any -> any:1494 prio 300']),
    verdict: 'unknown',
    deciding: ['r1'],
    reason: 'rule r1 may match: unresolved N0',
  },
  {
    // In X: r0 allows. Not in X: r1 (from X) does not match, r2 denies. The verdict turns on X: unknown, and r0
    // is the rule that may or may not match.
    name: 'a name that changes the verdict stays unknown',
    set: nsg(['allow tcp tag:X -> any:1494 prio 100', 'deny tcp tag:X -> any:1494 prio 200']),
    verdict: 'unknown',
    deciding: ['r0'],
    reason: 'rule r0 may match: unresolved X',
  },
  {
    // 1,996 filler rules (r0–r1995), the three of the first case (r1996–r1998) and the last deny: 2,000 rules meet
    // the flow, the most that are looked at for names.
    name: '2,000 rules that meet the flow are looked at for names',
    set: nsg([...filler(1996), 'allow tcp tag:X -> any:1494 prio 100', 'deny tcp tag:X -> any:1494 prio 200', 'allow tcp any -> any:1494 prio 300']),
    verdict: 'allowed',
    deciding: ['r1996', 'r1998'],
    reason: 'X (source) is not resolved; whichever way, the flow is allowed: by r1996 when the source is in X; by r1998 when the source is not in X',
  },
  {
    // One filler more: 2,001 rules meet the flow, past the bound it is left unknown. Unbranched, the part outside
    // r1997's X goes on to r1998, which may deny it (X again) before r1999 allows the rest: r1998 is what is unknown.
    name: 'past 2,000 rules that meet the flow, no branching',
    set: nsg([...filler(1997), 'allow tcp tag:X -> any:1494 prio 100', 'deny tcp tag:X -> any:1494 prio 200', 'allow tcp any -> any:1494 prio 300']),
    verdict: 'unknown',
    deciding: ['r1998'],
    reason: 'rule r1998 may match: unresolved X',
  },
];

for (const c of CASES) {
  test(`branches: ${c.name}`, () => {
    const set = c.name.includes('disabled') ? { ...c.set, rules: [...c.set.rules, disabled] } : c.set;
    const result = evaluate(set, flow(FLOW));
    assert.equal(result.verdict, c.verdict, result.reasons.join(' | '));
    assert.deepEqual(result.decidingRules.map((r) => r.id), c.deciding);
    assert.equal(result.reasons[0], c.reason);
  });
}
