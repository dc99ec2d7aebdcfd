// Parse time of a generated 10,000-line Terraform file (AWS, Azure and GCP
// rules mixed), through the esbuild-bundled parser as the server runs it.
// Usage: node bench/terraform-parse.mjs [lines] [runs]
import { loadEngine } from './loadEngine.mjs';

const lines = Number(process.argv[2] ?? 10000);
const runs = Number(process.argv[3] ?? 30);
const { parseTerraform, initTreeSitter, treeSitterParser } = await loadEngine('terraform-parse', [
  `export { parseTerraform } from './server/src/formats/terraform';`,
  `export { initTreeSitter, treeSitterParser } from './server/src/formats/treeSitter';`,
]);

function generate(target) {
  const parts = [];
  let n = 0;
  for (let i = 0; n < target; i++) {
    let block;
    switch (i % 4) {
      case 0:
        block = `# citrix-role: vda\nresource "aws_security_group" "sg${i}" {\n  name = "sg-${i}"\n  ingress {\n    from_port   = ${1000 + (i % 5000)}\n    to_port     = ${1000 + (i % 5000)}\n    protocol    = "tcp"\n    cidr_blocks = ["10.${i % 256}.0.0/16", var.extra]\n  }\n  egress {\n    from_port   = 0\n    to_port     = 0\n    protocol    = "-1"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n\n`;
        break;
      case 1:
        block = `resource "aws_vpc_security_group_ingress_rule" "r${i}" {\n  security_group_id = aws_security_group.sg${i - 1}.id\n  cidr_ipv4         = "192.168.${i % 256}.0/24"\n  from_port         = 2598\n  to_port           = 2598\n  ip_protocol       = "tcp"\n}\n\n`;
        break;
      case 2:
        block = `resource "azurerm_network_security_group" "nsg${i}" {\n  name                = "nsg-${i}"\n  location            = "westeurope"\n  resource_group_name = "rg"\n\n  security_rule {\n    name                       = "Allow-ICA-${i}"\n    priority                   = ${100 + (i % 3000)}\n    direction                  = "Inbound"\n    access                     = "Allow"\n    protocol                   = "Tcp"\n    source_port_range          = "*"\n    destination_port_ranges    = ["1494", "2598"]\n    source_address_prefix      = "VirtualNetwork"\n    destination_address_prefix = "*"\n  }\n}\n\n`;
        break;
      default:
        block = `resource "google_compute_firewall" "fw${i}" {\n  name     = "fw-${i}"\n  network  = google_compute_network.main.name\n  priority = ${500 + (i % 1000)}\n  allow {\n    protocol = "udp"\n    ports    = ["16500-16509", "1494"]\n  }\n  source_ranges = ["10.0.0.0/8"]\n  target_tags   = ["vda"]\n}\n\n`;
    }
    parts.push(block);
    n += block.split('\n').length - 1;
  }
  return `variable "extra" {\n  default = "172.16.0.0/12"\n}\n\n${parts.join('')}`;
}

await initTreeSitter();
const text = generate(lines);
if (process.env.DUMP) (await import("node:fs")).writeFileSync(process.env.DUMP, text);
const lineCount = text.split('\n').length - 1;
const time = (fn) => {
  const t0 = performance.now();
  const r = fn();
  return [performance.now() - t0, r];
};
const [cold, first] = time(() => parseTerraform(text, 'bench.tf'));
const rules = first.ruleSets.reduce((a, rs) => a + rs.rules.length, 0);
const full = [];
const treeOnly = [];
for (let i = 0; i < runs; i++) {
  full.push(time(() => parseTerraform(text, 'bench.tf'))[0]);
  treeOnly.push(time(() => treeSitterParser('terraform').parse(text).delete())[0]);
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)].toFixed(1), p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))].toFixed(1) };
};
console.log(`${lineCount} lines, ${text.length} chars: ${first.ruleSets.length} rule sets, ${rules} rules, ${first.problems.length} problems, ${first.comments.length} comments`);
console.log(`first parse ${cold.toFixed(1)} ms`);
console.log(`parseTerraform over ${runs} runs: median ${stats(full).median} ms, p95 ${stats(full).p95} ms`);
console.log(`tree-sitter alone:            median ${stats(treeOnly).median} ms, p95 ${stats(treeOnly).p95} ms`);
