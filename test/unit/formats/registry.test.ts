// The format registry is the one list of formats: everything else that names
// formats (the client's document selector and start globs, package.json's
// activation events and languages, docs/architecture.md) is derived from it or
// held equal to it here, so a format added in one place only fails this test.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { claimedLanguages, contributedLanguages, FORMAT_DESCRIPTORS, FORMAT_IDS, servedLanguages } from '../../../server/src/formats/descriptors';
import { activationEvents, CANDIDATE_GLOBS, CLAIMED_GLOBS, TOPOLOGY_GLOB } from '../../../server/src/formats/filePatterns';
import { FORMAT_MODULES, FORMAT_NAMES, PARSERS } from '../../../server/src/formats';
import { detectFormat } from '../../../server/src/formats/detect';

// picomatch ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const picomatch = require('picomatch') as (globs: string | string[], options?: { dot?: boolean; basename?: boolean }) => (p: string) => boolean;

const root = process.env.CITRIX_FLOW_LINT_ROOT ?? process.cwd();
const formatsDir = path.join(root, 'server/src/formats');

interface Manifest {
  activationEvents: string[];
  contributes: { languages: { id: string; extensions?: string[]; filenames?: string[]; filenamePatterns?: string[] }[]; grammars: { language: string }[] };
}
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
const architecture = fs.readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');

describe('format registry', () => {
  it('every format folder (one with a format.ts) is in the registry, and every registered id has its folder', () => {
    const folders = fs.readdirSync(formatsDir).filter((d) => fs.existsSync(path.join(formatsDir, d, 'format.ts')));
    assert.deepEqual([...folders].sort(), [...FORMAT_IDS].sort());
  });
  it('the modules, parsers and names are the descriptors, id for id and in order', () => {
    assert.deepEqual(Object.keys(FORMAT_MODULES), FORMAT_IDS);
    assert.deepEqual(Object.keys(PARSERS), FORMAT_IDS);
    for (const d of FORMAT_DESCRIPTORS) {
      assert.equal(FORMAT_MODULES[d.id].id, d.id);
      assert.equal(FORMAT_NAMES[d.id], d.name);
      assert.equal(typeof FORMAT_MODULES[d.id].parse, 'function', d.id);
    }
  });
  it('a claimed file name is read as its own format by detectFormat', () => {
    // One concrete name per claimed glob, as a user would write it.
    const examples: Record<string, string> = {
      '**/*.tf': 'main.tf',
      '**/*.tofu': 'main.tofu',
      '**/*.tf.json': 'cdk.tf.json',
      '**/*.tofu.json': 'main.tofu.json',
      '**/*.bicep': 'nsg.bicep',
      '**/*.iptables': 'vda.iptables',
      '**/rules.v4': 'etc/rules.v4',
      '**/rules.v6': 'etc/rules.v6',
      '**/*iptables*.rules': 'vda-iptables.rules',
      '**/*ip6tables*.rules': 'vda-ip6tables.rules',
      '**/iptables/*.rules': 'etc/iptables/web.rules',
      '**/sysconfig/iptables': 'etc/sysconfig/iptables',
      '**/sysconfig/ip6tables': 'etc/sysconfig/ip6tables',
      '**/*.nft': 'vda.nft',
      '**/nftables.conf': 'etc/nftables.conf',
      '**/*.asa': 'edge.asa',
      '**/ns.conf': 'nsconfig/ns.conf',
      '**/firewalld/zones/*.xml': 'etc/firewalld/zones/public.xml',
    };
    for (const d of FORMAT_DESCRIPTORS) {
      for (const glob of d.files.claimed) {
        const name = examples[glob];
        assert.ok(name, `add an example file name for ${glob} (${d.id}) to this table`);
        assert.ok(picomatch(glob, { dot: true })(`ws/${name}`), `${name} does not match ${glob}`);
        assert.equal(detectFormat(`file:///ws/${name}`, ''), d.id, `${name} (${glob})`);
      }
    }
  });
});

describe('package.json agrees with the registry', () => {
  it('activation events are the derived ones', () => {
    assert.deepEqual(manifest.activationEvents, activationEvents(), `package.json "activationEvents" should be:\n${JSON.stringify(activationEvents(), null, 2)}`);
  });
  it('every claimed language starts the extension, and only claimed globs and candidates are searched', () => {
    for (const l of claimedLanguages()) assert.ok(manifest.activationEvents.includes(`onLanguage:${l}`), l);
    const globs = manifest.activationEvents.filter((e) => e.startsWith('workspaceContains:')).map((e) => e.slice('workspaceContains:'.length));
    assert.deepEqual(globs, [TOPOLOGY_GLOB, ...CLAIMED_GLOBS, ...CANDIDATE_GLOBS]);
  });
  it('contributes.languages are exactly the registry\'s own languages, each with a grammar', () => {
    assert.deepEqual(manifest.contributes.languages.map((l) => l.id).sort(), contributedLanguages().sort());
    assert.deepEqual(manifest.contributes.grammars.map((g) => g.language).sort(), contributedLanguages().sort());
  });
  it('the file names a contributed language takes are claimed by the same format', () => {
    for (const d of FORMAT_DESCRIPTORS) {
      const claimed = picomatch([...d.files.claimed], { dot: true });
      for (const id of d.languages.contributed) {
        const lang = manifest.contributes.languages.find((l) => l.id === id)!;
        const names = [...(lang.extensions ?? []).map((e) => `ws/x${e}`), ...(lang.filenames ?? []).map((n) => `ws/${n}`)];
        for (const n of names) assert.ok(claimed(n), `${id}: ${n} is in package.json but matches no claimed glob of ${d.id}`);
      }
    }
  });
});

