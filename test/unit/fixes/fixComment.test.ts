// The comment a quick fix writes on its rule: short, human, whole words, no catalog ids.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../../../server/src/catalog';
import { fixComment, shortRoleLabel } from '../../../server/src/analysis/fixComment';
import { clipWords } from '../../../server/src/formats/emitSupport';

const catalog = loadCatalog();

describe('fixComment', () => {
  const flow = (id: string) => {
    const f = catalog.flows.find((x) => x.id === id);
    assert.ok(f, `catalog flow ${id}`);
    return f;
  };
  const table: { flow: string; protocols: string[]; ports: { from: number; to: number }[]; expected: string }[] = [
    { flow: 'gateway.gateway-snip-to-vda.ica', protocols: ['tcp'], ports: [{ from: 1494, to: 1494 }], expected: 'Citrix: Gateway SNIP → VDA, ICA TCP 1494' },
    { flow: 'gateway.gateway-snip-to-vda.ica-session-reliability', protocols: ['tcp', 'udp'], ports: [{ from: 2598, to: 2598 }], expected: 'Citrix: Gateway SNIP → VDA, ICA session reliability TCP/UDP 2598' },
    { flow: 'cvad.delivery-controller-to-vda.vda-discovery', protocols: ['tcp'], ports: [{ from: 80, to: 80 }], expected: 'Citrix: Delivery Controller → VDA, VDA discovery TCP 80' },
    { flow: 'cvad.vda-to-delivery-controller.registration', protocols: ['tcp'], ports: [{ from: 80, to: 80 }], expected: 'Citrix: VDA → Delivery Controller, Registration TCP 80' },
  ];
  for (const c of table) {
    it(c.flow, () => assert.equal(fixComment(catalog, flow(c.flow), c.protocols, c.ports), c.expected));
  }
  it('every catalog flow: no flow id, no cut text, about a line long', () => {
    for (const f of catalog.flows) {
      const text = fixComment(catalog, f, f.protocols, f.ports);
      assert.ok(!text.includes(f.id) && !/\b[a-z]+\.[a-z-]+\.[a-z-]+\b/.test(text), `${f.id}: "${text}" holds an id`);
      assert.ok(!text.includes('…'), `${f.id}: "${text}" is cut`);
      assert.ok(text.length <= 120, `${f.id}: "${text}" is ${text.length} characters`);
    }
  });
  it('short role labels', () => {
    assert.deepEqual(['vda', 'gateway-snip', 'delivery-controller'].map((r) => shortRoleLabel(catalog, r)), ['VDA', 'Gateway SNIP', 'Delivery Controller']);
  });
});

describe('clipWords', () => {
  const table: [string, number, string][] = [
    ['Citrix: Gateway SNIP → VDA, ICA TCP 1494', 100, 'Citrix: Gateway SNIP → VDA, ICA TCP 1494'],
    ['DDC Controller initiates the connection when discovering local applications or for gathering', 60, 'DDC Controller initiates the connection when discovering…'],
    ['one, two, three', 10, 'one, two…'],
    ['Supercalifragilistic', 8, 'Superca…'],
  ];
  for (const [text, max, expected] of table) {
    it(`${max}: ${text}`, () => {
      const out = clipWords(text, max);
      assert.equal(out, expected);
      assert.ok(out.length <= max);
    });
  }
});
