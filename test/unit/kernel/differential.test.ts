import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { flow } from '../../../server/src/analysis/evaluate';
import { parseIptables } from '../../../server/src/formats/iptables';
import { parseNftables } from '../../../server/src/formats/nftables';
import type { ParsedFile } from '../../../server/src/model';
import { exchange, NetnsPair, netnsUnavailable, type Exchange } from '../../helpers/netns';
import { fixtureFlows, isInvalidFixture, kernelSkipReason, readFixtures, verdictOf } from './fixtureFlows';
import { asRestoreInput, asScript, extractCommands, isIpv6SaveFile } from './load';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * Differential test against the Linux kernel: each fixture is loaded into a
 * network namespace, real TCP/UDP exchanges are made from a second one over
 * a veth pair, and an exchange must succeed exactly when the evaluator says
 * the flow is allowed. Flows the evaluator calls partial or unknown cannot
 * be compared and are counted apart.
 *
 * What is compared is the first packet of a new connection in the tested
 * direction, so before the exchanges an "established, related → accept"
 * rule is put first in every filter chain: replies then pass whatever the
 * other direction's chain says, as the evaluator assumes.
 */
const reason = netnsUnavailable();
const tally = { cases: 0, agreements: 0, notComparable: 0, notKernelTestable: 0 };

interface Case {
  readonly spec: string;
  readonly verdict: string;
  readonly exchange: Exchange;
  readonly clientIn: 'host' | 'peer';
}

function casesFor(parsed: ParsedFile, specs: readonly string[]): Case[] {
  const out: Case[] = [];
  for (const spec of specs) {
    const m = /^(in|out)\s+(tcp|udp)\s+([0-9a-f.:]+)\s*->\s*\[?([0-9a-f.:]+?)\]?:(\d+)$/i.exec(spec.trim());
    const q = flow(spec);
    const single = (a: string): boolean =>
      !/^(0\.0\.0\.0|255\.255\.255\.255)$/.test(a) && (q.source.toStrings().length === 1 || a.includes(':'));
    if (!m || !single(m[3]) || !single(m[4])) {
      tally.notKernelTestable++;
      continue;
    }
    const verdict = verdictOf(parsed, spec).verdict;
    if (verdict !== 'allowed' && verdict !== 'denied') {
      tally.notComparable++;
      continue;
    }
    out.push({
      spec,
      verdict,
      exchange: { protocol: m[2] as 'tcp' | 'udp', source: m[3], destination: m[4], port: Number(m[5]) },
      clientIn: m[1] === 'in' ? 'peer' : 'host',
    });
  }
  return out;
}

/** Addresses each side needs; an address needed on both sides makes its flows untestable in one setup. */
function placeAddresses(cases: Case[]): { host: string[]; peer: string[]; usable: Case[] } {
  const host = new Set<string>();
  const peer = new Set<string>();
  for (const c of cases) {
    (c.clientIn === 'host' ? host : peer).add(c.exchange.source);
    (c.clientIn === 'host' ? peer : host).add(c.exchange.destination);
  }
  const clash = new Set([...host].filter((a) => peer.has(a)));
  const usable = cases.filter((c) => !clash.has(c.exchange.source) && !clash.has(c.exchange.destination));
  tally.notKernelTestable += cases.length - usable.length;
  const h = new Set<string>();
  const p = new Set<string>();
  for (const c of usable) {
    (c.clientIn === 'host' ? h : p).add(c.exchange.source);
    (c.clientIn === 'host' ? p : h).add(c.exchange.destination);
  }
  return { host: [...h], peer: [...p], usable };
}

function nsRun(pair: NetnsPair, script: string, cwd?: string): void {
  const r = spawnSync('ip', ['netns', 'exec', pair.host, 'sh', '-c', script], { encoding: 'utf8', timeout: 15_000, cwd });
  if (r.status !== 0) throw new Error(`loading the rules failed: ${r.stderr}`);
}

const ESTABLISHED_IPT = ['INPUT', 'OUTPUT', 'FORWARD']
  .flatMap((c) => ['iptables-legacy', 'ip6tables-legacy'].map((b) => `${b} -I ${c} 1 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`))
  .join('\n');

function loadIptables(pair: NetnsPair, file: string, text: string): void {
  if (file.endsWith('.sh')) {
    const { script, cleanup } = asScript(extractCommands(text, 'iptables').commands);
    try {
      nsRun(pair, script);
    } finally {
      cleanup();
    }
  } else {
    const bin = isIpv6SaveFile(text) ? 'ip6tables-legacy-restore' : 'iptables-legacy-restore';
    const r = pair.exec(pair.host, bin, [], asRestoreInput(text));
    if (r.status !== 0) throw new Error(`${bin}: ${r.stderr}`);
  }
  nsRun(pair, ESTABLISHED_IPT);
}

