import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { PlannedRule } from '../../../server/src/generate';
import type { AddressSet } from '../../../server/src/net';
import { formatIPv4 } from '../../../server/src/net';
import { exchange, NetnsPair, netnsUnavailable, type Exchange } from '../../helpers/netns';
import { examplesTopology, generated } from './harness';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * The generated iptables and nftables rule sets loaded into a network
 * namespace, with real TCP/UDP exchanges from a second one: one sample flow
 * per generated rule must get through, and the same peer on a port nobody
 * asked for, or an address that is no peer, must not.
 */
const reason = netnsUnavailable();
const topology = examplesTopology();

/** A usable host address in the set: the network address of a /24 is skipped. */
function hostIn(set: AddressSet): string | undefined {
  const r = set.v4.ranges[0];
  if (!r) return undefined;
  return formatIPv4(r.to > r.from ? r.from + 1 : r.from);
}

interface Sample {
  readonly label: string;
  readonly exchange: Exchange;
  readonly clientIn: 'host' | 'peer';
  readonly expect: boolean;
}

function samples(rules: readonly PlannedRule[], host: string): Sample[] {
  const out: Sample[] = [];
  const outsider = '192.0.2.77';
  for (const rule of rules) {
    const protocol = rule.protocols.find((p): p is 'tcp' | 'udp' => p === 'tcp' || p === 'udp');
    const peer = hostIn(rule.peer);
    const port = rule.ports.ranges[0]?.from;
    if (!protocol || !peer || port === undefined || peer === host) continue;
    const inbound = rule.side === 'inbound';
    const ex = (source: string, destination: string, p: number): Exchange => ({ protocol, source, destination, port: p });
    const name = `${rule.side} ${protocol} ${port} ${rule.peerRoles.join('+')}`;
    out.push({ label: `${name} (allowed)`, exchange: inbound ? ex(peer, host, port) : ex(host, peer, port), clientIn: inbound ? 'peer' : 'host', expect: true });
    if (!rule.ports.has(3389)) out.push({ label: `${name}, port 3389 instead (blocked)`, exchange: inbound ? ex(peer, host, 3389) : ex(host, peer, 3389), clientIn: inbound ? 'peer' : 'host', expect: false });
    if (inbound) out.push({ label: `${name} from ${outsider} (blocked)`, exchange: ex(outsider, host, port), clientIn: 'peer', expect: false });
  }
  // One exchange per (protocol, source, destination, port): the same one sampled twice would race.
  return [...new Map(out.map((s) => [`${s.exchange.protocol} ${s.exchange.source} ${s.exchange.destination} ${s.exchange.port}`, s])).values()];
}

const CASES = [
  { format: 'iptables' as const, role: 'vda', host: '10.10.3.10' },
  { format: 'nftables' as const, role: 'vda', host: '10.10.3.10' },
  { format: 'iptables' as const, role: 'storefront', host: '10.10.1.21' },
  { format: 'nftables' as const, role: 'storefront', host: '10.10.1.21' },
];

for (const c of CASES) {
  test(`kernel: generated ${c.format} for ${c.role} lets the sampled flows through and nothing else`, async (t) => {
    if (reason) return skipOutsideCi(t, `SKIPPED, NOT PASSED: network namespaces are unavailable: ${reason}`);
    const result = generated(c.format, [c.role], topology);
    const list = samples(result.plan.rules, c.host);
    assert.ok(list.filter((s) => s.expect).length >= 3, 'enough flows to sample');
    const hostAddrs = new Set<string>([c.host]);
    const peerAddrs = new Set<string>();
    for (const s of list) {
      (s.clientIn === 'peer' ? peerAddrs : hostAddrs).add(s.exchange.source);
      (s.clientIn === 'peer' ? hostAddrs : peerAddrs).add(s.exchange.destination);
    }
    const pair = NetnsPair.create();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-genk-'));
    try {
      pair.addresses([...hostAddrs], [...peerAddrs]);
      if (c.format === 'iptables') {
        const r = pair.exec(pair.host, 'iptables-legacy-restore', [], result.text);
        assert.equal(r.status, 0, `iptables-restore: ${r.stderr}`);
      } else {
        const file = path.join(dir, 'generated.nft');
        fs.writeFileSync(file, result.text);
        const r = pair.exec(pair.host, 'nft', ['-f', file]);
        assert.equal(r.status, 0, `nft -f: ${r.stderr}`);
      }
      const results = await exchange(pair, list);
      const wrong = list.flatMap((s, i) => (results[i] === s.expect ? [] : [`${s.label}: kernel ${results[i] ? 'let it through' : 'blocked it'}`]));
      t.diagnostic(`${list.length} exchanges (${list.filter((s) => s.expect).length} expected through), ${list.length - wrong.length} as expected`);
      assert.deepEqual(wrong, []);
    } finally {
      pair.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
