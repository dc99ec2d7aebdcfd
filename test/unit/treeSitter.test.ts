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
