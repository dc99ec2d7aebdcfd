import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import { parseHclWithTreeSitter } from '../../../server/src/formats/terraform/hcl';
import { parseHclFast } from '../../../server/src/formats/terraform/fastHcl';
import { TARGETS } from '../../fuzz/generators';
import { fuzzInput } from '../../fuzz/property';
import { repoRoot } from '../../helpers/fixtures';

/**
 * The direct HCL reader (fastHcl.ts) must give exactly what the tree-sitter
 * route gives, or give up. Every input here is read both ways: where the
 * direct reader answers, the two documents must be deep-equal.
 */

const ROOT = repoRoot();

before(async () => {
  await initTreeSitter();
});

function sameAsTreeSitter(text: string, label: string): boolean {
  const fast = parseHclFast(text);
  if (!fast) return false;
  const slow = parseHclWithTreeSitter(text);
  // Where tree-sitter ran out of its work budget (a string thousands of characters long) it gives no reading to
  // compare with; the direct reader, which production tries first, still reads the block whole.
  if (slow.problems.some((p) => p.code === 'limit') && !fast.problems.some((p) => p.code === 'limit')) return false;
  assert.deepEqual(fast, { body: slow.body, comments: slow.comments, problems: slow.problems }, label);
  return true;
}

function tfFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...tfFiles(p));
    else if (e.name.endsWith('.tf') || e.name.endsWith('.tfvars')) out.push(p);
  }
  return out;
}

/** Inputs the direct reader must take (not give up on), each with what it covers. */
const FAST: readonly [string, string][] = [
  ['empty file', ''],
  ['comments only, CRLF', '# a\r\n// b\r\n/* c\r\n d */\r\n'],
  ['BOM', '\uFEFFresource "a" "b" {\n  x = 1\n}\n'],
  ['labels: strings and identifiers', 'resource "aws_security_group" "x" {}\nlocals {}\nblock ident "s" {\n}\n'],
  ['single-line block', 'x { a = 1 }\n'],
  ['numbers', 'a = 0\nb = 65535\nc = 1.5\nd = -1\ne = -0.25\n'],
  ['bool and null', 'a = true\nb = false\nc = null\n'],
  ['strings with spacing at the ends (trimmed as tree-sitter does)', 'a = " x "\nb = " "\nc = ""\nd = "a b"\n'],
  ['templates', 'a = "${var.x}"\nb = "p-${var.x}-s"\nc = "x ${ var.y } y"\nd = "${a}${b}"\n'],
  ['traversals', 'a = var.x\nb = local.y[0]\nc = aws_security_group.vda.id\nd = each.value.port\ne = x["k"].y\nf = a.0.b\n'],
  ['calls', 'a = concat(var.a, ["x"])\nb = cidrsubnet("10.0.0.0/16", 8, 1)\nc = f()\nd = f(a, b,)\ne = merge(var.m...)\nf = tolist(x)[0]\n'],
  ['tuples over lines with comments', 'a = [\n  "a", # one\n  "b" // two\n  /* three */ , "c",\n]\n'],
  ['objects', 'a = { x = 1, "y" = 2\n z: 3 }\nb = {}\nc = {\n  k = [1]\n}\n'],
  ['for expressions', 'a = [for s in var.x : s.cidr]\nb = {for k, v in var.m : k => v...}\nc = [for s in x : s if s.on]\n'],
  ['nested blocks', 'resource "a" "b" {\n  ingress {\n    from_port = 1\n  }\n  dynamic "egress" {\n    for_each = var.x\n    content {\n      to_port = egress.value\n    }\n  }\n}\n'],
  ['non-ASCII identifiers and text', 'resource "a" "café" {\n  name = "Zürich ✓"\n  ref = aws_security_group.zoë_vda.id # ñandú\n}\n'],
  ['a comment after a block', 'x {\n} # after\n'],
  ['long whitespace between blocks, in an object and a string (read shortened by tree-sitter)', `x {\n}${'\n'.repeat(300)}a = {${' '.repeat(300)}k = "a${' '.repeat(300)}b"${'\r\n\t'.repeat(100)}}\n`],
];

/** Inputs it must leave to tree-sitter, because it cannot be sure to read them identically. */
const SLOW: readonly [string, string][] = [
  ['binary operator', 'a = var.x + 1\n'],
  ['conditional', 'a = var.x ? 1 : 0\n'],
  ['escape in a string', 'a = "a\\"b"\n'],
  ['escaped interpolation', 'a = "$${x}"\n'],
  ['template directive', 'a = "%{ if x }y%{ endif }"\n'],
  ['heredoc', 'a = <<EOT\nx\nEOT\n'],
  ['splat', 'a = aws_instance.x[*].id\n'],
  ['parentheses', 'a = (1)\n'],
  ['unterminated string', 'a = "x\nb = 1\n'],
  ['missing brace', 'x {\n  a = 1\n'],
  ['two attributes on a line', 'a = 1 b = 2\n'],
  ['traversal continued on the next line', 'a = x\n  .y\n'],
  ['provider function', 'a = provider::p::f(1)\n'],
  ['hex number', 'a = 0x10\n'],
  ['identifier with a dash in a value', 'a = b-c\n'],
  ['unterminated block comment', '/* x\n'],
  ['form feed', 'a = 1\f\n'],
];

