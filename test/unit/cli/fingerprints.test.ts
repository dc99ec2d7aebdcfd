// GitHub code scanning tracks a result across runs by its partialFingerprints
// and merges results that share one. Two findings that differ in check, flow,
// file or rule set must therefore never share a fingerprint (a mutant that
// dropped the flow id from it survived the suite before this test).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { repoRoot } from '../../helpers/fixtures';

const denyAllNsg = (name: string): string => `# citrix-role: vda
resource "azurerm_network_security_group" "${name}" {
  name                = "nsg-${name}"
  location            = "westeurope"
  resource_group_name = "rg"

  security_rule {
    name                       = "Deny-All-In"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}
`;

interface SarifResult {
  ruleId: string;
  properties?: { flowId?: string };
  partialFingerprints?: Record<string, string>;
  locations: { physicalLocation: { artifactLocation: { uri: string } } }[];
}

test('SARIF: findings of different flows, files or rule sets never share a partial fingerprint', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-fingerprints-'));
  fs.writeFileSync(path.join(dir, 'citrix-flows.yaml'), 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n  gateway-snip: [10.0.0.20]\n');
  fs.writeFileSync(path.join(dir, 'pool-a.tf'), denyAllNsg('pool_a') + denyAllNsg('pool_a_nic'));
  fs.writeFileSync(path.join(dir, 'pool-b.tf'), denyAllNsg('pool_b'));
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'dist', 'cli.js'), 'check', '--format', 'sarif', '--exit-zero'], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const results = (JSON.parse(r.stdout) as { runs: { results: SarifResult[] }[] }).runs[0].results.filter((x) => x.ruleId === 'missing-flow');
  const flows = new Set(results.map((x) => x.properties?.flowId));
  const files = new Set(results.map((x) => x.locations[0].physicalLocation.artifactLocation.uri));
  assert.ok(flows.size >= 3, `several blocked flows expected, got ${[...flows].join(', ')}`);
  assert.equal(files.size, 2, 'findings in both files');
  const byFingerprint = new Map<string, SarifResult[]>();
  for (const x of results) {
    const fp = JSON.stringify(x.partialFingerprints ?? {});
    assert.notEqual(fp, '{}', 'every result has a partial fingerprint');
    byFingerprint.set(fp, [...(byFingerprint.get(fp) ?? []), x]);
  }
  const merged = [...byFingerprint.values()].filter((xs) => xs.length > 1);
  assert.deepEqual(merged.map((xs) => xs.map((x) => `${x.properties?.flowId} @ ${x.locations[0].physicalLocation.artifactLocation.uri}`)), [], 'distinct findings share a fingerprint');
  fs.rmSync(dir, { recursive: true, force: true });
});
