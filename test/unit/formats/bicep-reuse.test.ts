import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { disposeReuse, initTreeSitter } from '../../../server/src/formats/treeSitter';
import { parseBicep } from '../../../server/src/formats/bicep';
import { type ParsedFile, type ParseReuse, type Rule } from '../../../server/src/model';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { repoRoot } from '../../helpers/fixtures';

/**
 * An open Bicep document reuses the rules of unchanged literal inline rule
 * items from its previous version (bicep/reuse.ts). After every edit the
 * parse with the memo must be exactly what a fresh parse gives.
 */

const ROOT = repoRoot();
const URI = 'file:///ws/doc.bicep';

before(async () => {
  await initTreeSitter();
});

/** A deterministic pseudo-random source (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An NSG with many literal inline rules, some without names, a duplicate name, refs and a call among them, and a second NSG. */
function generated(rules: number): string {
  const out = [
    "param allowedPort string = '8443'",
    "var admin = '10.9.0.0/16'",
    "resource nsg 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {",
    "  name: 'big'",
    "  location: 'westeurope'",
    '  properties: {',
    '    securityRules: [',
  ];
  for (let i = 0; i < rules; i++) {
    const port = i % 7 === 3 ? 'allowedPort' : `'${20000 + i}'`;
    const source = i % 11 === 5 ? 'admin' : `'10.${i >> 8}.${i & 255}.0/24'`;
    if (i % 9 === 4) out.push('      // a comment between rules');
    out.push('      {');
    if (i % 13 !== 6) out.push(`        name: '${i % 17 === 8 ? 'dup' : `r${i}`}'`);
    out.push(
      '        properties: {',
      `          priority: ${100 + i}`,
      `          direction: '${i % 2 ? 'Outbound' : 'Inbound'}'`,
      "          access: 'Allow'",
      "          protocol: 'Tcp'",
      "          sourcePortRange: '*'",
      `          destinationPortRange: ${port}`,
      `          sourceAddressPrefix: ${source}`,
      "          destinationAddressPrefix: '*'",
      '        }',
      '      }',
    );
  }
  out.push(
    '    ]',
    '  }',
    '}',
    '',
    "resource other 'Microsoft.Network/networkSecurityGroups@2023-09-01' = {",
    "  name: 'other'",
    '  properties: {',
    '    securityRules: [',
    "      { name: 'a', properties: { priority: 100, direction: 'Inbound', access: 'Deny', protocol: '*', sourcePortRange: '*', destinationPortRange: '22', sourceAddressPrefix: '*', destinationAddressPrefix: '*' } }",
    "      { name: 'a', properties: { priority: 110, direction: 'Inbound', access: 'Deny', protocol: '*', sourcePortRange: '*', destinationPortRange: '23', sourceAddressPrefix: '*', destinationAddressPrefix: '*' } }",
    '    ]',
    '  }',
    '}',
  );
  return `${out.join('\n')}\n`;
}

/** One random edit: a digit changed, a character typed or deleted, a line added, duplicated or removed. */
function edit(text: string, next: () => number): string {
  const at = (n: number) => Math.floor(next() * n);
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i >= 0 && i + 1 < text.length; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineAt = (k: number) => {
    const s = lineStarts[k];
    const e = text.indexOf('\n', s);
    return { start: s, end: e < 0 ? text.length : e + 1 };
  };
  switch (at(7)) {
    case 0: {
      const digits = [...text.matchAll(/\d/g)].map((m) => m.index!);
      if (!digits.length) break;
      const p = digits[at(digits.length)];
      return text.slice(0, p) + String((Number(text[p]) + 1 + at(8)) % 10) + text.slice(p + 1);
    }
    case 1: {
      const p = at(text.length + 1);
      const chars = ["'", '{', '}', 'a', '1', ' ', '\n', ':', '[', '$'];
      return text.slice(0, p) + chars[at(chars.length)] + text.slice(p);
    }
    case 2: {
      if (!text.length) break;
      const p = at(text.length);
      return text.slice(0, p) + text.slice(p + 1);
    }
    case 3: {
      const l = lineAt(at(lineStarts.length));
      return text.slice(0, l.start) + '// added line\n' + text.slice(l.start);
    }
    case 4: {
      const l = lineAt(at(lineStarts.length));
      return text.slice(0, l.end) + text.slice(l.start, l.end) + text.slice(l.end);
    }
    case 5: {
      const l = lineAt(at(lineStarts.length));
      return text.slice(0, l.start) + text.slice(l.end);
    }
    default: {
      // Indentation of a line changes (meta the emitter reads).
      const l = lineAt(at(lineStarts.length));
      return text.slice(0, l.start) + '  ' + text.slice(l.start);
    }
  }
  return `${text}\n`;
}