describe('direct HCL reader: same documents as the tree-sitter route', () => {
  for (const [name, text] of FAST) {
    it(`reads ${name}`, () => {
      assert.ok(sameAsTreeSitter(text, name), 'the direct reader gave up');
    });
  }
  for (const [name, text] of SLOW) {
    it(`leaves ${name} to tree-sitter`, () => {
      assert.equal(parseHclFast(text), undefined);
    });
  }

  it('every Terraform fixture and example', () => {
    const files = [...tfFiles(path.join(ROOT, 'test', 'fixtures')), ...tfFiles(path.join(ROOT, 'examples'))];
    assert.ok(files.length > 20);
    let fast = 0;
    let counted = 0;
    for (const f of files) {
      const took = sameAsTreeSitter(fs.readFileSync(f, 'utf8'), f);
      // Fuzz-found inputs are broken by construction: compared, but not counted as real files.
      if (f.includes(`${path.sep}fuzz-found${path.sep}`)) continue;
      counted++;
      if (took) fast++;
    }
    // Most real files are in the subset; if this drops, the speed-up silently went away.
    assert.ok(fast > counted * 0.8, `only ${fast} of ${counted} files took the direct route`);
  });

  // The HCL readers' routes; Terraform JSON has one reader of its own (terraform-json.test.ts).
  for (const target of TARGETS.filter((t) => t.format === 'terraform' && t.ext === 'tf')) {
    it(`generated and byte-mutated inputs (${target.name})`, () => {
      let fast = 0;
      let runs = 0;
      fc.assert(
        fc.property(fuzzInput(ROOT, target), (input) => {
          runs++;
          if (sameAsTreeSitter(input.text, input.origin)) fast++;
        }),
        { numRuns: 400, seed: 20261126 },
      );
      assert.ok(fast > runs / 4, `only ${fast} of ${runs} inputs took the direct route`);
    });
  }
});

/** Whitespace runs around the parts of HCL where whitespace means something, each `W` replaced by a long run. */
const WHITESPACE: readonly [string, string][] = [
  ['heredoc, body lines of spaces', 'a = <<EOT\nW x W\nW\nEOT\nb = 1\n'],
  ['heredoc, the end marker after a run', 'a = <<EOT\nx\nWEOT\nEOT\nb = 1\n'],
  ['indented heredoc', 'a = <<-EOT\nWx\nWEOT\nb = 1\n'],
  ['spaces after the heredoc marker', 'a = <<EOTW\nx\nEOT\n'],
  ['quoted string and interpolation', 'a = "xWy ${ var.aW}"\nb = 1\n'],
  ['template directive', 'a = "%{ if xW}yW%{ endif }"\n'],
  ['newlines ending attributes', 'resource "a" "b" {\n  x = 1W  y = 2W}\n'],
  ['comments beside a run', 'x = 1 # cW/* d */W// e\ny = 2\n'],
  ['unclosed object (error recovery)', 'locals {\n  x = {Wa = 1W\n'],
  ['unclosed brackets in a broken block', 'resource "a" "b" {{{W\n}\nresource "c" "d" {\n  x = [W1,W2W]\n}\n'],
  ['an operator across a run', 'a = var.xW+W1\n'],
  ['CRLF and tabs', 'a = {\r\nW\r\n  k = 1\r\n}\r\n'],
];
const RUNS: readonly string[] = [' '.repeat(300), '\n'.repeat(300), ' \n\t'.repeat(100), '\r\n'.repeat(150)];

describe('long whitespace: tree-sitter reads a run shortened (linear time) and the document is the same', () => {
  for (const [name, template] of WHITESPACE) {
    it(name, () => {
      for (const run of RUNS) {
        const text = template.replaceAll('W', run);
        assert.deepEqual(parseHclWithTreeSitter(text), parseHclWithTreeSitter(text, false), `${name} with ${JSON.stringify(run.slice(0, 3))}…`);
      }
    });
  }
  it('in every Terraform fixture with its blank lines made long', () => {
    // Not the fuzz-found inputs: read in full, some of them run out of the parse budget, which is the point.
    const files = tfFiles(path.join(ROOT, 'test', 'fixtures')).filter((f) => !f.includes(`${path.sep}fuzz-found${path.sep}`));
    for (const f of files) {
      const text = fs.readFileSync(f, 'utf8').replace(/\n\n/g, `\n${' '.repeat(40)}\n${'\n'.repeat(40)}`);
      assert.deepEqual(parseHclWithTreeSitter(text), parseHclWithTreeSitter(text, false), f);
    }
  });
});

