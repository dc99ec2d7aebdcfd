import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeParsed, parseSource, readTopology, type AnalyzeOptions } from '../../../server/src/analysis/analyze';
import { LineIndex } from '../../../server/src/model';

// One declaration of a machine binds every catalog role it plays (issue 17, item 7): a NetScaler HA node's own
// firewall is checked for the HA flows from its peer, with the machine's own addresses on the protected end.

const TOPOLOGY_URI = 'file:///site/citrix-flows.yaml';

const ADC_PAIR = `roles:
  admin-workstation: [10.9.0.0/24]
machines:
  adc-01:
    netscaler:
      nsip: 10.0.0.10
      snip: 10.0.1.10
      vip: 203.0.113.10
      peer: 10.0.0.11
`;

// The node's own INPUT chain: the HA heartbeat and sync from the peer, administration from the admins.
const NODE_RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
-A INPUT -p udp -s 10.0.0.11 --dport 3003 -j ACCEPT
-A INPUT -p tcp -s 10.0.0.11 --dport 3010 -j ACCEPT
-A INPUT -p tcp -s 10.9.0.0/24 -m multiport --dports 22,80,443,8443 -j ACCEPT
COMMIT
`;

function analyse(text: string, topology: string, options: AnalyzeOptions = {}, file = 'adc/adc-01.rules') {
  const parsed = parseSource({ uri: `file:///site/${file}`, text });
  assert.ok(parsed);
  return analyzeParsed([parsed], readTopology(topology, TOPOLOGY_URI), { workspaceRoot: '/site', reportUnmatchedBindings: false, infer: false, ...options });
}

/** `flow id (protected role, direction): verdict` for the HA flows, the ones the machine makes required. */
function haVerdicts(a: ReturnType<typeof analyse>): string[] {
  return a.required
    .filter((r) => r.flow.id.startsWith('adc.adc-nsip-to-adc.ha'))
    .map((r) => `${r.flow.id.replace('adc.adc-nsip-to-adc.', '')} (${r.role} ${r.direction}): ${r.judgement.verdict}`)
    .sort();
}

const findingsOf = (a: ReturnType<typeof analyse>, text: string, check: string): string[] =>
  a.findings.filter((f) => f.checkId === check).map((f) => `${new LineIndex(text).positionAt(f.span.start).line + 1}: ${f.message.split(':')[0]}`);

// Hand-worked from NODE_RULES: UDP 3003 is open from the peer; TCP 3008 (secure sync, the default over 3010)
// and TCP 22 (rsync, open to the admins only) are not; what the node sends leaves through OUTPUT ACCEPT.
const HA_ON_NODE = [
  'ha-heartbeat (adc inbound): allowed',
  'ha-heartbeat (adc-nsip outbound): allowed',
  'ha-rsync (adc inbound): denied',
  'ha-rsync (adc-nsip outbound): allowed',
  'ha-sync-secure (adc inbound): denied',
  'ha-sync-secure (adc-nsip outbound): allowed',
];

test('a NetScaler HA node, named by its machine in an annotation, gets the HA flows from its peer only', () => {
  const text = `# citrix-role: adc-01\n${NODE_RULES}`;
  const a = analyse(text, ADC_PAIR);
  const input = a.binding.bound.find((b) => b.ruleSet.name.includes('INPUT'));
  assert.deepEqual(input?.roles, ['adc-nsip', 'adc', 'gateway-snip', 'gateway']);
  assert.equal(input?.machine, 'adc-01');
  assert.deepEqual(haVerdicts(a), HA_ON_NODE);
  // The heartbeat is allowed from the peer only, which is all it needs: the node never sends it to itself.
  const heartbeat = a.required.find((r) => r.flow.id === 'adc.adc-nsip-to-adc.ha-heartbeat' && r.direction === 'inbound');
  assert.equal(heartbeat?.query.source.toString(), '10.0.0.11');
  assert.equal(heartbeat?.query.destination.toString(), '10.0.0.10, 10.0.1.10, 203.0.113.10', 'the appliance is each of its own addresses, not the peer');
  assert.deepEqual(findingsOf(a, text, 'partial-flow'), []);
  assert.deepEqual(
    findingsOf(a, text, 'missing-flow').filter((f) => /3008|TCP 22 .*HA|22 blocked/.test(f)),
    ['3: TCP 3008 blocked by the INPUT policy DROP (line 3)', '3: TCP 22 blocked by the INPUT policy DROP (line 3)'],
  );
});

