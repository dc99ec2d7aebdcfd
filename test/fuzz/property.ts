/**
 * The fuzz property per target, shared by `npm run fuzz` and the test suite:
 * inputs are generated files, byte-mutated fixtures, and byte-mutated
 * generated files, each checked by `checkInput`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { checkInput, type Failure } from './check';
import { generatedFile, type FuzzTarget } from './generators';
import { applyMutations, mutations } from './mutate';

export interface FuzzInput {
  readonly origin: string;
  readonly text: string;
}

export function fixtureTexts(root: string, target: FuzzTarget): { name: string; text: string }[] {
  const dir = path.join(root, 'test', 'fixtures', target.fixtures);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => target.fixtureExts.some((e) => f.endsWith(e)) && !f.endsWith('.expected.json') && fs.statSync(path.join(dir, f)).isFile())
    .sort()
    .map((f) => ({ name: f, text: fs.readFileSync(path.join(dir, f), 'utf8') }));
}

export function fuzzInput(root: string, target: FuzzTarget): fc.Arbitrary<FuzzInput> {
  const fixtures = fixtureTexts(root, target);
  const generated = generatedFile(target).map((text) => ({ origin: 'generated', text }));
  const arbs: fc.WeightedArbitrary<FuzzInput>[] = [
    { weight: 4, arbitrary: generated },
    { weight: 2, arbitrary: fc.tuple(generatedFile(target, 4), mutations).map(([text, ms]) => ({ origin: 'mutated generated file', text: applyMutations(text, ms) })) },
  ];
  if (fixtures.length) {
    arbs.push({
      weight: 4,
      arbitrary: fc.tuple(fc.constantFrom(...fixtures), mutations).map(([f, ms]) => ({ origin: `mutated ${target.fixtures}/${f.name}`, text: applyMutations(f.text, ms) })),
    });
  }
  return fc.oneof(...arbs);
}

export function uriFor(target: FuzzTarget): string {
  return `file:///fuzz/input.${target.ext}`;
}

export function checkFuzzInput(target: FuzzTarget, input: FuzzInput, budgetMs?: number): Failure | undefined {
  return checkInput(target.format, uriFor(target), input.text, budgetMs);
}

/**
 * Writes a counterexample where the regression test finds it. Text that is
 * not well-formed UTF-16 (a lone surrogate) would change when written as
 * UTF-8, so its exact code units go into a JSON sidecar too.
 */
export function saveCounterexample(root: string, target: FuzzTarget, text: string): string {
  const hash = createHash('sha256').update(text, 'utf16le').digest('hex').slice(0, 12);
  const dir = path.join(root, 'test', 'fixtures', 'fuzz-found', target.format);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${hash}.${target.ext}`);
  fs.writeFileSync(file, text, 'utf8');
  if (!isWellFormed(text)) fs.writeFileSync(`${file}.utf16.json`, `${JSON.stringify({ text })}\n`);
  return file;
}

export function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}

/** Reads a saved counterexample back exactly, sidecar first. */
export function readCounterexample(file: string): string {
  const sidecar = `${file}.utf16.json`;
  if (fs.existsSync(sidecar)) return (JSON.parse(fs.readFileSync(sidecar, 'utf8')) as { text: string }).text;
  return fs.readFileSync(file, 'utf8');
}
