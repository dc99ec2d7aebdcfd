import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixturePath } from '../../helpers/fixtures';
import { parseSource } from '../../../server/src/analysis/analyze';
import { initTreeSitter } from '../../../server/src/formats';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { adaptiveDelay } from '../../../server/src/service/schedule';
import { WorkspaceState } from '../../../server/src/service/state';

const TF = `# citrix-role: vda — Zürich pool
resource "azurerm_network_security_group" "vda" {
  name = "nsg-vda"
  security_rule {
    name                       = "AllowIca"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_ranges    = ["1494", "2598"]
    source_address_prefix      = "10.0.0.20"
    destination_address_prefix = "*"
  }
}
`;

const BICEP = `// citrix-role: vda — Zürich pool
resource nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {
  name: 'nsg-vda'
  location: 'westeurope'
  properties: {
    securityRules: [
      {
        name: 'AllowIca'
        properties: {
          priority: 100
          direction: 'Inbound'
          access: 'Allow'
          protocol: 'Tcp'
          sourcePortRange: '*'
          destinationPortRange: '1494'
          sourceAddressPrefix: '10.0.0.20'
          destinationAddressPrefix: '*'
        }
      }
    ]
  }
}
`;

/** An edit: replace `find` (its first occurrence) with `replace`. */
type Edit = readonly [find: string, replace: string];

/** `treeParses`: how many versions after the first are re-parsed from an earlier version's tree. */
const CASES: readonly { name: string; uri: string; text: string; edits: readonly Edit[]; treeParses: number }[] = [
  {
    name: 'Terraform',
    uri: 'file:///ws/vda.tf',
    text: TF,
    edits: [
      ['"1494"', '"14945"'],
      ['"14945"', '"1494"'],
      ['priority                   = 100', 'priority                   = 1000'],
      ['Zürich', 'Zürich-Ost ✓'],
      ['"Allow"', '"Deny"'],
      // A syntax error, then its repair: the broken tree must not leak into the next version.
      ['security_rule {', 'security_rule {{'],
      ['security_rule {{', 'security_rule {'],
      ['  }\n}', '  }\n  security_rule {\n    name = "Second"\n    priority = 200\n    direction = "Inbound"\n    access = "Deny"\n    protocol = "*"\n    source_port_range = "*"\n    destination_port_range = "*"\n    source_address_prefix = "*"\n    destination_address_prefix = "*"\n  }\n}'],
    ],
    // The direct reader reads every valid version and parses no tree; the broken one (`{{`) is re-parsed from the
    // first version's tree, edited to its text.
    treeParses: 1,
  },
  {
    name: 'Bicep',
    uri: 'file:///ws/vda.bicep',
    text: BICEP,
    edits: [
      ["'1494'", "'2598'"],
      ['Zürich', 'Zürich-Ost ✓'],
      ["access: 'Allow'", "access: 'Deny'"],
      ["name: 'AllowIca'", "name: 'AllowIca"],
      ["name: 'AllowIca\n", "name: 'AllowIca'\n"],
      ['\n  name:', '\r\n  name:'],
    ],
    // Every version is read from tree-sitter's tree, each re-parsed from the one before.
    treeParses: 6,
  },
];

