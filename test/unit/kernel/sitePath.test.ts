import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { pathHops, walkPath } from '../../../server/src/analysis/sitePath';
import { parseAs } from '../../../server/src/formats';
import { AddressSet, Ports, Protocols, TCP, UDP } from '../../../server/src/net';
import { exchangeAcross, NetnsChain, netnsUnavailable } from '../../helpers/netns';
import { fixturePath } from '../../helpers/fixtures';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * The path verdicts against the Linux kernel: a user, a router and a VDA in
 * three network namespaces, the router's FORWARD chain and the VDA's INPUT
 * chain loaded from the site fixture with the real iptables-legacy-restore.
 * A real exchange from the user to the VDA must succeed exactly when the
 * walk through both hops says allowed. The expected verdicts are worked by
 * hand from the two files as well, so a walk and a kernel that agree on a
 * wrong answer still fail.
 */
const SITE = fixturePath('sites', 'kernel-path');
const USER = '10.60.0.5';
const VDA = '10.0.2.15';

const CASES: readonly { protocol: 'tcp' | 'udp'; port: number; verdict: 'allowed' | 'denied'; why: string }[] = [
  { protocol: 'tcp', port: 1494, verdict: 'allowed', why: 'router multiport 443,1494,2598; VDA multiport 1494,2598,8008' },
  { protocol: 'tcp', port: 2598, verdict: 'allowed', why: 'both list 2598' },
  { protocol: 'tcp', port: 443, verdict: 'denied', why: 'the router forwards 443, the VDA has no rule for it and drops by policy' },
  { protocol: 'tcp', port: 8008, verdict: 'denied', why: 'the VDA accepts 8008, the router never forwards it' },
  { protocol: 'udp', port: 1494, verdict: 'denied', why: 'the VDA accepts UDP 1494, the router forwards only UDP 2598' },
  { protocol: 'udp', port: 2598, verdict: 'allowed', why: 'both accept UDP 2598' },
];

function walkFor(protocol: 'tcp' | 'udp', port: number) {
  const read = (name: string): string => fs.readFileSync(path.join(SITE, name), 'utf8');
  const topology = readTopology(read('citrix-flows.yaml'), 'file:///site/citrix-flows.yaml');
  const files = ['router.rules', 'vda.rules'].map((n) => parseAs('iptables', read(n), `file:///site/${n}`));
  const analysis = analyzeParsed(files, topology, { workspaceRoot: '/site' });
  const query = {
    protocols: Protocols.of(protocol === 'tcp' ? TCP : UDP),
    source: (AddressSet.parse(USER) as { ok: true; value: AddressSet }).value,
    destination: (AddressSet.parse(VDA) as { ok: true; value: AddressSet }).value,
    destinationPorts: Ports.single(port),
  };
  const { hops } = pathHops({ files: analysis.files, bound: analysis.binding.bound, guarding: analysis.guarding, topology: analysis.topology }, query);
  return walkPath(hops, query, {});
}

test('site path: the walk through router and VDA, worked by hand', () => {
  for (const c of CASES) {
    const walk = walkFor(c.protocol, c.port);
    assert.deepEqual(
      walk.hops.map((h) => `${h.hop.file.uri.replace('file:///site/', '')} ${h.hop.place}`),
      ['router.rules between', 'vda.rules destination-host'],
      'the router between the networks, then the VDA itself',
    );
    assert.equal(walk.verdict, c.verdict, `${c.protocol} ${c.port}: ${c.why}`);
  }
});

test('site path: real exchanges across three namespaces agree with the walk', async (t) => {
  const reason = netnsUnavailable();
  if (reason) {
    skipOutsideCi(t, reason);
    return;
  }
  const chain = NetnsChain.create('10.60.0', '10.0.2', 5, 15);
  try {
    for (const [ns, file] of [[chain.router, 'router.rules'], [chain.server, 'vda.rules']] as const) {
      const loaded = chain.restore(ns, fs.readFileSync(path.join(SITE, file), 'utf8'));
      assert.equal(loaded.status, 0, `iptables-legacy-restore ${file}: ${loaded.stderr}`);
    }
    const items = CASES.map((c) => ({ exchange: { protocol: c.protocol, source: USER, destination: VDA, port: c.port }, clientNs: chain.user, serverNs: chain.server }));
    const got = await exchangeAcross(items);
    CASES.forEach((c, i) => {
      assert.equal(got[i], walkFor(c.protocol, c.port).verdict === 'allowed', `${c.protocol} ${c.port}: the kernel ${got[i] ? 'passed' : 'dropped'} it (${c.why})`);
    });
  } finally {
    chain.destroy();
  }
});