function loadNftables(pair: NetnsPair, file: string, text: string, parsed: ParsedFile): void {
  if (file.endsWith('.sh')) {
    const { script, cleanup } = asScript(extractCommands(text, 'nft').commands);
    try {
      nsRun(pair, script);
    } finally {
      cleanup();
    }
  } else nsRun(pair, `nft -f '${path.basename(file)}'`, path.dirname(file));
  const inserts = parsed.ruleSets
    .filter((rs) => rs.directions.length > 0 && rs.meta?.evaluated !== 'false')
    .map((rs) => `nft insert rule ${rs.meta?.family} ${rs.meta?.table} ${rs.meta?.chain} ct state established,related accept`);
  if (inserts.length) nsRun(pair, inserts.join('\n'));
}

const fixtures = [
  ...readFixtures('iptables').map((f) => ({ ...f, format: 'iptables' as const })),
  ...readFixtures('nftables').map((f) => ({ ...f, format: 'nftables' as const })),
];

for (const { file, text, format } of fixtures) {
  const name = `${format}/${path.basename(file)}`;
  test(`kernel agrees with the evaluator: ${name}`, async (t) => {
    if (reason) return skipOutsideCi(t, `SKIPPED, NOT PASSED: network namespaces are unavailable: ${reason}`);
    if (isInvalidFixture(file)) return t.skip('invalid fixture: the kernel tools reject it (see the validation test)');
    const parsed = format === 'iptables' ? parseIptables(text, file) : parseNftables(text, file);
    const why = kernelSkipReason(parsed);
    if (why) return t.skip(`not a host-testable fixture: ${why}`);
    const { host, peer, usable } = placeAddresses(casesFor(parsed, fixtureFlows(parsed).map((f) => f.spec)));
    if (usable.length === 0) return t.skip('no flow here can be exchanged between two hosts');
    const pair = NetnsPair.create();
    try {
      pair.addresses(host, peer);
      if (format === 'iptables') loadIptables(pair, file, text);
      else loadNftables(pair, file, text, parsed);
      const results = await exchange(pair, usable);
      const disagreements: string[] = [];
      usable.forEach((c, i) => {
        tally.cases++;
        const kernelAllowed = results[i];
        if (kernelAllowed === (c.verdict === 'allowed')) tally.agreements++;
        else disagreements.push(`${c.spec}: evaluator ${c.verdict}, kernel ${kernelAllowed ? 'let it through' : 'blocked it'}`);
      });
      t.diagnostic(`${usable.length} flows exchanged, ${usable.length - disagreements.length} agree`);
      assert.deepEqual(disagreements, []);
    } finally {
      pair.destroy();
    }
  });
}

// ---------------------------------------------------------------------------
// Randomized: generated rule lists written both as iptables-save and as nft,
// checked against the kernel with a fixed seed and a bounded count.

const SEED = 20240611;
const CASES = 30;
const PORTS = [22, 80, 443, 1494];
const CLIENTS = ['10.200.0.1', '10.200.0.3'];
const SERVER = '10.200.0.2';

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

interface GenRule {
  proto?: 'tcp' | 'udp';
  ports?: number[];
  negPorts?: boolean;
  source?: string;
  negSource?: boolean;
  action: 'accept' | 'drop' | 'reject' | 'log';
}

function generate(rand: () => number): { policy: 'accept' | 'drop'; rules: GenRule[] } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const rules: GenRule[] = [];
  const n = 1 + Math.floor(rand() * 5);
  for (let i = 0; i < n; i++) {
    const r: GenRule = { action: pick(['accept', 'drop', 'reject', 'log'] as const) };
    if (rand() < 0.8) r.proto = pick(['tcp', 'udp'] as const);
    if (r.proto && rand() < 0.8) {
      r.ports = [...new Set([pick(PORTS), ...(rand() < 0.4 ? [pick(PORTS)] : [])])].sort((a, b) => a - b);
      r.negPorts = rand() < 0.2;
    }
    if (rand() < 0.4) {
      r.source = pick([...CLIENTS, '10.200.0.0/30']);
      r.negSource = rand() < 0.3;
    }
    rules.push(r);
  }
  return { policy: pick(['accept', 'drop'] as const), rules };
}