test('the same node by --role with the machine name, and by a binding naming it', () => {
  assert.deepEqual(haVerdicts(analyse(NODE_RULES, ADC_PAIR, { commandLineRoles: ['adc-01'] })), HA_ON_NODE);
  const bound = `${ADC_PAIR}bindings:\n  - files: "adc/*.rules"\n    roles: [adc-01]\n`;
  assert.deepEqual(haVerdicts(analyse(NODE_RULES, bound)), HA_ON_NODE);
});

test('without a peer, or with ha switched off in features, no HA flow is required', () => {
  const text = `# citrix-role: adc-01\n${NODE_RULES}`;
  assert.deepEqual(haVerdicts(analyse(text, ADC_PAIR.replace('      peer: 10.0.0.11\n', ''))), []);
  assert.deepEqual(haVerdicts(analyse(text, `${ADC_PAIR}features: { ha: false }\n`)), []);
  // The HA ports the node opens are then not needed, and said so.
  const unneeded = findingsOf(analyse(text, `${ADC_PAIR}features: { ha: false }\n`), text, 'unneeded-citrix-port');
  assert.ok(unneeded.some((f) => f.startsWith('8:')) && unneeded.some((f) => f.startsWith('9:')), JSON.stringify(unneeded));
});

test('naming the role instead of the machine checks the role alone, as before', () => {
  // The NSIP sends the HA traffic; the appliance (role adc) receives it, so only the sending side is checked.
  const a = analyse(`# citrix-role: adc-nsip\n${NODE_RULES}`, ADC_PAIR);
  assert.deepEqual(haVerdicts(a), ['ha-heartbeat (adc-nsip outbound): allowed', 'ha-rsync (adc-nsip outbound): allowed', 'ha-sync-secure (adc-nsip outbound): allowed']);
  assert.equal(a.binding.bound.find((b) => b.ruleSet.name.includes('INPUT'))?.machine, undefined);
});

test('a controller that is also the License Server: one machine, both roles, its own address protected', () => {
  const topology = `roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\nmachines:\n  ddc-01:\n    roles: [delivery-controller, license-server]\n    addresses: [10.0.3.11]\n`;
  const host = `# citrix-role: ddc-01\n*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -s 10.0.2.0/24 --dport 80 -j ACCEPT\n-A INPUT -p tcp -s 10.0.3.10 -m multiport --dports 27000,7279 -j ACCEPT\nCOMMIT\n`;
  const a = analyse(host, topology, {}, 'ddc-01.rules');
  const input = a.binding.bound.find((b) => b.ruleSet.name.includes('INPUT'));
  assert.deepEqual(input?.roles, ['delivery-controller', 'license-server']);
  // The other controller's licence check-out reaches this host; the host does not check out from itself.
  const licence = a.required.find((r) => r.role === 'license-server' && r.peerRole === 'any-citrix-component' && r.flow.ports.some((p) => p.from === 27000));
  assert.equal(licence?.query.source.toString(), '10.0.3.10');
  assert.equal(licence?.query.destination.toString(), '10.0.3.11');
  assert.equal(licence?.judgement.verdict, 'allowed');
  // VDA registration with this controller (TCP 80 from the VDAs) is checked against this host's address.
  const registration = a.required.find((r) => r.role === 'delivery-controller' && r.peerRole === 'vda' && r.flow.ports.some((p) => p.from === 80));
  assert.equal(registration?.query.destination.toString(), '10.0.3.11');
  assert.equal(registration?.judgement.verdict, 'allowed');
  // Controller-to-controller traffic comes from the other controller only, and this host does not open it.
  const peers = a.required.filter((r) => r.flow.id.startsWith('cvad.delivery-controller-to-delivery-controller.') && r.direction === 'inbound');
  assert.ok(peers.length > 0);
  for (const r of peers) assert.equal(`${r.query.source} -> ${r.query.destination}: ${r.judgement.verdict}`, '10.0.3.10 -> 10.0.3.11: denied', r.flow.id);
});

test('an annotation naming an undeclared machine is an unknown role', () => {
  const a = analyse(`# citrix-role: adc-02\n${NODE_RULES}`, ADC_PAIR);
  const unknown = a.findings.filter((f) => f.checkId === 'unknown-role').map((f) => f.message);
  assert.equal(unknown.length, 1);
  assert.match(unknown[0], /Unknown role "adc-02"/);
});
