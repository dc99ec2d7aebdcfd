// On rule lists of 32 rules or more the evaluator first drops the rules that cannot meet a flow, through an index
// of rules by destination-port block (evaluate.ts `candidates`). The verdicts must be those of the plain reading:
// the first rule, in order, whose protocol, address and port hold the packet, else the chain's policy. Checked
// here against that reading, written out below, on a generated chain of narrow, wide and port-less rules.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { evaluate, flow } from '../../../server/src/analysis/evaluate';
import { initTreeSitter, parseAs } from '../../../server/src/formats';
import type { FormatId } from '../../../server/src/model';

before(async () => {
  await initTreeSitter();
});

interface Written {
  readonly proto: 'tcp' | 'udp' | 'icmp' | 'all';
  readonly net?: number; // 10.<net>.0.0/16 when set
  readonly from?: number;
  readonly to?: number;
  readonly accept: boolean;
}

// A fixed pseudo-random sequence, so a failure names the same chain every run.
function* numbers(seed: number): Generator<number> {
  let x = seed >>> 0;
  for (;;) {
    x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    yield x;
  }
}

function chain(count: number, seed: number): Written[] {
  const r = numbers(seed);
  const next = (n: number): number => r.next().value % n;
  const out: Written[] = [];
  for (let i = 0; i < count; i++) {
    const kind = next(10);
    const accept = next(3) !== 0;
    const net = next(4) === 0 ? undefined : next(6);
    if (kind === 0) out.push({ proto: 'icmp', net, accept });
    else if (kind === 1) out.push({ proto: 'all', net: net ?? 0, accept });
    else {
      const base = 1000 + next(3000);
      // Mostly single ports and short ranges (indexed by block), some wide ranges (always candidates).
      const span = kind === 2 ? 500 + next(20000) : next(4) === 0 ? next(200) : 0;
      out.push({ proto: next(2) ? 'tcp' : 'udp', net, from: base, to: Math.min(65535, base + span), accept });
    }
  }
  return out;
}

function save(rules: readonly Written[]): string {
  const lines = rules.map((w) => {
    const parts = ['-A INPUT'];
    if (w.proto !== 'all') parts.push(`-p ${w.proto}`);
    if (w.net !== undefined) parts.push(`-s 10.${w.net}.0.0/16`);
    if (w.from !== undefined) parts.push(`--dport ${w.from === w.to ? w.from : `${w.from}:${w.to}`}`);
    parts.push(w.accept ? '-j ACCEPT' : '-j DROP');
    return parts.join(' ');
  });
  return ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]', ...lines, 'COMMIT', ''].join('\n');
}

/** The plain reading of the chain for one packet. */
function firstMatch(rules: readonly Written[], proto: 'tcp' | 'udp' | 'icmp', net: number, port: number | undefined): boolean {
  for (const w of rules) {
    if (w.proto !== 'all' && w.proto !== proto) continue;
    if (w.net !== undefined && w.net !== net) continue;
    if (w.from !== undefined && (port === undefined || port < w.from || port > (w.to as number))) continue;
    return w.accept;
  }
  return false;
}

