import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseIptables } from '../../../server/src/formats/iptables';
import { parseNftables } from '../../../server/src/formats/nftables';
import type { ParsedFile, ParseReuse, Parser } from '../../../server/src/model';
import { benchFile, targetByName } from '../../fuzz/generators';
import { fixturePath } from '../../helpers/fixtures';

/**
 * The iptables-save and nftables parsers keep what unchanged lines produced
 * between versions of a document (ParseOptions.reuse). Whatever the edit,
 * the result must be exactly what a parse without the cache gives.
 */

/** Everything a parse produced, spans and set internals included, as one string. */
function picture(file: ParsedFile): string {
  return JSON.stringify(file, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** A small deterministic generator, so a failure names a reproducible edit. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 0x100000000;
  };
}

const INSERTS = ['1', ' ', 'x', '\n', '#', '{', '}', '"', '\\', ';', '-A INPUT -j DROP\n', 'COMMIT\n', '*nat\n', 'define admins = 10.9.0.0/16\n', '\t\ttcp dport 22 accept\n'];

/** One random edit: insert a piece, delete a few characters, duplicate or drop a line. */
function edit(text: string, rnd: () => number): { text: string; what: string } {
  const at = Math.floor(rnd() * (text.length + 1));
  const kind = Math.floor(rnd() * 4);
  if (kind === 0) {
    const piece = INSERTS[Math.floor(rnd() * INSERTS.length)];
    return { text: text.slice(0, at) + piece + text.slice(at), what: `insert ${JSON.stringify(piece)} at ${at}` };
  }
  if (kind === 1) {
    const len = 1 + Math.floor(rnd() * 5);
    return { text: text.slice(0, at) + text.slice(at + len), what: `delete ${len} at ${at}` };
  }
  const start = text.lastIndexOf('\n', at - 1) + 1;
  let end = text.indexOf('\n', at);
  end = end < 0 ? text.length : end + 1;
  const line = text.slice(start, end);
  if (kind === 2) return { text: text.slice(0, end) + line + text.slice(end), what: `duplicate line at ${start}` };
  return { text: text.slice(0, start) + text.slice(end), what: `drop line at ${start}` };
}

interface Case {
  readonly name: string;
  readonly parse: Parser;
  readonly text: string;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const [folder, ext, parse] of [
    ['iptables', '.rules', parseIptables],
    ['nftables', '.nft', parseNftables],
  ] as const) {
    const dir = fixturePath(folder);
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(ext)).sort()) {
      out.push({ name: `${folder}/${f}`, parse, text: fs.readFileSync(path.join(dir, f), 'utf8') });
    }
  }
  for (const [name, parse] of [
    ['iptables-save', parseIptables],
    ['nftables', parseNftables],
  ] as const) {
    const target = targetByName(name);
    assert.ok(target, name);
    out.push({ name: `generated ${name}`, parse, text: benchFile(target, 400, 7) });
  }
  return out;
}

test('parsing with a reuse cache gives exactly what a parse without one gives, edit after edit', async (t) => {
  for (const c of cases()) {
    await t.test(c.name, () => {
      const rnd = lcg(c.text.length);
      const reuse: ParseReuse = {};
      let text = c.text;
      assert.equal(picture(c.parse(text, 'file:///f', { reuse })), picture(c.parse(text, 'file:///f')), 'first parse');
      for (let k = 0; k < 25; k++) {
        const next = edit(text, rnd);
        text = next.text;
        assert.equal(picture(c.parse(text, 'file:///f', { reuse })), picture(c.parse(text, 'file:///f')), `after edit ${k + 1}: ${next.what}`);
      }
    });
  }
});

test('an edit to one line reuses the rules of the other lines', async (t) => {
  const table: { name: string; parse: Parser; text: string; marker: string }[] = [
    {
      name: 'iptables-save',
      parse: parseIptables,
      text: ['*filter', ':INPUT DROP [0:0]', ...Array.from({ length: 50 }, (_, i) => `-A INPUT -s 10.0.${i}.0/24 -p tcp --dport ${1000 + i} -j ACCEPT`), 'COMMIT', ''].join('\n'),
      marker: '--dport 1025',
    },
    {
      name: 'nftables',
      parse: parseNftables,
      text: ['table inet f {', ' chain input {', '  type filter hook input priority 0; policy drop;', ...Array.from({ length: 50 }, (_, i) => `  ip saddr 10.0.${i}.0/24 tcp dport ${1000 + i} accept`), ' }', '}', ''].join('\n'),
      marker: 'dport 1025',
    },
  ];
  for (const c of table) {
    await t.test(c.name, () => {
      const reuse: ParseReuse = {};
      const before = c.parse(c.text, 'file:///f', { reuse });
      const at = c.text.indexOf(c.marker) + c.marker.length;
      const edited = `${c.text.slice(0, at)}9${c.text.slice(at)}`;
      const after = c.parse(edited, 'file:///f', { reuse });
      const rulesBefore = before.ruleSets[0].rules.filter((r) => !r.implicit);
      const rulesAfter = after.ruleSets[0].rules.filter((r) => !r.implicit);
      assert.equal(rulesAfter.length, 50);
      // Rules above the edit are the very same objects; the edited one is new; those below moved by one character.
      assert.equal(rulesAfter[0], rulesBefore[0]);
      assert.equal(rulesAfter[24], rulesBefore[24]);
      assert.notEqual(rulesAfter[25], rulesBefore[25]);
      assert.equal(rulesAfter[25].destinationPorts.text, '10259');
      assert.equal(rulesAfter[26].span.start, rulesBefore[26].span.start + 1);
      assert.equal(rulesAfter[26].destinationPorts.span?.start, (rulesBefore[26].destinationPorts.span?.start ?? 0) + 1);
      assert.equal(picture(after), picture(c.parse(edited, 'file:///f')));
    });
  }
});