function toIptables(g: ReturnType<typeof generate>): string {
  const lines = ['*filter', `:INPUT ${g.policy.toUpperCase()} [0:0]`, ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (const r of g.rules) {
    const parts = ['-A INPUT'];
    if (r.source) parts.push(`${r.negSource ? '! ' : ''}-s ${r.source}`);
    if (r.proto) parts.push(`-p ${r.proto}`);
    if (r.ports) parts.push(r.ports.length > 1 ? `-m multiport ${r.negPorts ? '! ' : ''}--dports ${r.ports.join(',')}` : `${r.negPorts ? '! ' : ''}--dport ${r.ports[0]}`);
    parts.push(`-j ${r.action === 'log' ? 'LOG' : r.action === 'reject' ? 'REJECT' : r.action.toUpperCase()}`);
    lines.push(parts.join(' '));
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

function toNft(g: ReturnType<typeof generate>): string {
  const lines = ['table inet gen {', '  chain input {', `    type filter hook input priority 0; policy ${g.policy};`];
  for (const r of g.rules) {
    const parts: string[] = [];
    if (r.source) parts.push(`ip saddr ${r.negSource ? '!= ' : ''}${r.source}`);
    if (r.proto && !r.ports) parts.push(`meta l4proto ${r.proto}`);
    if (r.proto && r.ports) parts.push(`${r.proto} dport ${r.negPorts ? '!= ' : ''}${r.ports.length > 1 ? `{ ${r.ports.join(', ')} }` : r.ports[0]}`);
    parts.push(r.action === 'log' ? 'log' : r.action);
    lines.push(`    ${parts.join(' ')}`);
  }
  lines.push('  }', '}', '');
  return lines.join('\n');
}

test(`kernel agrees with the evaluator on ${CASES} generated rule sets (seed ${SEED})`, async (t) => {
  if (reason) return skipOutsideCi(t, `SKIPPED, NOT PASSED: network namespaces are unavailable: ${reason}`);
  const rand = prng(SEED);
  const pair = NetnsPair.create();
  let cases = 0;
  let agreements = 0;
  const disagreements: string[] = [];
  try {
    pair.addresses([SERVER], CLIENTS);
    for (let k = 0; k < CASES; k++) {
      const g = generate(rand);
      const asNft = k % 2 === 1;
      const text = asNft ? toNft(g) : toIptables(g);
      const parsed = asNft ? parseNftables(text, `gen${k}.nft`) : parseIptables(text, `gen${k}.rules`);
      assert.deepEqual(parsed.problems, [], text);
      nsRun(pair, 'nft flush ruleset; iptables-legacy -F; iptables-legacy -P INPUT ACCEPT');
      if (asNft) {
        const r = pair.exec(pair.host, 'nft', ['-f', '-'], text);
        assert.equal(r.status, 0, r.stderr);
        nsRun(pair, 'nft insert rule inet gen input ct state established,related accept');
      } else {
        const r = pair.exec(pair.host, 'iptables-legacy-restore', [], text);
        assert.equal(r.status, 0, r.stderr);
        nsRun(pair, 'iptables-legacy -I INPUT 1 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT');
      }
      const specs: string[] = [];
      for (let f = 0; f < 4; f++) {
        const proto = rand() < 0.5 ? 'tcp' : 'udp';
        specs.push(`in ${proto} ${CLIENTS[Math.floor(rand() * 2)]} -> ${SERVER}:${PORTS[Math.floor(rand() * PORTS.length)]}`);
      }
      const items = casesFor(parsed, specs);
      const results = await exchange(pair, items);
      items.forEach((c, i) => {
        cases++;
        if (results[i] === (c.verdict === 'allowed')) agreements++;
        else disagreements.push(`case ${k} (${asNft ? 'nft' : 'iptables'}) ${c.spec}: evaluator ${c.verdict}, kernel ${results[i] ? 'allowed' : 'blocked'}\n${text}`);
      });
    }
  } finally {
    pair.destroy();
  }
  tally.cases += cases;
  tally.agreements += agreements;
  t.diagnostic(`randomized: ${cases} cases, ${agreements} agreements`);
  assert.deepEqual(disagreements, []);
});

test('kernel differential totals', (t) => {
  if (reason) return skipOutsideCi(t, `SKIPPED, NOT PASSED: ${reason}`);
  t.diagnostic(
    `cases ${tally.cases}, agreements ${tally.agreements}; not comparable (partial/unknown) ${tally.notComparable}; not kernel-testable flows ${tally.notKernelTestable}`,
  );
  assert.equal(tally.agreements, tally.cases);
});
