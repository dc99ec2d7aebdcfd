import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { readTopology } from '../../../server/src/analysis/analyze';
import { flowsComment, planRules } from '../../../server/src/generate';
import { loadCatalog } from '../../../server/src/catalog';
import { initTreeSitter } from '../../../server/src/formats';
import { GENERATE_FORMATS, type GenerateFormat } from '../../../server/src/generate/skeletons';
import { emptyTopology } from '../../../server/src/topology';
import { checkGenerated, examplesTopology, generated, reparse } from './harness';

before(async () => {
  await initTreeSitter();
});

const examples = examplesTopology();

/** The Gateway SNIP is present but its addresses are not declared; the users' LAN is. */
const partial = readTopology(
  ['roles:', '  vda: [10.1.0.0/24]', '  gateway-snip: {}', '  workspace-app: [10.2.0.0/16]', 'features:', '  edt: true', ''].join('\n'),
  'file:///site/citrix-flows.yaml',
);

const PLACEHOLDER: Record<GenerateFormat, RegExp> = {
  'terraform-azure': /var\.citrix_gateway_snip_addresses/,
  'terraform-aws': /var\.citrix_gateway_snip_addresses/,
  'terraform-aws-nacl': /cidr_block\s*= var\.citrix_gateway_snip_cidr/,
  'terraform-gcp': /var\.citrix_gateway_snip_addresses/,
  bicep: /param citrixGatewaySnipAddresses array/i,
  arm: /\[parameters\('citrixGatewaySnipAddresses'\)\]/i,
  iptables: /--match-set citrix-gateway-snip src/,
  nftables: /ip saddr @citrix_gateway_snip/,
  asa: /object-group network CITRIX-GATEWAY-SNIP\b/,
  'windows-firewall': /-RemoteAddress \$CitrixGatewaySnipAddresses/,
  cloudformation: /CidrIp: !Ref CitrixGatewaySnipAddresses/i,
  'cloudformation-nacl': /CidrBlock: !Ref CitrixGatewaySnipAddresses/i,
  netscaler: /-srcIPDataset CITRIX-GATEWAY-SNIP\b/,
};

for (const format of GENERATE_FORMATS) {
  test(`${format}: an undeclared peer becomes a marked placeholder, never "any"`, () => {
    const result = generated(format, ['vda'], partial);
    assert.deepEqual(result.plan.placeholders, ['gateway-snip']);
    assert.match(result.text, PLACEHOLDER[format]);
    const file = reparse(result);
    assert.deepEqual(file.problems.filter((p) => p.severity === 'error').map((p) => p.message), []);
    // Every written allow for a Citrix port names its source: addresses or the placeholder, not everyone.
    const open = file.ruleSets.flatMap((rs) => rs.rules).filter((r) => !r.implicit && r.target.kind === 'allow' && r.direction === 'inbound' && !r.destinationPorts.value.isFull && r.source.value.isAny);
    assert.deepEqual(open.map((r) => r.raw), []);
    // The declared peer still gets its rules allowed outright; the placeholder's flows are unknown until filled in.
    const { required } = checkGenerated(file, partial, ['vda']).analysis;
    const users = required.filter((c) => c.peerRole === 'workspace-app');
    assert.ok(users.length > 0);
    assert.deepEqual(users.filter((c) => c.result.verdict !== 'allowed').map((c) => c.flow.id), []);
    assert.ok(required.filter((c) => c.peerRole === 'gateway-snip').every((c) => c.result.verdict !== 'denied'));
  });
}

