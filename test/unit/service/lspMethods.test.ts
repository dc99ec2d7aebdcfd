import * as fs from 'node:fs';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { METHODS } from '../../../server/src/service/lspMethods';
import { ensureBuilt } from '../../helpers/cli';
import { repoRoot } from '../../helpers/fixtures';

/**
 * The custom LSP methods are declared once (server/src/service/lspMethods.ts):
 * no other source spells a method name, no call passes a string literal as
 * the method, and the shipped bundles carry only declared names.
 */
const root = repoRoot();
const DECLARING = path.join('server', 'src', 'service', 'lspMethods.ts');
const DECLARED = new Set<string>(Object.values(METHODS));
/** Strings of the method shape that are not methods, with why. */
const NOT_METHODS = new Map([['citrixFlowLint/v1', 'the SARIF partialFingerprints key (cli/sarif.ts)']]);
/** A quoted `citrixFlowLint/<name>`; comments use backticks around names, so only quotes count in sources. */
const QUOTED_NAME = /(['"])(citrixFlowLint\/[A-Za-z0-9_.-]+)\1/g;
/** A call whose method is spelled in place, template literals included (standard LSP methods such as `window/showMessage` may be). */
const LITERAL_METHOD_CALL = /\b(?:sendRequest|onRequest|sendNotification|onNotification)\s*(?:<[^>()]*>)?\(\s*['"`]citrixFlowLint/g;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(rel));
    else if (entry.name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

const files = ['client/src', 'server/src', 'webview/src'].flatMap(sources);

before(ensureBuilt);

test('lsp methods: every declared name is a citrixFlowLint/ method, declared once', () => {
  const names = Object.values(METHODS);
  assert.equal(new Set(names).size, names.length, 'two keys share a method name');
  for (const name of names) assert.match(name, /^citrixFlowLint\/[a-z][A-Za-z]*$/);
});

test('lsp methods: the sources spell method names only in lspMethods.ts', () => {
  assert.ok(files.includes(DECLARING), `${DECLARING} not found among the sources`);
  assert.ok(files.some((f) => f.startsWith('client')) && files.some((f) => f.startsWith('webview')), 'client and webview sources found');
  const strays: string[] = [];
  for (const file of files) {
    if (file === DECLARING) continue;
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(QUOTED_NAME)) if (!NOT_METHODS.has(m[2])) strays.push(`${file}: ${m[2]}`);
    for (const m of text.matchAll(LITERAL_METHOD_CALL)) strays.push(`${file}: ${m[0]}…`);
  }
  assert.deepEqual(strays, [], 'use METHODS from server/src/service/lspMethods.ts');
});

test('lsp methods: the extension and server bundles carry only declared names', () => {
  for (const bundle of ['extension.js', 'server.js']) {
    const text = fs.readFileSync(path.join(root, 'dist', bundle), 'utf8');
    const found = new Set([...text.matchAll(/citrixFlowLint\/[A-Za-z0-9_.-]+/g)].map((m) => m[0]));
    const undeclared = [...found].filter((n) => !DECLARED.has(n) && !NOT_METHODS.has(n));
    assert.deepEqual(undeclared, [], `${bundle} uses a method lspMethods.ts does not declare`);
  }
});

test('lsp methods: the server answers every declared method and the client calls each', () => {
  const server = fs.readFileSync(path.join(root, 'server', 'src', 'server.ts'), 'utf8');
  const client = files.filter((f) => f.startsWith('client')).map((f) => fs.readFileSync(path.join(root, f), 'utf8')).join('\n');
  for (const key of Object.keys(METHODS) as (keyof typeof METHODS)[]) {
    const [serverSide, clientSide] = key === 'status' ? ['sendNotification', 'onNotification'] : ['onRequest', 'request'];
    assert.match(server, new RegExp(`\\b${serverSide}\\(METHODS\\.${key}\\b`), `server.ts: ${serverSide}(METHODS.${key}, …)`);
    assert.match(client, new RegExp(`\\b${clientSide}\\((?:client, )?METHODS\\.${key}\\b`), `client/src: ${clientSide}(…METHODS.${key}, …)`);
  }
});