describe('incremental tree-sitter parses give what a fresh parse gives', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await initTreeSitter();
      const state = new WorkspaceState({ root: '/ws' });
      let text = c.text;
      let version = 1;
      state.setDocument({ uri: c.uri, text, version });
      state.parsedFile(c.uri);
      for (const [find, replace] of c.edits) {
        assert.ok(text.includes(find), `the input holds ${JSON.stringify(find)}`);
        text = text.replace(find, replace);
        state.setDocument({ uri: c.uri, text, version: ++version });
        const incremental = state.parsedFile(c.uri);
        const fresh = parseSource({ uri: c.uri, text });
        assert.ok(incremental && fresh);
        assert.deepEqual(snapshotParsedFile(incremental), snapshotParsedFile(fresh), `after ${JSON.stringify([find, replace])}`);
      }
      assert.equal(state.incrementalParses(c.uri), c.treeParses, 'versions re-parsed from an earlier tree');
    });
  }

  // The Bicep reader moves the previous version's plain copy of every subtree tree-sitter kept; Terraform's broken
  // versions are re-parsed from a tree of some earlier version, edited once to the new text. Every kind of edit,
  // anywhere, in every fixture, must still give exactly what a fresh parse of the same text gives.
  for (const [folder, extension, minimum] of [['bicep', '.bicep', 20], ['terraform', '.tf', 5]] as const) {
    it(`${folder}: 40 seeded random edits of each fixture, broken and repaired versions among them`, async () => {
      await initTreeSitter();
      const dir = fixturePath(folder);
      const files = fs.readdirSync(dir).filter((f) => f.endsWith(extension));
      assert.ok(files.length >= 5, `the ${folder} fixtures are there`);
      let seed = 20261208;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % n;
      };
      let reusedNodes = 0;
      for (const file of files) {
        const uri = `file:///ws/${file}`;
        const original = fs.readFileSync(path.join(dir, file), 'utf8');
        const state = new WorkspaceState({ root: '/ws' });
        let text = original;
        let version = 1;
        state.setDocument({ uri, text, version });
        state.parsedFile(uri);
        for (let i = 0; i < 40; i++) {
          const at = random(text.length);
          const kind = random(5);
          const next =
            kind === 0 ? text.slice(0, at) + String(random(10)) + text.slice(at) // a digit typed
              : kind === 1 ? text.slice(0, at) + text.slice(at + 1) // a character deleted
                : kind === 2 ? text.slice(0, at) + "'" + text.slice(at) // a stray quote: usually a broken version
                  : kind === 3 ? original // back to the start: the next edit repairs whatever was broken
                    : text.slice(0, text.lastIndexOf('\n', at) + 1) + text.slice(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at) + 1) + text.slice(text.lastIndexOf('\n', at) + 1); // a line duplicated
          text = next;
          state.setDocument({ uri, text, version: ++version });
          const incremental = state.parsedFile(uri);
          const fresh = parseSource({ uri, text });
          assert.ok(incremental && fresh);
          assert.deepEqual(snapshotParsedFile(incremental), snapshotParsedFile(fresh), `${file}, edit ${i} (kind ${kind} at ${at})`);
        }
        reusedNodes += state.incrementalParses(uri);
      }
      assert.ok(reusedNodes > files.length * minimum, `versions re-parsed from an earlier tree: ${reusedNodes}`);
    });
  }

  it('files read from disk keep no tree', async () => {
    await initTreeSitter();
    const state = new WorkspaceState({ root: '/ws' });
    state.setDocument({ uri: 'file:///ws/vda.tf', text: TF, version: -1 });
    state.parsedFile('file:///ws/vda.tf');
    state.setDocument({ uri: 'file:///ws/vda.tf', text: TF.replace('1494', '1495'), version: -1 });
    state.parsedFile('file:///ws/vda.tf');
    assert.equal(state.incrementalParses('file:///ws/vda.tf'), 0);
  });
});

describe('adaptive debounce', () => {
  const CASES: readonly { name: string; maxDelay: number; lastRunMs: number; sinceLastChange: number; delay: number }[] = [
    { name: 'quick analysis: no wait', maxDelay: 150, lastRunMs: 4, sinceLastChange: 1, delay: 0 },
    { name: 'slow analysis after a pause: no wait', maxDelay: 150, lastRunMs: 80, sinceLastChange: 500, delay: 0 },
    { name: 'typing faster than a slow analysis: wait one analysis', maxDelay: 150, lastRunMs: 80, sinceLastChange: 30, delay: 80 },
    { name: 'never longer than the setting', maxDelay: 150, lastRunMs: 900, sinceLastChange: 30, delay: 150 },
    { name: 'a setting of 0 turns waiting off', maxDelay: 0, lastRunMs: 900, sinceLastChange: 30, delay: 0 },
  ];
  for (const c of CASES) it(c.name, () => assert.equal(adaptiveDelay({ maxDelay: c.maxDelay, lastRunMs: c.lastRunMs }, c.sinceLastChange), c.delay));
});
