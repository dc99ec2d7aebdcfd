import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, flow, type Verdict } from '../../../server/src/analysis/evaluate';
import { resolveVnet, rule, ruleSet } from '../../helpers/ruleSpec';
import type { RuleSet } from '../../../server/src/model';


const cases: { name: string; set: RuleSet | RuleSet[]; flow: string; verdict: Verdict; deciding?: string[]; opts?: typeof resolveVnet }[] = [
  {
    name: 'first match: allow before deny',
    set: ruleSet('first-match', ['allow tcp 10.0.0.0/8 -> any:1494', 'deny any any -> any']),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'allowed',
    deciding: ['r0'],
  },
  {
    name: 'first match: deny shadows a later allow',
    set: ruleSet('first-match', ['deny tcp any -> any:1494', 'allow tcp 10.0.0.0/8 -> any:1494']),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'denied',
    deciding: ['r0'],
  },
  {
    name: 'first match: TCP allowed, UDP falls to a drop policy → partial',
    set: ruleSet('first-match', ['allow tcp any -> any:2598'], { defaults: { inbound: { value: 'deny' } } }),
    flow: 'in tcp,udp 10.1.1.1 -> 10.2.2.2:2598',
    verdict: 'partial',
  },
  {
    name: 'first match: only part of a port range open',
    set: ruleSet('first-match', ['allow udp any -> any:16500-16504'], { defaults: { inbound: { value: 'deny' } } }),
    flow: 'in udp 10.1.1.1 -> 10.2.2.2:16500-16509',
    verdict: 'partial',
  },
  {
    name: 'first match: only part of the source range allowed',
    set: ruleSet('first-match', ['allow tcp 10.1.0.0/24 -> any:443'], { defaults: { inbound: { value: 'deny' } } }),
    flow: 'in tcp 10.1.0.0/23 -> 10.2.2.2:443',
    verdict: 'partial',
  },
  {
    name: 'first match: a LOG rule does not decide',
    set: ruleSet('first-match', ['log any any -> any', 'deny tcp any -> any:22'], { defaults: { inbound: { value: 'allow' } } }),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:22',
    verdict: 'denied',
    deciding: ['r1'],
  },
  {
    name: 'first match: jump to a user chain, RETURN comes back',
    set: ruleSet('first-match', ['jump:CITRIX tcp any -> any', 'allow tcp any -> any:1494'], {
      defaults: { inbound: { value: 'deny' } },
      chains: { CITRIX: [rule('return tcp 10.0.0.0/8 -> any', 10), rule('deny any any -> any', 11)] },
    }),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'allowed',
    deciding: ['r1'],
  },
  {
    name: 'first match: the user chain drops what it does not return',
    set: ruleSet('first-match', ['jump:CITRIX tcp any -> any', 'allow tcp any -> any:1494'], {
      defaults: { inbound: { value: 'deny' } },
      chains: { CITRIX: [rule('return tcp 10.0.0.0/8 -> any', 10), rule('deny any any -> any', 11)] },
    }),
    flow: 'in tcp 192.168.1.1 -> 10.2.2.2:1494',
    verdict: 'denied',
    deciding: ['r11'],
  },
  {
    name: 'first match: a jump loop is unknown, not a hang',
    set: ruleSet('first-match', ['jump:A any any -> any'], { chains: { A: [rule('jump:A any any -> any', 5)] } }),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'unknown',
  },
  {
    name: 'priority: a deny at a lower number shadows an allow',
    set: ruleSet('priority-first-match', ['allow tcp any -> any:3389 prio 300', 'deny tcp any -> any:3389 prio 200']),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:3389',
    verdict: 'denied',
    deciding: ['r1'],
  },
  {
    name: 'priority: deny wins at equal priority (GCP)',
    set: ruleSet('priority-first-match', ['allow tcp any -> any:1494 prio 1000', 'deny tcp any -> any:1494 prio 1000']),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'denied',
    deciding: ['r1'],
  },
  {
    name: 'priority: service tag unresolved → unknown',
    set: ruleSet('priority-first-match', ['allow any tag:VirtualNetwork -> tag:VirtualNetwork prio 65000', 'deny any any -> any prio 65500']),
    flow: 'in tcp 10.0.1.4 -> 10.0.2.5:2598',
    verdict: 'unknown',
  },
  {
    name: 'priority: AllowVnetInBound lets intra-VNet traffic through once resolved',
    set: ruleSet('priority-first-match', ['allow any tag:VirtualNetwork -> tag:VirtualNetwork prio 65000', 'deny any any -> any prio 65500']),
    flow: 'in tcp 10.0.1.4 -> 10.0.2.5:2598',
    verdict: 'allowed',
    opts: resolveVnet,
  },
  {
    name: 'priority: traffic from outside the VNet meets DenyAllInBound',
    set: ruleSet('priority-first-match', ['allow any tag:VirtualNetwork -> tag:VirtualNetwork prio 65000', 'deny any any -> any prio 65500']),
    flow: 'in tcp 192.0.2.10 -> 10.0.2.5:2598',
    verdict: 'denied',
    deciding: ['r1'],
    opts: resolveVnet,
  },
  {
    name: 'priority: an unknown rule that would allow, above an allow that covers it, is still allowed',
    set: ruleSet('priority-first-match', ['allow tcp sg:sg-123 -> any:443 prio 100', 'allow tcp any -> any:443 prio 200']),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:443',
    verdict: 'allowed',
  },
  {
    name: 'union of allows: any allow suffices',
    set: ruleSet('union-of-allows', ['allow tcp 10.0.0.0/8 -> any:80', 'allow tcp 10.0.0.0/8 -> any:443']),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:80,443',
    verdict: 'allowed',
  },
  {
    name: 'union of allows: no egress rule means no egress',
    set: ruleSet('union-of-allows', ['allow tcp any -> any:443']),
    flow: 'out tcp 10.2.2.2 -> 10.9.9.9:27000',
    verdict: 'denied',
  },
  {
    name: 'block wins over an earlier allow (Windows)',
    set: ruleSet('block-wins', ['allow tcp any -> any:1494', 'deny tcp 10.0.0.0/8 -> any:1494']),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'denied',
    deciding: ['r1'],
  },
  {
    name: 'block wins: outbound allowed by default',
    set: ruleSet('block-wins', ['allow tcp any -> any:1494 prio 1 in']),
    flow: 'out tcp 10.2.2.2 -> 10.9.9.9:27000',
    verdict: 'allowed',
  },
  {
    name: 'stages: every stage must allow',
    set: [
      ruleSet('priority-first-match', ['allow tcp any -> any:1494,2598 prio 100', 'deny any any -> any prio 4096'], { id: 'subnet' }),
      ruleSet('priority-first-match', ['allow tcp any -> any:1494 prio 100', 'deny any any -> any prio 4096'], { id: 'nic' }),
    ],
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494,2598',
    verdict: 'partial',
  },
  {
    name: 'stages: a stage that does not filter the direction is passed',
    set: [
      ruleSet('first-match', ['deny any any -> any out'], { directions: ['outbound'] }),
      ruleSet('first-match', ['allow tcp any -> any:1494'], { directions: ['inbound'], defaults: { inbound: { value: 'deny' } } }),
    ],
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'allowed',
  },
  {
    name: 'ICMP ignores port fields of a rule',
    set: ruleSet('first-match', ['allow icmp any -> any:443'], { defaults: { inbound: { value: 'deny' } } }),
    flow: 'in icmp 10.1.1.1 -> 10.2.2.2',
    verdict: 'allowed',
  },
  {
    name: 'disabled and other-direction rules do not count',
    set: ruleSet('first-match', ['deny tcp any -> any:1494 out', 'allow tcp any -> any:1494'], { defaults: { inbound: { value: 'deny' } } }),
    flow: 'in tcp 10.1.1.1 -> 10.2.2.2:1494',
    verdict: 'allowed',
  },
];

