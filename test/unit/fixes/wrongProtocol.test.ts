import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { analyzeParsed, parseSource, readTopology } from '../../../server/src/analysis/analyze';
import { fixesFor } from '../../../server/src/analysis/fixes';
import { initTreeSitter } from '../../../server/src/formats';
import { LineIndex } from '../../../server/src/model';
import { applyEdits, type TextEdit } from '../../../server/src/model/edits';
import { fixturePath } from '../../helpers/fixtures';
import { run, which } from '../../helpers/netns';
import { skipOutsideCi } from '../../helpers/requiredTool';

/**
 * wrong-protocol, file by file: where the findings are (hand-written here),
 * which of them get "Open UDP instead of TCP", and the file after every such
 * fix (`<input>.fixed`, checked by a person). After the fixes the switched
 * findings are gone, the rest stay, no parse problem appears, and where the
 * platform's own tool is here it accepts the result.
 */

before(async () => {
  await initTreeSitter();
});

interface Case {
  readonly file: string;
  /** 1-based lines of the findings, in order. */
  readonly findings: readonly number[];
  /** The lines among them whose finding has the protocol fix. */
  readonly fixed: readonly number[];
  readonly validate?: (text: string, t: { skip(message: string): void }) => void;
}

function toolUnavailable(bin: string): string | undefined {
  if (!which('unshare') || !which(bin)) return `${bin} or unshare is not installed`;
  return run('unshare', ['-rn', 'true']).status === 0 ? undefined : 'unprivileged user namespaces are not available';
}

const CASES: readonly Case[] = [
  {
    file: 'iptables-save.rules',
    // Line 3 TCP 16500:16509 alone (fixed, with its -m tcp); line 5 beside TCP 1494 (reported, not switched);
    // line 4 (TCP 1494) is right and line 6 (10000:20000) is not aimed at the port.
    findings: [3, 5],
    fixed: [3],
    validate(text, t) {
      const missing = toolUnavailable('iptables-legacy-restore');
      if (missing) return skipOutsideCi(t, missing);
      const r = run('unshare', ['-rn', 'iptables-legacy-restore', '--test'], text);
      assert.equal(r.status, 0, `iptables-legacy-restore --test rejects the fixed file: ${r.stderr}`);
    },
  },
  {
    file: 'audio.nft',
    findings: [4],
    fixed: [4],
    validate(text, t) {
      const missing = toolUnavailable('nft');
      if (missing) return skipOutsideCi(t, missing);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-wp-'));
      try {
        fs.writeFileSync(path.join(dir, 'fixed.nft'), text);
        const r = run('unshare', ['-rn', 'nft', '-c', '-f', path.join(dir, 'fixed.nft')]);
        assert.equal(r.status, 0, `nft -c rejects the fixed file: ${r.stderr}`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  // Azure's "Tcp" and AWS's protocol number "6".
  { file: 'nsg-and-sg.tf', findings: [10, 23], fixed: [10, 23] },
  { file: 'powershell.ps1', findings: [1], fixed: [1] },
  { file: 'netsh.cmd', findings: [1], fixed: [1] },
  // The UDP rule on 1494 is a Citrix port UDP uses too (EDT): no finding.
  { file: 'acl.asa', findings: [4], fixed: [4] },
  { file: 'adc-ha.yaml', findings: [8], fixed: [8] },
];

function analyse(file: string, text: string) {
  const parsed = parseSource({ uri: `file:///ws/${file}`, text });
  assert.ok(parsed, `${file} is not a format we read`);
  return { parsed, analysis: analyzeParsed([parsed], readTopology(undefined, undefined)) };
}

for (const c of CASES) {
  test(`wrong-protocol fixes: ${c.file}`, (t) => {
    const input = fixturePath('fixes', 'wrong-protocol', c.file);
    const text = fs.readFileSync(input, 'utf8');
    const { parsed, analysis } = analyse(c.file, text);
    const lines = new LineIndex(text);
    const findings = analysis.findings.filter((f) => f.checkId === 'wrong-protocol');
    assert.deepEqual(findings.map((f) => lines.positionAt(f.span.start).line + 1), c.findings, findings.map((f) => f.message).join('\n'));
    const edits: TextEdit[] = [];
    const withFix: number[] = [];
    for (const f of findings) {
      const fix = fixesFor(f, analysis).find((x) => x.checkId === 'wrong-protocol' && /^Open (UDP|TCP) instead of (TCP|UDP)$/.test(x.title));
      if (!fix) continue;
      withFix.push(lines.positionAt(f.span.start).line + 1);
      edits.push(...fix.edits);
    }
    assert.deepEqual(withFix, c.fixed);
    const after = applyEdits(text, edits);
    assert.equal(after, fs.readFileSync(`${input}.fixed`, 'utf8'));
    const again = analyse(c.file, after);
    const left = again.analysis.findings.filter((f) => f.checkId === 'wrong-protocol');
    assert.equal(left.length, c.findings.length - c.fixed.length, left.map((f) => f.message).join('\n'));
    assert.deepEqual(again.parsed.problems.map((p) => p.message), parsed.problems.map((p) => p.message), 'the fix adds no parse problem');
    c.validate?.(after, t);
  });
}
