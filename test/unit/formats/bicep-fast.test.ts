import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { initTreeSitter, treeSitterParser } from '../../../server/src/formats/treeSitter';
import { plainTree, type SyntaxNode } from '../../../server/src/formats/bicep/tree';
import { parseBicepFast } from '../../../server/src/formats/bicep/fast';
import { TARGETS } from '../../fuzz/generators';
import { fuzzInput } from '../../fuzz/property';
import { repoRoot } from '../../helpers/fixtures';

/**
 * The direct Bicep reader (fast.ts) must give exactly the tree the
 * tree-sitter route gives (tree.ts `plainTree`), or give up. Every input here
 * is read both ways: where the direct reader answers, the two trees must be
 * deep-equal, node by node, with spans, fields and error flags.
 */

const ROOT = repoRoot();

before(async () => {
  await initTreeSitter();
});

interface Plain {
  type: string;
  span: [number, number];
  named: boolean;
  missing: boolean;
  error: boolean;
  fields?: (string | null)[];
  children: Plain[];
}

const plain = (n: SyntaxNode): Plain => ({
  type: n.type,
  span: [n.startIndex, n.endIndex],
  named: n.isNamed,
  missing: n.isMissing,
  error: n.hasError,
  ...(n.fields ? { fields: n.fields.map((f) => f ?? null) } : {}),
  children: n.children.map(plain),
});

function treeSitterTree(text: string): Plain {
  const tree = treeSitterParser('bicep').parse(text)!;
  try {
    return plain(plainTree(tree, text));
  } finally {
    tree.delete();
  }
}

function sameAsTreeSitter(text: string, label: string): boolean {
  const fast = parseBicepFast(text);
  if (!fast) return false;
  assert.deepEqual(plain(fast), treeSitterTree(text), label);
  return true;
}

function bicepFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...bicepFiles(p));
    else if (e.name.endsWith('.bicep')) out.push(p);
  }
  return out;
}

const FAST: readonly [string, string][] = [
  ['a param with a default', "param location string = 'westeurope'\n"],
  ['params of each primitive type, without defaults', 'param a int\nparam b bool\nparam c object\nparam d array\nparam e string\n'],
  ['comments everywhere, CRLF', "// a\r\nvar x = { // b\r\n  a: 1 /* c */\r\n  // d\r\n  b: [ // e\r\n    1 // f\r\n  ]\r\n}\r\n/* g */\r\n"],
  ['BOM', "\uFEFFvar a = 'x'\n"],
  ['decorators with comments between them', "@description('x')\n// k\n@minValue(1)\n\n// z\nparam p int = 2\n"],
  ['strings with interpolation and spacing inside text', "var a = 'p-${b}-s'\nvar c = '${ a }${b}x'\nvar d = '  a b  '\nvar e = ''\n"],
  ['numbers, booleans, null', 'var a = [\n  0\n  true\n  false\n  null\n]\nvar b = { n: -1 }\nvar c = f(-2)\n'],
  ['objects with commas and string keys', "var a = { x: 1, 'y': 2, type: 'z', }\n"],
  ['arrays on one line, with and without commas', "var a = [ 'x' 'y', 'z' ]\n"],
  ['member access and calls', 'param l string = resourceGroup().location\nvar d = x.y.z\nvar f = concat(a, [1], f())\n'],
  ['a resource with a parent and an existing one', "resource n 'Microsoft.Network/networkSecurityGroups@2023-04-01' existing = {\n  name: 'n'\n}\nresource r 'Microsoft.Network/networkSecurityGroups/securityRules@2023-04-01' = {\n  parent: n\n  name: 'r'\n  properties: { priority: 100, access: 'Allow' }\n}\n"],
  ['non-ASCII text in strings and comments', "// Zürich ✓\nvar a = 'café ñandú'\n"],
];

const SLOW: readonly [string, string][] = [
  ['empty file', ''],
  ['binary operator', 'var a = 1 + 2\n'],
  ['conditional', 'var a = b ? 1 : 2\n'],
  ['escape', "var a = 'a\\'b'\n"],
  ['dollar without interpolation', "var a = 'a$b'\n"],
  ['multi-line string', "var a = '''\nx\n'''\n"],
  ['spacing-only string', "var a = ' '\n"],
  ['comment opener in a string', "var a = 'http://x'\n"],
  ['for expression', 'var a = [for x in y: x]\n'],
  ['if resource', "resource r 'T@1' = if (c) {\n}\n"],
  ['subscript', 'var a = b[0]\n'],
  ['nested resource', "resource r 'T@1' = {\n  resource c 'd' = {\n  }\n}\n"],
  ['module', "module m './m.bicep' = {\n}\n"],
  ['output', 'output o string = a\n'],
  ['a type call in an array', "var a = [string(p)]\n"],
  ['minus between array items', 'var a = [ x -1 ]\n'],
  ['unterminated string', "var a = 'x\nvar b = 1\n"],
  ['missing brace', "resource r 'T@1' = {\n  name: 'x'\n"],
  ['member access on the next line', 'var a = x\n  .y\n'],
  ['diagnostic comment', '#disable-next-line no-unused-vars\nvar a = 1\n'],
  ['comment continued by a backslash', '// a \\\nvar a = 1\n'],
  ['union type', "param a 'x' | 'y'\n"],
];

describe('direct Bicep reader: same trees as the tree-sitter route', () => {
  for (const [name, text] of FAST) {
    it(`reads ${name}`, () => {
      assert.ok(sameAsTreeSitter(text, name), 'the direct reader gave up');
    });
  }
  for (const [name, text] of SLOW) {
    it(`leaves ${name} to tree-sitter`, () => {
      assert.equal(parseBicepFast(text), undefined);
    });
  }

  it('every Bicep fixture and example, and the bench file', () => {
    const files = [...bicepFiles(path.join(ROOT, 'test', 'fixtures')), ...bicepFiles(path.join(ROOT, 'examples'))];
    assert.ok(files.length > 10);
    let fast = 0;
    for (const f of files) if (sameAsTreeSitter(fs.readFileSync(f, 'utf8'), f)) fast++;
    assert.ok(fast > 0, 'no file took the direct route');
    // The shape of bench/generate.mjs's Bicep file.
    const rules = Array.from({ length: 50 }, (_, i) => `      {\n        name: 'r${i}'\n        properties: {\n          priority: ${100 + i}\n          destinationPortRange: '${20000 + i}'\n          sourceAddressPrefix: '10.0.${i}.0/24'\n        }\n      }\n`);
    const big = `// citrix-role: vda\nresource nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {\n  name: 'big'\n  properties: {\n    securityRules: [\n${rules.join('')}    ]\n  }\n}\n`;
    assert.ok(sameAsTreeSitter(big, 'bench-shaped file'), 'the bench-shaped file did not take the direct route');
  });

  for (const target of TARGETS.filter((t) => t.format === 'bicep')) {
    it(`generated and byte-mutated inputs (${target.name})`, () => {
      let fast = 0;
      let runs = 0;
      fc.assert(
        fc.property(fuzzInput(ROOT, target), (input) => {
          runs++;
          if (sameAsTreeSitter(input.text, input.origin)) fast++;
        }),
        { numRuns: 600, seed: 20261126 },
      );
      assert.ok(fast > runs / 5, `only ${fast} of ${runs} inputs took the direct route`);
    });
  }
});