for (const [count, seed] of [[40, 1], [120, 7], [400, 42]] as const) {
  test(`an indexed chain of ${count} rules decides every packet as the first matching rule does (seed ${seed})`, () => {
    const rules = chain(count, seed);
    const ruleSet = parseAs('iptables' as FormatId, save(rules), 'file:///ws/big.rules').ruleSets.find((rs) => rs.name === 'INPUT');
    assert.ok(ruleSet && ruleSet.rules.length === count, 'every generated rule is read');
    const r = numbers(seed * 31 + 5);
    const next = (n: number): number => r.next().value % n;
    let checked = 0;
    for (let i = 0; i < 300; i++) {
      const proto = (['tcp', 'udp', 'icmp'] as const)[next(3)];
      const net = next(7);
      // Half the packets aim at a rule's own ports (its first, last or a middle one, or just outside), so narrow
      // rules are met, not only the wide ones and the policy.
      const aimed = rules[next(rules.length)];
      const edges = aimed.from === undefined ? [next(65536)] : [aimed.from, aimed.to as number, (aimed.from + (aimed.to as number)) >> 1, aimed.from - 1, (aimed.to as number) + 1];
      const port = proto === 'icmp' ? undefined : next(2) === 0 ? Math.max(0, Math.min(65535, edges[next(edges.length)])) : next(4) === 0 ? next(65536) : 900 + next(24000);
      const spec = `inbound ${proto} 10.${net}.3.4 -> 192.0.2.1${port === undefined ? '' : `:${port}`}`;
      const want = firstMatch(rules, proto, net, port) ? 'allowed' : 'denied';
      assert.equal(evaluate(ruleSet, flow(spec)).verdict, want, spec);
      checked++;
    }
    // A port range over many blocks is read without the index; each port of it as the plain reading says.
    for (const [from, to] of [[1000, 1100], [1500, 30000], [0, 65535]] as const) {
      const net = next(7);
      let allowed = 0;
      for (let p = from; p <= to; p++) if (firstMatch(rules, 'tcp', net, p)) allowed++;
      const want = allowed === 0 ? 'denied' : allowed === to - from + 1 ? 'allowed' : 'partial';
      assert.equal(evaluate(ruleSet, flow(`inbound tcp 10.${net}.3.4 -> 192.0.2.1:${from}-${to}`)).verdict, want, `tcp ${from}-${to} from 10.${net}.0.0/16`);
    }
    assert.equal(checked, 300);
  });
}

test('in a long rule list, a rule whose source is not known stays a candidate: the flow it may admit is unknown, not denied', () => {
  const rules = Array.from({ length: 40 }, (_v, i) => [
    '  security_rule {',
    `    name                       = "r${i}"`,
    `    priority                   = ${200 + i}`,
    '    direction                  = "Inbound"',
    '    access                     = "Allow"',
    '    protocol                   = "Tcp"',
    '    source_port_range          = "*"',
    `    destination_port_range     = "${20000 + i}"`,
    `    source_address_prefix      = "10.9.${i}.0/24"`,
    '    destination_address_prefix = "*"',
    '  }',
  ].join('\n'));
  const text = [
    'variable "controllers" {}',
    'resource "azurerm_network_security_group" "vda" {',
    '  name                = "nsg-vda"',
    '  location            = "westeurope"',
    '  resource_group_name = "rg"',
    '  security_rule {',
    '    name                       = "Allow-From-Controllers"',
    '    priority                   = 100',
    '    direction                  = "Inbound"',
    '    access                     = "Allow"',
    '    protocol                   = "Tcp"',
    '    source_port_range          = "*"',
    '    destination_port_range     = "80"',
    '    source_address_prefix      = var.controllers',
    '    destination_address_prefix = "*"',
    '  }',
    ...rules,
    '  security_rule {',
    '    name                       = "Deny-All-Inbound"',
    '    priority                   = 4000',
    '    direction                  = "Inbound"',
    '    access                     = "Deny"',
    '    protocol                   = "*"',
    '    source_port_range          = "*"',
    '    destination_port_range     = "*"',
    '    source_address_prefix      = "*"',
    '    destination_address_prefix = "*"',
    '  }',
    '}',
    '',
  ].join('\n');
  const ruleSet = parseAs('terraform' as FormatId, text, 'file:///ws/vda.tf').ruleSets[0];
  assert.ok(ruleSet.rules.filter((r) => !r.implicit).length >= 41, 'long enough to go through the index');
  const result = evaluate(ruleSet, flow('inbound tcp 10.0.3.10 -> 10.0.2.5:80'));
  assert.equal(result.verdict, 'unknown', result.reasons.join('; '));
  assert.equal(evaluate(ruleSet, flow('inbound tcp 10.0.3.10 -> 10.0.2.5:81')).verdict, 'denied', 'a port no rule opens is denied by Deny-All-Inbound whatever var.controllers holds');
});
