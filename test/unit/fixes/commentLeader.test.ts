import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commentLine } from '../../../server/src/formats/emitters';
import { parseAs } from '../../../server/src/formats';

const cases: { uri: string; text: string; expected: string }[] = [
  { uri: 'file:///w/rules.ps1', text: 'New-NetFirewallRule -DisplayName x\n', expected: '  # note' },
  { uri: 'file:///w/rules.cmd', text: 'netsh advfirewall firewall add rule name=x dir=in action=allow\n', expected: '  REM note' },
  { uri: 'file:///w/rules.bat', text: ':: header\nnetsh advfirewall firewall add rule name=x dir=in action=allow\n', expected: '  :: note' },
];

for (const c of cases) {
  test(`comment leader for ${c.uri}`, () => {
    const line = commentLine('windows-firewall', 'note', '  ', c);
    assert.equal(line, c.expected);
    // The parser must read the line we write as a comment, or a suppression would be a syntax error.
    const parsed = parseAs('windows-firewall', `${line.trim()}\n${c.text}`, c.uri);
    assert.ok(parsed.comments.some((k) => k.text === 'note'), `comment not recognised in ${c.uri}`);
  });
}
