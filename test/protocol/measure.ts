/**
 * Measures the server the way the issue asks (not a test: timings depend on the machine).
 *   npx esbuild test/protocol/measure.ts --bundle --platform=node --packages=external --outfile=out/measure.js && node out/measure.js
 * Prints: server start (spawn → initialize answered), first diagnostics of a
 * generated 10,000-line file, and edit → diagnostics latency (p50/p95) for
 * Terraform (Azure NSG) and iptables-save, with debounce 0 and the default.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestClient, uriOf } from './client';

function terraform(lines: number): string {
  const out = ['# citrix-role: vda', 'resource "azurerm_network_security_group" "big" {', '  name = "big"', '  location = "westeurope"', '  resource_group_name = "rg"'];
  let i = 0;
  while (out.length < lines - 1) {
    out.push('  security_rule {', `    name                       = "r${i}"`, `    priority                   = ${100 + i}`, '    direction                  = "Inbound"', '    access                     = "Allow"', '    protocol                   = "Tcp"', '    source_port_range          = "*"', `    destination_port_range     = "${20000 + (i % 40000)}"`, `    source_address_prefix      = "10.${(i >> 8) & 255}.${i & 255}.0/24"`, '    destination_address_prefix = "*"', '  }');
    i++;
  }
  out.push('}');
  return `${out.join('\n')}\n`;
}

function iptables(lines: number): string {
  const out = ['# citrix-role: vda', '*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; out.length < lines - 1; i++) out.push(`-A INPUT -p tcp -s 10.${(i >> 8) & 255}.${i & 255}.0/24 --dport ${20000 + (i % 40000)} -j ACCEPT`);
  out.push('COMMIT');
  return `${out.join('\n')}\n`;
}

const percentile = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function run(name: string, file: string, text: string, languageId: string, debounceMs: number): Promise<void> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-measure-'));
  fs.writeFileSync(path.join(folder, 'citrix-flows.yaml'), 'roles:\n  vda: [10.0.2.0/24]\n  delivery-controller: [10.0.3.10]\n  gateway-snip: [10.0.0.20]\n');
  const client = new TestClient();
  client.settings = { debounceMs };
  const t0 = performance.now();
  await client.initialize(folder);
  const started = performance.now() - t0;
  const uri = uriOf(path.join(folder, file));
  const t1 = performance.now();
  await client.open(uri, text, languageId);
  await client.waitFor('first diagnostics', () => client.lastFor(uri)?.version === 1, 60_000);
  const first = performance.now() - t1;
  const latencies: number[] = [];
  const lines = text.split('\n').length;
  for (let v = 2; v < 42; v++) {
    const t = performance.now();
    // Change one port in the middle of the file.
    const line = Math.floor(lines / 2);
    await client.change(uri, v, [{ range: { start: { line, character: 0 }, end: { line, character: 0 } }, text: v % 2 ? '' : '' }]);
    await client.waitFor(`version ${v}`, () => client.lastFor(uri)?.version === v, 60_000);
    latencies.push(performance.now() - t);
  }
  console.log(`${name} (${lines} lines, debounce ${debounceMs} ms): server start ${started.toFixed(0)} ms; open → first diagnostics ${first.toFixed(0)} ms; edit → diagnostics p50 ${percentile(latencies, 50).toFixed(1)} ms, p95 ${percentile(latencies, 95).toFixed(1)} ms`);
  await client.stop();
  fs.rmSync(folder, { recursive: true, force: true });
}

void (async () => {
  for (const debounce of [0, 150]) {
    await run('Terraform Azure NSG', 'big.tf', terraform(10_000), 'terraform', debounce);
    await run('iptables-save', 'big-iptables.rules', iptables(10_000), 'iptables', debounce);
  }
})();
