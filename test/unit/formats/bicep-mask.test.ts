import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskNewerSyntax, maskPunctuationRuns, maskSpreads } from '../../../server/src/formats/bicep/mask';
import { scanBicep } from '../../../server/src/formats/bicep/scan';
import fs from 'node:fs';
import path from 'node:path';
import { initTreeSitter, treeSitterParser } from '../../../server/src/formats/treeSitter';
import { parseAs } from '../../../server/src/formats';
import { repoRoot } from '../../helpers/fixtures';

const run = '-'.repeat(40);

test('long punctuation runs are blanked for tree-sitter with every offset kept, and reported only outside strings', () => {
  const text = `var a = 1\n${run}\nvar note = '${run}'\n// ${run}\n`;
  const masked = maskPunctuationRuns(text);
  assert.equal(masked.text.length, text.length);
  assert.ok(!masked.text.includes('-'.repeat(32)));
  assert.deepEqual(masked.problems.map((p) => text.slice(p.span.start, p.span.end)), [run]);
  assert.deepEqual(maskPunctuationRuns('var x = 1 - 2\n'), { text: 'var x = 1 - 2\n', problems: [] });
});

test('a separator inside a rule description keeps its value', async () => {
  await initTreeSitter();
  // The stray run is blanked for tree-sitter; the value comes from the original text.
  const text = `${run}\nresource nsg 'Microsoft.Network/networkSecurityGroups@2023-04-01' = {\n  name: 'nsg'\n  properties: {\n    securityRules: [\n      {\n        name: 'a${run}'\n        properties: { access: 'Allow', direction: 'Inbound', priority: 100, protocol: 'Tcp', sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '1494' }\n      }\n    ]\n  }\n}\n`;
  const file = parseAs('bicep', text, 'file:///x.bicep');
  const rule = file.ruleSets[0]?.rules.find((r) => !r.implicit);
  assert.equal(rule?.name, `a${run}`);
  assert.ok(file.problems.some((p) => p.code === 'syntax-error' && p.span.start === 0));
});

test('declarations of newer Bicep releases are rewritten offset for offset into what the grammar reads', () => {
  const cases: [string, string][] = [
    ['extension microsoftGraph\n', '                        \n'],
    ["var a string = 'x'\n", "var a        = 'x'\n"],
    ["var ports string[] = ['1']\n", "var ports          = ['1']\n"],
    ["param p resourceInput<'A/b@1'>.properties?\n", "param p object                            \n"],
    ["var v = $'''\n${x}\n'''\n", "var v =  '''\n${x}\n'''\n"],
    // Inside a multi-line string nothing changes, and a ''' in a comment does not open one.
    ["// a $''' note\nvar a string = 'x'\n", "// a  ''' note\nvar a        = 'x'\n"],
    ["var s = '''\nextension x\n'''\n", "var s = '''\nextension x\n'''\n"],
    ["var a = 'x'\nparam b string\n", "var a = 'x'\nparam b string\n"],
  ];
  for (const [input, expected] of cases) {
    const out = maskNewerSyntax(input);
    assert.equal(out, expected, JSON.stringify(input));
    assert.equal(out.length, input.length);
  }
});

test('spreads are rewritten offset for offset, and only where Bicep allows them', () => {
  // [input, masked text, offsets the evaluator is told are spreads]
  const cases: [string, string, number[]][] = [
    ['var o = { ...base, a: 1 }\n', 'var o = { __:base, a: 1 }\n', [10]],
    ['var l = [\n  ...xs\n  1\n]\n', 'var l = [\n     xs\n  1\n]\n', [15]],
    ['var l = [...xs, ...ys]\n', 'var l = [   xs,    ys]\n', [12, 19]],
    // Inside an array inside an object: the innermost bracket decides.
    ['var o = { r: [ ...xs ] }\n', 'var o = { r: [    xs ] }\n', [18]],
    // In a string, a comment, or a call's arguments, dots are not a spread.
    ["var s = '...'\n// ... note\nvar c = f(...x)\n", "var s = '...'\n// ... note\nvar c = f(...x)\n", []],
    // An interpolation's braces are not an object.
    ["var s = '${a}'\nvar o = {\n  ...b\n}\n", "var s = '${a}'\nvar o = {\n  __:b\n}\n", [27]],
  ];
  for (const [input, expected, offsets] of cases) {
    const out = maskSpreads(input, scanBicep(input).spreads);
    assert.equal(out.text, expected, JSON.stringify(input));
    assert.equal(out.text.length, input.length);
    assert.deepEqual([...out.spreadAt], offsets, JSON.stringify(input));
  }
});

test('brackets that prove a syntax error are told apart from nesting that is only deep or odd', async () => {
  await initTreeSitter();
  const broken = [
    "resource a 'T@1' = {\n  name: 'x'\n",
    "var a = [1, 2\nvar b = 1\n",
    "var a = { b: [1 }\n",
    "var a = 1 }\n",
    "var s = 'x${a'\n",
  ];
  const sound = [
    "resource a 'T@1' = {\n  name: 'x'\nresource b 'c@1' = {\n  name: 'y'\n}\n}\n",
    "var s = '}{)('\n// ] [\nvar t = '''\n{\n'''\n",
    "var s = '${ {a: 1}.a }'\n",
    "var a = 1\n",
  ];
  for (const text of broken) {
    assert.equal(scanBicep(text).bracketsBroken, true, JSON.stringify(text));
    // What the prediction promises: a whole-file parse can only end in errors, so skipping it loses nothing.
    assert.equal(parseWhole(text), true, `tree-sitter has errors in ${JSON.stringify(text)}`);
  }
  for (const text of sound) assert.equal(scanBicep(text).bracketsBroken, false, JSON.stringify(text));
  // Past the tracked depth nothing is claimed.
  assert.equal(scanBicep(`var a = ${'['.repeat(10_001)}`).bracketsBroken, false);
});

test('wherever the scan says the brackets are broken, tree-sitter finds errors in the whole file (fixtures, each with 40 random cuts)', async () => {
  await initTreeSitter();
  const dirs = ['test/fixtures/bicep', 'test/fixtures/fixes/bicep', 'test/fixtures/fuzz-found/bicep', 'examples/bicep'];
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  let claimed = 0;
  for (const dir of dirs) {
    const abs = path.join(repoRoot(), dir);
    if (!fs.existsSync(abs)) continue;
    for (const name of fs.readdirSync(abs).filter((n) => n.endsWith('.bicep'))) {
      const original = fs.readFileSync(path.join(abs, name), 'utf8');
      for (let k = 0; k < 40; k++) {
        // Delete or insert one bracket-ish character: the edits that move the prediction.
        const at = next(original.length + 1);
        const text = k % 2 ? original.slice(0, at) + '{[(}])'[next(6)] + original.slice(at) : original.slice(0, at) + original.slice(at + 1);
        if (!scanBicep(text).bracketsBroken) continue;
        claimed++;
        assert.equal(parseWhole(text), true, `${dir}/${name}, edit ${k}: the scan claims broken brackets, tree-sitter parsed it cleanly`);
      }
    }
  }
  assert.ok(claimed > 50, `only ${claimed} edited files had broken brackets: the property checked too little`);
});

/** Whether tree-sitter's whole-file parse of the text, masked as the reader masks it, has an error. */
function parseWhole(text: string): boolean {
  const scan = scanBicep(text);
  const masked = maskPunctuationRuns(maskSpreads(maskNewerSyntax(text), scan.spreads).text).text;
  const tree = treeSitterParser('bicep').parse(masked);
  try {
    return tree ? tree.rootNode.hasError : true;
  } finally {
    tree?.delete();
  }
}
