import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { test } from 'node:test';

export function repoRoot(): string {
  if (process.env.CITRIX_FLOW_LINT_ROOT) return process.env.CITRIX_FLOW_LINT_ROOT;
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
  return dir;
}

export function fixturePath(...parts: string[]): string {
  return path.join(repoRoot(), 'test', 'fixtures', ...parts);
}

/** Input files of a fixture folder: everything except the expected snapshots beside them. */
export function fixtureInputs(folder: string): string[] {
  const dir = fixturePath(folder);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => !f.endsWith('.expected.json') && !f.startsWith('.') && fs.statSync(path.join(dir, f)).isFile())
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Compares `actual` with `<input>.expected.json`. With UPDATE_SNAPSHOTS=1
 * the snapshot is (re)written instead, so a person reviews the diff in git;
 * a missing snapshot fails the test rather than passing silently.
 */
export function assertSnapshot(inputFile: string, actual: unknown): void {
  const expectedFile = `${inputFile}.expected.json`;
  const json = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    fs.writeFileSync(expectedFile, json);
    return;
  }
  assert.ok(fs.existsSync(expectedFile), `no snapshot ${path.basename(expectedFile)}; run with UPDATE_SNAPSHOTS=1 and review it`);
  assert.deepEqual(JSON.parse(json), JSON.parse(fs.readFileSync(expectedFile, 'utf8')));
}

/** One test per input file in `folder`, each comparing `produce(text, file)` with its snapshot. */
export function snapshotSuite(folder: string, produce: (text: string, file: string) => unknown | Promise<unknown>): void {
  const inputs = fixtureInputs(folder);
  test(`${folder}: has fixtures`, () => assert.ok(inputs.length > 0, `no fixtures in test/fixtures/${folder}`));
  for (const file of inputs) {
    test(`${folder}/${path.basename(file)}`, async () => {
      const text = fs.readFileSync(file, 'utf8');
      assertSnapshot(file, await produce(text, file));
    });
  }
}
