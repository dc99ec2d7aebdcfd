// service/site.ts: the Roles view's summary, over the editor's units.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Workspace } from '../../../server/src/service/workspace';
import { rolesSummary } from '../../../server/src/service/site';
import { loadCatalog } from '../../../server/src/catalog';
import { initTreeSitter } from '../../../server/src/formats';

describe('rolesSummary', () => {
  it('counts each role\'s required flows and how many are allowed, across units', async () => {
    await initTreeSitter();
    const ws = new Workspace([]);
    // A VDA host that admits the ICA ports from anywhere and drops the rest.
    const text = '# citrix-role: vda\n*filter\n:INPUT DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -p tcp -m multiport --dports 1494,2598 -j ACCEPT\n-A INPUT -p udp -m multiport --dports 1494,2598 -j ACCEPT\nCOMMIT\n';
    const unit = ws.openOrChange({ uri: 'file:///ws/vda.rules', text, version: 1 });
    const analysis = unit.analyze();
    const vdaChecks = analysis.required.filter((c) => c.role === 'vda');
    assert.ok(vdaChecks.length > 2, 'the VDA has required flows');
    const allowed = vdaChecks.filter((c) => c.result.verdict === 'allowed').length;
    assert.ok(allowed > 0 && allowed < vdaChecks.length, 'some allowed (ICA), some not (controller registration)');
    const summary = rolesSummary(ws.allUnits(), loadCatalog());
    const vda = summary.find((r) => r.id === 'vda');
    assert.deepEqual(vda && { total: vda.total, allowed: vda.allowed }, { total: vdaChecks.length, allowed });
    assert.deepEqual(summary.map((r) => r.id), [...summary.map((r) => r.id)].sort(), 'sorted by id');
  });
});