const ruleSpans = (f: ParsedFile) => f.ruleSets.map((rs) => rs.rules.map((r) => r.span));

function assertSameAsFresh(incremental: ParsedFile, text: string, label: string): void {
  const fresh = parseBicep(text, URI);
  assert.deepEqual(snapshotParsedFile(incremental), snapshotParsedFile(fresh), label);
  assert.deepEqual(ruleSpans(incremental), ruleSpans(fresh), label);
  assert.deepEqual(incremental.ruleSets, fresh.ruleSets, label);
  assert.deepEqual(incremental.problems, fresh.problems, label);
}

function bicepFiles(): string[] {
  const dirs = ['test/fixtures/bicep', 'test/fixtures/fixes/bicep', 'test/fixtures/checks/partial-flow', 'test/fixtures/fuzz-found/bicep', 'examples/bicep'];
  return dirs.flatMap((d) => {
    const dir = path.join(ROOT, d);
    return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.bicep')).map((n) => path.join(dir, n)) : [];
  });
}

describe('Bicep: rules of unchanged inline items are reused after an edit, and come out as a fresh parse gives them', () => {
  const inputs: [string, string][] = [...bicepFiles().map((f): [string, string] => [path.relative(ROOT, f), fs.readFileSync(f, 'utf8')]), ['generated (120 rules)', generated(120)]];

  for (const [name, original] of inputs) {
    it(`matches a fresh parse after 12 random edits: ${name}`, () => {
      let seed = 0;
      for (const c of name) seed = (seed * 31 + c.charCodeAt(0)) >>> 0;
      const next = random(seed);
      const reuse: ParseReuse = {};
      try {
        let text = original;
        assertSameAsFresh(
          parseBicep(text, URI, { reuse }),
          text,
          'first parse',
        );
        for (let n = 0; n < 12; n++) {
          text = edit(text, next);
          assertSameAsFresh(
            parseBicep(text, URI, { reuse }),
            text,
            `${name}, edit ${n + 1}`,
          );
        }
      } finally {
        disposeReuse(reuse);
      }
    });
  }

  it('reuses the rule objects before the edit, moves those after it, and rebuilds the edited one', () => {
    const text = generated(40);
    const reuse: ParseReuse = {};
    try {
      // The rules written in the file (not the implicit Azure defaults azureNsgRuleSet adds).
      const rules = (f: ParsedFile): Rule[] => f.ruleSets.find((r) => r.id === 'nsg')!.rules.filter((r) => !r.implicit);
      const first = parseBicep(text, URI, { reuse });
      const target = rules(first).findIndex((r) => r.id === 'r20');
      assert.ok(target > 0);
      // Same length: every other rule stays where it was.
      const edited = text.replace("destinationPortRange: '20020'", "destinationPortRange: '20029'");
      assert.notEqual(edited, text);
      const second = parseBicep(edited, URI, { reuse });
      assertSameAsFresh(second, edited, 'same-length edit');
      const isLiteral = (i: number) => i % 7 !== 3 && i % 11 !== 5; // generated(): rule i uses a param or var otherwise
      assert.equal(rules(first).length, 40);
      let reused = 0;
      rules(first).forEach((r, i) => {
        if (i === target) assert.notEqual(rules(second)[i], r, 'the edited rule is rebuilt');
        else if (isLiteral(i)) {
          assert.equal(rules(second)[i], r, `rule ${i} (${r.id}) is the same object`);
          reused++;
        } else assert.notEqual(rules(second)[i], r, `rule ${i} (${r.id}) refers to a param or var: rebuilt`);
      });
      assert.ok(reused > 25);
      // A longer edit: rules before it are the same objects, those after it are moved copies.
      const longer = edited.replace("destinationPortRange: '20029'", "destinationPortRange: '20029' // longer\n");
      const third = parseBicep(longer, URI, { reuse });
      assertSameAsFresh(third, longer, 'longer edit');
      for (let i = 0; i < rules(third).length; i++) {
        if (!isLiteral(i) || i === target) continue;
        if (i < target) assert.equal(rules(third)[i], rules(second)[i], `rule ${i} before the edit`);
        else {
          assert.notEqual(rules(third)[i], rules(second)[i]);
          assert.equal(rules(third)[i].span.start - rules(second)[i].span.start, ' // longer\n'.length);
          // A rule with no name is named after its line, which moved.
          if (i % 13 !== 6) assert.equal(rules(third)[i].id, rules(second)[i].id);
        }
      }
      // A parse outside an open document keeps no memo and builds everything.
      const outside = parseBicep(longer, URI);
      assert.notEqual(rules(outside)[0], rules(third)[0]);
    } finally {
      disposeReuse(reuse);
    }
  });
});
