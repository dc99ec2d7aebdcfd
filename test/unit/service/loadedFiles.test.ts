// The editor reads what a script loads (`iptables-restore < ipv4`) the way the
// CLI does (analysis/loads.ts), so both agree on a script whose rules live
// beside it, and both warn when they are not there.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Workspace } from '../../../server/src/service/workspace';
import { initTreeSitter } from '../../../server/src/formats';

// vcapra1/dots scripts/firewall/arm.sh and ipv4 at 9f9f85ec / 2f2ce202 (no licence stated), excerpts, as in test/unit/cli/cli.test.ts.
const SCRIPT = '#!/bin/sh\n\niptables -F\niptables -X\n\niptables-restore < ipv4\n';
const RULES = '*filter\n-P INPUT DROP\n-A INPUT -p tcp -s localhost -j ACCEPT\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n';

function folder(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfl-loads-'));
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('files a script loads, in the editor', () => {
  it('an open script that loads the file beside it is checked through that file, which is parsed once per version on disk', async () => {
    await initTreeSitter();
    const dir = folder({ 'ipv4': RULES });
    const scriptUri = pathToFileURL(path.join(dir, 'arm.sh')).toString();
    const ws = new Workspace([]);
    const unit = ws.openOrChange({ uri: scriptUri, text: SCRIPT, version: 1 });
    const analysis = unit.analyze({ infer: false });
    const rulesUri = pathToFileURL(path.join(dir, 'ipv4')).toString();
    assert.deepEqual(analysis.files.map((f) => [path.basename(f.uri), f.ruleSets.length]), [['arm.sh', 0], ['ipv4', 1]]);
    assert.ok(analysis.findings.some((f) => f.uri === rulesUri && f.checkId === 'exposed-to-internet'), JSON.stringify(analysis.findings.map((f) => [f.uri, f.checkId])));
    const first = analysis.files[1];
    ws.openOrChange({ uri: scriptUri, text: `${SCRIPT}\n`, version: 2 });
    assert.equal(unit.analyze({ infer: false }).files[1], first, 'the loaded file is not parsed again while it is unchanged on disk');
  });

  it('a script whose loaded file is not beside it says its rules are not checked', async () => {
    await initTreeSitter();
    const dir = folder({});
    const scriptUri = pathToFileURL(path.join(dir, 'apply.sh')).toString();
    const ws = new Workspace([]);
    const unit = ws.openOrChange({ uri: scriptUri, text: '#!/bin/sh\nsudo iptables-restore < /etc/iptables/rules.v4\n', version: 1 });
    const analysis = unit.analyze({ infer: false });
    const problems = analysis.files[0].problems.map((p) => p.message);
    assert.ok(problems.includes('/etc/iptables/rules.v4 is not beside this script, so the rules it loads are not checked'), JSON.stringify(problems));
  });
});
