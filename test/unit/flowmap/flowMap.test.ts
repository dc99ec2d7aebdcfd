import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../../../server/src/catalog';
import { buildFlowMap, type FlowMapModel } from '../../../server/src/service/flowMap';
import { analyzeFolder, SITE } from './site';

// The fixture site: gateway-snip (dmz), storefront and delivery-controller (servers), vda (10.0.2.0/24).
// vda.tf allows TCP 1494/2598 from the Gateway SNIP only, then DenyAllInbound at 4000;
// storefront.tf allows 443 from the SNIP and denies 80. The Controllers have no rule set.
// A built-in rule (AllowVnetOutBound) is not written in the file, so its place is the NSG's name (line 2).
const EXPECTED_EDGES: readonly { id: string; from: string; to: string; label: string; verdict: string; rule?: string; line?: number; fix?: string }[] = [
  { id: 'cvad.delivery-controller-to-vda.vda-discovery', from: 'delivery-controller', to: 'vda', label: 'TCP 80', verdict: 'blocked', rule: '"DenyAllInbound" (priority 4000, line 19)', line: 19, fix: 'missing-flow' },
  { id: 'cvad.delivery-controller-to-vda.local-host-cache', from: 'delivery-controller', to: 'vda', label: 'TCP 89', verdict: 'blocked', rule: '"DenyAllInbound" (priority 4000, line 19)', line: 19, fix: 'missing-flow' },
  { id: 'gateway.gateway-snip-to-vda.ica', from: 'gateway-snip', to: 'vda', label: 'TCP/UDP 1494', verdict: 'partial', rule: '"DenyAllInbound" (priority 4000, line 19)', line: 19, fix: 'edt-needs-udp' },
  { id: 'gateway.gateway-snip-to-vda.ica-session-reliability', from: 'gateway-snip', to: 'vda', label: 'TCP/UDP 2598', verdict: 'partial', rule: '"DenyAllInbound" (priority 4000, line 19)', line: 19, fix: 'edt-needs-udp' },
  { id: 'gateway.gateway-snip-to-storefront.storefront-https', from: 'gateway-snip', to: 'storefront', label: 'TCP 443', verdict: 'allowed', rule: '"AllowHttpsFromGateway" (priority 100, line 7)', line: 7 },
  { id: 'storefront.storefront-to-delivery-controller.xml-https', from: 'storefront', to: 'delivery-controller', label: 'TCP 443', verdict: 'allowed', rule: '"AllowVnetOutBound" (priority 65000, built-in rule of azurerm_network_security_group.storefront)', line: 2 },
  { id: 'cvad.vda-to-delivery-controller.registration', from: 'vda', to: 'delivery-controller', label: 'TCP 80', verdict: 'allowed', rule: '"AllowVnetOutBound" (priority 65000, built-in rule of azurerm_network_security_group.vda)', line: 2 },
  { id: 'gateway.gateway-snip-to-delivery-controller.sta-https', from: 'gateway-snip', to: 'delivery-controller', label: 'TCP 443', verdict: 'unbound' },
];

let cached: { model: FlowMapModel; analysis: Awaited<ReturnType<typeof analyzeFolder>>['analysis'] } | undefined;
async function site(): Promise<NonNullable<typeof cached>> {
  if (!cached) {
    const { analysis, texts } = await analyzeFolder(SITE);
    cached = { analysis, model: buildFlowMap(analysis, loadCatalog(), { texts, workspaceRoot: SITE }) };
  }
  return cached;
}

for (const expected of EXPECTED_EDGES) {
  test(`flow map edge ${expected.from} → ${expected.to} ${expected.label} is ${expected.verdict}`, async () => {
    const { model } = await site();
    const edge = model.edges.find((e) => e.flowId === expected.id);
    assert.ok(edge, `no edge for ${expected.id}; edges: ${model.edges.map((e) => e.id).join(', ')}`);
    assert.equal(edge.source, expected.from);
    assert.equal(edge.target, expected.to);
    assert.equal(edge.label, expected.label);
    assert.equal(edge.verdict, expected.verdict);
    assert.equal(edge.decidingRule?.label, expected.rule);
    assert.equal(edge.decidingRule?.location?.line, expected.line);
    assert.equal(edge.fix?.checkId, expected.fix);
    if (expected.verdict === 'unbound') {
      assert.deepEqual(edge.checks, []);
      // Nothing decides it, so a click goes to where the role is declared.
      assert.equal(edge.goTo?.file, 'citrix-flows.yaml');
    } else {
      assert.ok(edge.checks.length > 0);
      assert.ok(edge.goTo, 'an evaluated edge has somewhere to go');
    }
  });
}