test('--direction in and out plan only that side, and host skeletons leave the other side open', () => {
  const inOnly = generated('iptables', ['vda'], examples, 'in');
  assert.ok(inOnly.plan.rules.length > 0 && inOnly.plan.rules.every((r) => r.side === 'inbound'));
  assert.match(inOnly.text, /^:INPUT DROP/m);
  assert.match(inOnly.text, /^:OUTPUT ACCEPT/m);
  assert.doesNotMatch(inOnly.text, /^-A OUTPUT/m);
  const outOnly = generated('nftables', ['vda'], examples, 'out');
  assert.ok(outOnly.plan.rules.length > 0 && outOnly.plan.rules.every((r) => r.side === 'outbound'));
  assert.match(outOnly.text, /hook input priority filter; policy accept;/);
  assert.match(outOnly.text, /hook output priority filter; policy drop;/);
  const azureIn = generated('bicep', ['vda'], examples, 'in');
  assert.doesNotMatch(azureIn.text, /Outbound/);
  // The inbound side is left to whatever else filters it (policy accept), so nothing is reported missing there either.
  const { forbidden, notAllowed } = checkGenerated(reparse(outOnly), examples, ['vda']);
  assert.deepEqual(forbidden, []);
  assert.deepEqual(notAllowed, []);
});

test('skipped flows are named with the reason: feature off, optional, insecure variant, loopback, no fixed port', () => {
  const vda = planRules({ roles: ['vda'], topology: examples });
  const reasons = new Map(vda.skipped.map((s) => [s.flow.id, s.reason]));
  assert.match(reasons.get('cvad.workspace-app-to-vda.ica-html5') ?? '', /HTML5/);
  assert.match(reasons.get('cvad.vda-to-vda.hdx-video-websocket') ?? '', /loopback/);
  const storefront = planRules({ roles: ['storefront'], topology: examples });
  const sf = new Map(storefront.skipped.map((s) => [s.flow.id, s.reason]));
  assert.match(sf.get('cvad.workspace-app-to-storefront.storefront-http') ?? '', /non-secure variant/);
  assert.match(sf.get('storefront.storefront-to-storefront.peer-to-peer') ?? '', /no fixed port/);
  // The secure variant is planned.
  assert.ok(storefront.rules.some((r) => r.flows.some((f) => f.id === 'cvad.workspace-app-to-storefront.storefront-https')));
  const text = generated('nftables', ['storefront'], examples).text;
  assert.match(text, /^# Not generated:$/m);
  assert.match(text, /non-secure variant.*storefront-http/);
});

test('peers narrowed to their declared addresses; same ports from several peers merge into one rule', () => {
  const plan = planRules({ roles: ['vda'], topology: examples });
  const ica = plan.rules.filter((r) => r.side === 'inbound' && r.ports.has(1494));
  assert.deepEqual(
    ica.map((r) => [r.protocols.join('/'), r.peer.toStrings().join(','), r.peerRoles.join('+')]),
    [
      ['tcp', '10.20.0.20,10.60.0.0/16', 'gateway-snip+workspace-app'],
      ['udp', '10.20.0.20,10.60.0.0/16', 'gateway-snip+workspace-app'],
    ],
  );
  assert.ok(plan.rules.every((r) => !r.peer.isAny), 'no peer is "any" when the topology declares it');
});

test('without citrix-flows.yaml every peer is present and undeclared ones are placeholders', () => {
  const plan = planRules({ roles: ['vda'], topology: emptyTopology() });
  assert.ok(plan.placeholders.includes('delivery-controller'));
  assert.ok(!plan.placeholders.includes('workspace-app'), 'users are assumed to come from anywhere, as check assumes');
  assert.deepEqual(plan.absentPeers, []);
});

test('flowsComment groups purposes by product and pair, in parts an ASA remark can hold', () => {
  const catalog = loadCatalog();
  const flows = ['gateway.gateway-snip-to-vda.ica', 'gateway.gateway-snip-to-vda.ica-session-reliability', 'cvad.workspace-app-to-vda.ica'].map((id) => catalog.flowById(id)!);
  assert.equal(flowsComment(flows), 'gateway.gateway-snip-to-vda: ica, ica-session-reliability; cvad.workspace-app-to-vda: ica');
  const many = catalog.flows.filter((f) => f.id.startsWith('cvad.delivery-controller-to-delivery-controller.'));
  for (const part of flowsComment(many).split('; ')) assert.ok(part.length <= 100, part);
});
