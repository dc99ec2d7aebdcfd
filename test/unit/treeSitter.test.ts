import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initTreeSitter, treeSitterParser } from '../../server/src/formats/treeSitter';

test('tree-sitter grammars load and parse', async () => {
  await initTreeSitter();
  const tf = treeSitterParser('terraform').parse('resource "a" "b" {\n  x = 1\n}\n');
  assert.equal(tf?.rootNode.hasError, false);
  assert.equal(tf?.rootNode.firstChild?.type, 'body');
  const bicep = treeSitterParser('bicep').parse("param x string = 'a'\n");
  assert.equal(bicep?.rootNode.hasError, false);
});

test('a parse cancelled by its budget does not leak into the next one', async () => {
  await initTreeSitter();
  const parser = treeSitterParser('bicep');
  let calls = 0;
  // Cancel at the first progress report, as the budget does for pathological input.
  const cancelled = parser.parse('-'.repeat(5000), null, { progressCallback: () => ++calls > 0 });
  assert.equal(cancelled, null);
  const next = parser.parse("param x string = 'a'\n");
  assert.equal(next?.rootNode.hasError, false, 'the next parse must start afresh, not resume the cancelled one');
  assert.equal(next?.rootNode.text, "param x string = 'a'\n");
  next?.delete();
});