for (const c of cases) {
  test(`evaluate: ${c.name}`, () => {
    const result = evaluate(c.set, flow(c.flow), c.opts);
    assert.equal(result.verdict, c.verdict, `reasons: ${result.reasons.join(' | ')}`);
    if (c.deciding) assert.deepEqual(result.decidingRules.map((r) => r.id), c.deciding);
  });
}

test('evaluate: a rule whose condition never matches a new flow is skipped', () => {
  const established = rule('allow any any -> any', 0, {
    conditions: [{ kind: 'conntrack', text: 'ESTABLISHED,RELATED', effect: 'never-matches-new' }],
  });
  const set = ruleSet('first-match', [], { rules: [established], defaults: { inbound: { value: 'deny' } } });
  assert.equal(evaluate(set, flow('in tcp 10.1.1.1 -> 10.2.2.2:1494')).verdict, 'denied');
});

test('evaluate: a rule with an unknown condition makes the verdict unknown with its reason', () => {
  const iface = rule('allow tcp any -> any:1494', 0, { conditions: [{ kind: 'interface-in', text: '-i ppp+', effect: 'unknown' }] });
  const set = ruleSet('first-match', [], { rules: [iface], defaults: { inbound: { value: 'deny' } } });
  const r = evaluate(set, flow('in tcp 10.1.1.1 -> 10.2.2.2:1494'));
  assert.equal(r.verdict, 'unknown');
  assert.match(r.reasons.join(), /-i ppp\+/);
});
