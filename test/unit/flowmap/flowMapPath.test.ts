// The Flow Map's edges carry the way a flow takes across the site: every hop in packet order with what it
// decides, so the picture names the firewall between the ends that blocks, not only the ends' own rule sets.
// Expected hops are the hand-worked ones of test/fixtures/sites/ica-path/paths.json, restated per edge; a hop's
// line is its deciding rule's first line (spoke.tf:13 is Allow-ICA-From-Gateway, host-firewall.ps1:1 the file's
// rule set, whose default blocks 1494).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadCatalog } from '../../../server/src/catalog';
import { loadAndAnalyze } from '../../../server/src/engine/batch';
import { initTreeSitter } from '../../../server/src/formats';
import { buildFlowMap, type FlowMapModel } from '../../../server/src/service/flowMap';
import { fixturePath } from '../../helpers/fixtures';
import { analyzeFolder, SITE as FLOW_MAP_SITE } from './site';

const SITE = fixturePath('sites', 'ica-path');
let model: FlowMapModel;

before(async () => {
  await initTreeSitter();
  const loaded = await loadAndAnalyze([SITE], {});
  assert.ok(!('error' in loaded), 'error' in loaded ? loaded.error : '');
  model = buildFlowMap(loaded.analysis, loadCatalog(), { texts: loaded.texts, workspaceRoot: SITE });
});

const EDGES: readonly {
  flowId: string;
  verdict: string;
  pathVerdict: string;
  blockedAt?: number;
  hops: readonly { file: string; place: string; verdict: string; reached: boolean; line: number; boundTo: readonly string[] }[];
}[] = [
  {
    // The ASA's dmz_in admits only 1494 from the SNIP: 2598 stops at the first hop, the others are not reached.
    flowId: 'gateway.gateway-snip-to-vda.ica-session-reliability',
    verdict: 'blocked',
    pathVerdict: 'blocked',
    blockedAt: 1,
    hops: [
      { file: 'dmz/dmz-fw.asa', place: 'between the networks', verdict: 'blocked', reached: true, line: 18, boundTo: [] },
      { file: 'azure/spoke.tf', place: "in front of the receiver's network", verdict: 'allowed', reached: false, line: 13, boundTo: ['vda'] },
      { file: 'vda/host-firewall.ps1', place: "the receiver's own firewall", verdict: 'allowed', reached: false, line: 3, boundTo: ['vda'] },
    ],
  },
  {
    // ICA passes the ASA and the NSG; the VDA's own firewall has no rule for 1494 and blocks by default.
    flowId: 'gateway.gateway-snip-to-vda.ica',
    verdict: 'blocked',
    pathVerdict: 'blocked',
    blockedAt: 3,
    hops: [
      { file: 'dmz/dmz-fw.asa', place: 'between the networks', verdict: 'allowed', reached: true, line: 17, boundTo: [] },
      { file: 'azure/spoke.tf', place: "in front of the receiver's network", verdict: 'allowed', reached: true, line: 13, boundTo: ['vda'] },
      { file: 'vda/host-firewall.ps1', place: "the receiver's own firewall", verdict: 'blocked', reached: true, line: 1, boundTo: ['vda'] },
    ],
  },
];

for (const expected of EDGES) {
  test(`flow map path: ${expected.flowId} crosses ${expected.hops.length} hops and is ${expected.pathVerdict}`, () => {
    const edge = model.edges.find((e) => e.flowId === expected.flowId);
    assert.ok(edge, `no edge ${expected.flowId}: ${model.edges.map((e) => e.flowId).join(', ')}`);
    assert.equal(edge.verdict, expected.verdict);
    assert.ok(edge.path, 'the edge carries its path');
    assert.equal(edge.path.verdict, expected.pathVerdict);
    assert.equal(edge.path.blockedAt, expected.blockedAt);
    assert.deepEqual(
      edge.path.hops.map((h) => ({ file: h.file, place: h.place, verdict: h.verdict, reached: h.reached, line: h.location.line, boundTo: h.boundTo })),
      expected.hops,
    );
    assert.deepEqual(edge.path.hops.map((h) => h.index), expected.hops.map((_h, i) => i + 1));
    // The words say whether the hop was reached, as the hover does.
    for (const h of edge.path.hops) assert.equal(/not reached/.test(h.text), !h.reached, h.text);
  });
}

test('flow map path: a site where nothing says where a rule set sits draws no path', async () => {
  const { analysis, texts } = await analyzeFolder(FLOW_MAP_SITE);
  const plain = buildFlowMap(analysis, loadCatalog(), { texts, workspaceRoot: FLOW_MAP_SITE });
  assert.ok(plain.edges.some((e) => e.checks.length > 0));
  assert.deepEqual(plain.edges.filter((e) => e.path).map((e) => e.flowId), []);
});

test('flow map path: no edge is drawn allowed while a hop on its way blocks what reaches it', () => {
  for (const e of model.edges) {
    if (!e.path) continue;
    if (e.path.hops.some((h) => h.reached && h.verdict === 'blocked')) assert.notEqual(e.verdict, 'allowed', e.flowId);
  }
});
