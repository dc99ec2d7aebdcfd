import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AT_POSITION, optional, shapeProblem, type Shape } from '../../../server/src/lspParams';
import { medianOfRepeats } from '../../fuzz/check';

const SHAPES: [string, unknown, Shape, string | undefined][] = [
  ['a good position request', { textDocument: { uri: 'file:///a' }, position: { line: 1, character: 2 } }, AT_POSITION, undefined],
  ['an empty uri', { textDocument: { uri: '' }, position: { line: 1, character: 2 } }, AT_POSITION, 'params.textDocument.uri must be a document URI (a non-empty string)'],
  ['a line past 2^31', { textDocument: { uri: 'file:///a' }, position: { line: 2 ** 31, character: 0 } }, AT_POSITION, 'params.position.line must be a non-negative integer'],
  ['an array for an object', [], { uri: 'uri' }, 'params must be an object'],
  ['an optional field absent', {}, { uri: optional('uri') }, undefined],
  ['an optional field null', { uri: null }, { uri: optional('uri') }, undefined],
  ['an optional field of the wrong type', { uri: 1 }, { uri: optional('uri') }, 'params.uri must be a document URI (a non-empty string)'],
  ['a list with a number in it', { roles: ['vda', 1] }, { roles: 'string[]' }, 'params.roles must be a list of strings'],
];
for (const [name, value, shape, problem] of SHAPES) {
  test(`shapeProblem: ${name}`, () => assert.equal(shapeProblem(value, shape, 'params'), problem));
}

// The fuzz harness tells a hang from load by the median of repeats: runs are given as numbers, so no timing here.
const MEDIANS: [string, number, number[], { median: number; runs: number }][] = [
  ['one slow run among fast repeats is load', 340, [2, 3, 2, 2], { median: 3, runs: 4 }],
  ['slow every time is a hang', 340, [300, 320, 1, 1], { median: 320, runs: 3 }],
  ['two of five over the budget is not over', 150, [160, 5, 6, 4], { median: 6, runs: 5 }],
  ['three of five over the budget is over', 150, [5, 160, 6, 170], { median: 150, runs: 5 }],
];
for (const [name, first, repeats, expected] of MEDIANS) {
  test(`medianOfRepeats: ${name}`, () => {
    const queue = [...repeats];
    const r = medianOfRepeats(first, 100, () => queue.shift() as number);
    assert.deepEqual({ median: r.median, runs: r.times.length }, expected);
  });
}