const NSG = `# citrix-role: vda
resource "azurerm_network_security_group" "vda" {
  name                = "nsg-vda"
  resource_group_name = "rg"

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
  security_rule {
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Udp"
    source_port_range          = "*"
    destination_port_range     = "16500-16509"
    source_address_prefix      = var.gateway
    destination_address_prefix = "*"
  }
  security_rule {
    name                       = "DenyRest"
    priority                   = 4000
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "*"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}

variable "gateway" {
  default = "10.0.0.21"
}

resource "azurerm_network_security_rule" "extra" {
  name                        = "AllowHttps"
  priority                    = 200
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "Tcp"
  source_port_range           = "*"
  destination_port_range      = "443"
  source_address_prefix       = "*"
  destination_address_prefix  = "*"
  network_security_group_name = azurerm_network_security_group.vda.name
}
`;

describe('rules of unchanged blocks are reused after an edit, and come out as a fresh parse gives them', () => {
  /** Each edit replaces the first occurrence of `find` in the previous version. */
  const EDITS: readonly (readonly [string, string])[] = [
    ['"2598"', '"25981"'],
    ['"25981"', '"2598"'],
    ['# citrix-role: vda', '# citrix-role: vda (Zürich)\n# two more lines\n'],
    ['"10.0.0.21"', '"10.0.0.22"'],
    ['nsg-vda', 'nsg-vda-2'],
    ['  security_rule {\n    name                       = "DenyRest"', '  security_rule {\n    name = "New"\n    priority = 300\n    direction = "Inbound"\n    access = "Deny"\n    protocol = "*"\n    source_port_range = "*"\n    destination_port_range = "22"\n    source_address_prefix = "*"\n    destination_address_prefix = "*"\n  }\n  security_rule {\n    name                       = "DenyRest"'],
    ['priority                   = 100', 'priority                   = 4000'],
    ['security_rule {', 'security_rule {{'],
    ['security_rule {{', 'security_rule {'],
    ['"443"', '"8443"'],
  ];

  it('matches a fresh parse after every edit', async () => {
    const { disposeReuse } = await import('../../../server/src/formats/treeSitter');
    const { parseTerraform } = await import('../../../server/src/formats/terraform');
    const { snapshotParsedFile } = await import('../../helpers/snapshot');
    const uri = 'file:///ws/vda.tf';
    const reuse = {};
    let text = NSG;
    parseTerraform(text, uri, { reuse });
    for (const [find, replace] of EDITS) {
      assert.ok(text.includes(find), find);
      text = text.replace(find, replace);
      const incremental = parseTerraform(text, uri, { reuse });
      const fresh = parseTerraform(text, uri);
      assert.deepEqual(snapshotParsedFile(incremental), snapshotParsedFile(fresh), `after ${JSON.stringify([find, replace])}`);
      assert.deepEqual(incremental.problems, fresh.problems);
    }
    disposeReuse(reuse);
  });

  it('reuses the rule objects of blocks before the edit and moves those after it', async () => {
    const { disposeReuse } = await import('../../../server/src/formats/treeSitter');
    const { parseTerraform } = await import('../../../server/src/formats/terraform');
    const uri = 'file:///ws/vda.tf';
    const reuse = {};
    const first = parseTerraform(NSG, uri, { reuse });
    const edited = NSG.replace('"Udp"', '"Tcp"');
    const second = parseTerraform(edited, uri, { reuse });
    const rules = (f: typeof first) => f.ruleSets.find((r) => r.id === 'azurerm_network_security_group.vda')!.rules;
    // The first rule is before the edit: the same object. The third is after it, at the same offset (same length).
    assert.equal(rules(second)[0], rules(first)[0]);
    assert.equal(rules(second)[2], rules(first)[2]);
    // The second rule changed: rebuilt.
    assert.notEqual(rules(second)[1], rules(first)[1]);
    // A longer edit before the third rule moves it: a new object with moved spans and the same meaning.
    const longer = NSG.replace('"Udp"', '"Tcp" # longer');
    const third = parseTerraform(longer, uri, { reuse });
    const moved = rules(third)[2];
    const fresh = rules(parseTerraform(longer, uri))[2];
    assert.notEqual(moved, rules(first)[2]);
    assert.deepEqual(moved.span, fresh.span);
    assert.equal(moved.span.start - rules(first)[2].span.start, ' # longer'.length);
    assert.equal(longer.slice(moved.destinationPorts.span!.start, moved.destinationPorts.span!.end), '"*"');
    disposeReuse(reuse);
  });
});