describe('the client agrees with the registry', () => {
  // The client cannot be imported here (it needs vscode); its selector module is bundled as the extension bundles it.
  const bundle = esbuild.buildSync({ entryPoints: [path.join(root, 'client/src/documentSelector.ts')], bundle: true, write: false, platform: 'node', format: 'cjs', external: ['vscode', 'vscode-languageclient'] });
  const mod: { exports: { DOCUMENT_SELECTOR?: { scheme: string; language?: string; pattern?: string }[] } } = { exports: {} };
  new Function('module', 'exports', 'require', bundle.outputFiles[0].text)(mod, mod.exports, require);
  const selector = mod.exports.DOCUMENT_SELECTOR ?? [];

  it('the document selector serves every language of every format, and no other', () => {
    const languages = selector.filter((s) => s.language).map((s) => s.language!);
    assert.deepEqual(languages.sort(), servedLanguages().sort());
    for (const d of FORMAT_DESCRIPTORS) for (const l of [...d.languages.claimed, ...d.languages.sniffed]) assert.ok(languages.includes(l), `${d.id}: ${l}`);
    assert.deepEqual(selector.filter((s) => s.pattern).map((s) => s.pattern), [TOPOLOGY_GLOB]);
  });
  it('no client source spells a format\'s language id or file glob itself', () => {
    const known = new Set<string>([...servedLanguages(), ...CLAIMED_GLOBS, ...CANDIDATE_GLOBS, TOPOLOGY_GLOB]);
    const clientDir = path.join(root, 'client/src');
    for (const name of fs.readdirSync(clientDir).filter((n) => n.endsWith('.ts'))) {
      const source = fs.readFileSync(path.join(clientDir, name), 'utf8');
      for (const m of source.matchAll(/'([^'\n]*)'|"([^"\n]*)"/g)) {
        const literal = m[1] ?? m[2];
        // Opening the generated citrix-flows.yaml or an explanation as a new document names its language; that is not a list of formats.
        if (/openTextDocument\(\{ language: $/.test(source.slice(Math.max(0, m.index - 40), m.index))) continue;
        assert.ok(!known.has(literal), `client/src/${name} spells ${JSON.stringify(literal)}: take it from server/src/formats/descriptors.ts`);
      }
    }
  });
});

/** The rows of the markdown table that follows `heading`. */
function tableAfter(heading: string): string[][] {
  const at = architecture.indexOf(heading);
  assert.ok(at >= 0, `docs/architecture.md has no "${heading}"`);
  const lines = architecture.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(start)) {
    if (!line.startsWith('|')) break;
    rows.push(line.slice(1, -1).split('|').map((c) => c.trim()));
  }
  return rows.slice(2);
}

describe('docs/architecture.md agrees with the registry', () => {
  it('the Formats table lists every format, with its name, folder and comment leader', () => {
    const rows = tableAfter('## Formats');
    assert.deepEqual(rows.map((r) => r[0]), FORMAT_IDS.map((id) => `\`${id}\``));
    for (const d of FORMAT_DESCRIPTORS) {
      const row = rows.find((r) => r[0] === `\`${d.id}\``)!;
      assert.equal(row[1], d.name, d.id);
      assert.equal(row[2], `\`server/src/formats/${d.id}/\``, d.id);
      const leader = d.comments.line === undefined ? 'none' : `\`${d.comments.line}\``;
      assert.ok(row[3].startsWith(leader), `${d.id}: the comment column should start with ${leader}`);
    }
  });
  it('every path in "Where a change goes" exists', () => {
    const rows = tableAfter('## Where a change goes');
    assert.ok(rows.length >= 5);
    const paths = rows.flatMap((r) => [...r.slice(1).join(' ').matchAll(/`([^`\s]+\/[^`\s]*)`/g)].map((m) => m[1]));
    assert.ok(paths.length >= 10, paths.join(' '));
    for (const p of paths) {
      const placeholder = /<([a-z-]+)>/.exec(p);
      if (placeholder?.[1] === 'format') {
        for (const id of FORMAT_IDS) assert.ok(fs.existsSync(path.join(root, p.replace('<format>', id))), `${p} for ${id}`);
      } else if (placeholder) {
        // <id>, <product>, <feature>, <command>: the folder it goes in exists and holds at least one such entry.
        const dir = path.join(root, p.slice(0, p.lastIndexOf('/', placeholder.index) + 1));
        const rest = p.slice(placeholder.index + placeholder[0].length);
        assert.ok(fs.existsSync(dir) && fs.readdirSync(dir).some((n) => (rest.startsWith('/') ? fs.existsSync(path.join(dir, n, rest)) : n.endsWith(rest))), p);
      } else {
        assert.ok(fs.existsSync(path.join(root, p)), p);
      }
    }
  });
  it('the format row names both registry files', () => {
    const row = tableAfter('## Where a change goes').find((r) => r[0].includes('format'))!;
    assert.ok(row[1].includes('`server/src/formats/descriptors.ts`') && row[1].includes('`server/src/formats/registry.ts`'), row[1]);
  });
});