test('flow map: the Controller-to-Controller flows are required but no rule set protects them', async () => {
  const { model } = await site();
  const loops = model.edges.filter((e) => e.source === 'delivery-controller' && e.target === 'delivery-controller');
  assert.deepEqual(loops.map((e) => e.label).sort(), ['TCP 80', 'TCP 89', 'TCP 9095']);
  assert.ok(loops.every((e) => e.verdict === 'unbound'));
});

test('flow map: every evaluated required flow is an edge, and only those are not "unbound"', async () => {
  const { model, analysis } = await site();
  const evaluated = new Set(analysis.required.map((c) => c.flow.id));
  assert.ok(evaluated.size > 0);
  for (const id of evaluated) assert.ok(model.edges.some((e) => e.flowId === id && e.verdict !== 'unbound'), id);
  for (const e of model.edges) assert.equal(e.verdict === 'unbound', !evaluated.has(e.flowId), e.id);
  assert.equal(new Set(model.edges.map((e) => e.id)).size, model.edges.length, 'edge ids are unique');
});

test('flow map: insecure variants with a secure one are not drawn as required', async () => {
  const { model } = await site();
  assert.equal(model.edges.find((e) => e.flowId === 'gateway.gateway-snip-to-storefront.storefront-http'), undefined);
});

test('flow map: counts add up', async () => {
  const { model } = await site();
  assert.equal(model.counts.edges, model.edges.length);
  assert.equal(model.counts.nodes, 4);
  assert.equal(model.counts.ruleSets, 2);
  assert.equal(model.counts.files, 2);
  const sum = Object.values(model.counts.byVerdict).reduce((a, b) => a + b, 0);
  assert.equal(sum, model.edges.length);
  assert.deepEqual(model.counts.byVerdict, { blocked: 2, partial: 2, unknown: 0, unbound: 4, allowed: 3 });
  for (const node of model.nodes) {
    const touching = model.edges.filter((e) => e.source === node.id || e.target === node.id).length;
    const loops = model.edges.filter((e) => e.source === node.id && e.target === node.id).length;
    const counted = Object.values(node.incoming).reduce((a, b) => a + b, 0) + Object.values(node.outgoing).reduce((a, b) => a + b, 0);
    assert.equal(counted, touching + loops, node.id);
  }
});

test('flow map: roles are grouped by the most specific declared network, and a network holding every role is no group', async () => {
  const { model } = await site();
  const groupOf = Object.fromEntries(model.nodes.map((n) => [n.id, n.group ?? null]));
  assert.deepEqual(groupOf, { 'delivery-controller': 'network:servers', 'gateway-snip': 'network:dmz', storefront: 'network:servers', vda: null });
  assert.deepEqual(model.groups.map((g) => g.id).sort(), ['network:dmz', 'network:servers']);
});

test('flow map: nodes carry their declaration and bound rule sets with lines', async () => {
  const { model } = await site();
  const vda = model.nodes.find((n) => n.id === 'vda');
  assert.ok(vda);
  assert.equal(vda.label, 'Virtual Delivery Agent (VDA)');
  assert.deepEqual(vda.addresses, ['10.0.2.0/24']);
  assert.equal(vda.declaredAt?.file, 'citrix-flows.yaml');
  assert.equal(vda.declaredAt?.line, 3);
  assert.deepEqual(vda.ruleSets.map((r) => [r.name, r.location.file, r.location.line, r.via]), [['azurerm_network_security_group.vda', 'vda.tf', 2, 'annotation']]);
  assert.deepEqual(model.nodes.find((n) => n.id === 'delivery-controller')?.ruleSets, []);
});

test('flow map: conditions are in words', async () => {
  const { model } = await site();
  const ica = model.edges.find((e) => e.flowId === 'gateway.gateway-snip-to-vda.ica');
  assert.deepEqual(ica?.conditions, ['UDP only with HDX Enlightened Data Transport (EDT) (on at this site)']);
});

test('flow map of an empty workspace has no nodes or edges', async () => {
  const { analyzeParsed, readTopology } = await import('../../../server/src/analysis/analyze');
  const model = buildFlowMap(analyzeParsed([], readTopology(undefined, undefined)), loadCatalog());
  assert.equal(model.edges.length, 0);
  // Without citrix-flows.yaml users are assumed present, and nothing else.
  assert.deepEqual(model.nodes.map((n) => n.id), ['workspace-app']);
});
