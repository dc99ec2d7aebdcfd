// The extension as a user gets it: packaged with vsce, installed into
// code-server (VS Code 1.100.3) with a fresh profile, driven through Debian
// Chromium. Each step polls with a bound and leaves a screenshot in the
// folder printed at the start.
//
// CFL_E2E_BREAK_SERVER=1 replaces the installed dist/server.js with one that
// exits at once: every step that needs the server must then fail, which is
// how this suite was shown to catch a broken build.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, missingTools, poll, repoRoot, resultsDir, which } from '../helpers/env';
import { ensureCodeServer, packageExtension, startCodeServer, type CodeServerInstance } from './codeServer';
import { launchBrowser, Workbench, type Browser } from './workbench';

const chromiumPath = which('chromium') ?? which('chromium-browser');
const skip = missingTools({ chromium: chromiumPath, npm: which('npm'), tar: which('tar') });

// The e2e workspace (test/e2e/workspace): lines the CLI reports for `missing-flow`.
const TERRAFORM = {
  file: 'vda-nsg.tf', line: 20, text: 'DenyAllInbound', missingPort: '1494',
  rules: /security_rule\s*\{/g,
  // A short human comment, and the destination narrowed to the pool this NSG guards (citrix-flows.yaml has two).
  added: /# Citrix: Gateway SNIP → VDA, ICA TCP 1494\n\s*security_rule \{[^}]*access\s*= "Allow"[^}]*destination_port_range\s*= "1494"[^}]*source_address_prefix\s*= "10\.0\.0\.20"\s*destination_address_prefix\s*= "10\.0\.2\.0\/24"\s*\}/,
};
const BICEP = {
  file: 'vda-nsg.bicep', line: 21, text: 'DenyAllInbound', missingPort: '2598',
  rules: /^\s*name: '/gm,
  added: /\/\/ Citrix: Gateway SNIP → VDA, ICA session reliability TCP 2598\n\s*\{[^}]*access: 'Allow'[^}]*destinationPortRange: '2598'[^}]*sourceAddressPrefix: '10\.0\.0\.20'\s*destinationAddressPrefix: '10\.0\.2\.0\/24'\s*\}/,
};
const IPTABLES = {
  file: 'vda-iptables.rules', line: 11, text: '-A INPUT -j DROP', missingPort: '1494',
  rules: /^-A /gm,
  // Above the LOG/DROP tail (accepted ICA must not be logged as "vda-drop"), with a short human comment and no -d:
  // the chain's own ACCEPT rules have none.
  added: /# Citrix: Gateway SNIP → VDA, ICA TCP 1494\n-A INPUT -s 10\.0\.0\.20\/32 -p tcp -m tcp --dport 1494 -j ACCEPT\n-A INPUT -j LOG --log-prefix "vda-drop: "\n-A INPUT -j DROP/,
};
// A CloudFormation security group without the ICA rule; the fix joins its YAML list in the same style.
const CLOUDFORMATION = {
  file: 'vda-sg.template.yaml', line: 5, text: 'VdaSecurityGroup', missingPort: '1494',
  rules: /^\s*- IpProtocol:/gm,
  added: /- IpProtocol: tcp\n\s*FromPort: 1494\n\s*ToPort: 1494\n\s*CidrIp: 10\.0\.0\.20\/32\n\s*Description: 'Citrix: Gateway SNIP to VDA, ICA TCP 1494'/,
};
// Never in a fix: the second VDA pool (another NSG guards it), or a catalog id such as gateway.gateway-snip-to-vda.ica.
const NOT_IN_FIX = /10\.8\.2\.|\b[a-z]+\.[a-z-]+-to-[a-z-]+\b/;

describe('VS Code (code-server 4.100.3 + Chromium): the packaged extension end to end', { skip, timeout: 15 * 60_000 }, () => {
  let out: string;
  let workspace: string;
  let server: CodeServerInstance | undefined;
  let browser: Browser | undefined;
  let wb: Workbench;
  const log = (line: string) => console.log(`[e2e vscode] ${line}`);

  before(async () => {
    out = resultsDir('vscode');
    log(`screenshots and logs: ${out}`);
    const started = Date.now();
    const bin = await ensureCodeServer(log);
    const vsix = packageExtension(path.join(out, 'citrix-flow-lint.vsix'));
    workspace = copyWorkspace('vscode');
    server = await startCodeServer({
      bin,
      vsix,
      logDir: out,
      afterInstall: process.env.CFL_E2E_BREAK_SERVER
        ? (dir) => {
            log('CFL_E2E_BREAK_SERVER is set: the installed dist/server.js exits at once');
            writeFileSync(path.join(dir, 'dist', 'server.js'), 'process.exit(3);\n');
          }
        : undefined,
    });
    browser = await launchBrowser(chromiumPath!);
    wb = new Workbench(browser.page, out);
    await wb.open(server.folderUrl(workspace));
    await wb.waitForExplorerRow(TERRAFORM.file);
    await wb.screenshot('workbench-ready');
    log(`code-server up, extension installed, workbench ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    if (wb) await wb.screenshot('final');
    await browser?.close();
    await server?.stop();
    if (out) log(`screenshots and logs: ${out}`);
  });

  for (const target of [TERRAFORM, BICEP, IPTABLES, CLOUDFORMATION]) {
    test(`missing-flow squiggle on line ${target.line} of ${target.file}`, async () => {
      await wb.openFile(target.file, target.text);
      try {
        await wb.waitForSquiggle('error', target.line, `an error squiggle on line ${target.line} of ${target.file} (the language server's missing-flow diagnostic; is the file in the client's documentSelector and does the server publish diagnostics?)`, 60_000);
      } finally {
        await wb.screenshot(`diagnostic-${target.file}`);
      }
    });
  }

  for (const target of [TERRAFORM, BICEP]) {
    test(`the squiggle in ${target.file} covers the deciding rule's name, not its block`, async () => {
      await wb.openFile(target.file, target.text);
      try {
        const squiggle = await wb.waitForSquiggle('error', target.line, `the missing-flow squiggle on line ${target.line} of ${target.file}`, 30_000);
        const lines = [...new Set((await wb.squiggles()).filter((x) => x.severity === 'error').map((x) => x.line))];
        assert.deepEqual(lines, [target.line], `error squiggles on lines ${lines.join(', ')}: the rule block is lines ${target.line - 2}–${target.line + 8}`);
        const token = await poll(`the text ${target.text} on screen`, () => wb.positionOfText(target.text), { timeoutMs: 10_000 });
        assert.ok(squiggle.left >= token.left - 3 && squiggle.right <= token.right + 3, `squiggle ${squiggle.left}–${squiggle.right} px, ${target.text} ${token.left}–${token.right} px`);
      } finally {
        await wb.screenshot(`squiggle-range-${target.file}`);
      }
    });
  }

  test('the Problems panel shows the message and the check id for every file', async () => {
    await wb.page.keyboard.press('Control+Shift+M');
    // The panel draws only the rows in view: maximized, the four files and their related rows all fit.
    await wb.runCommand('View: Toggle Maximized Panel');
    try {
      await poll('the Problems panel (.markers-panel) to list "blocked by" with code missing-flow for all four files', async () => {
        const text = await wb.text('.markers-panel');
        return text.includes('missing-flow')
          && text.includes(' blocked by ')
          && [TERRAFORM, BICEP, IPTABLES, CLOUDFORMATION].every((t) => text.includes(t.file)) ? text : undefined;
      }, { timeoutMs: 30_000, lastSeen: async () => JSON.stringify((await wb.text('.markers-panel')).slice(0, 600)) });
      const text = await wb.text('.markers-panel');
      for (const t of [TERRAFORM, BICEP, IPTABLES, CLOUDFORMATION]) assert.match(text, new RegExp(`Ln ${t.line}, Col \\d+`), `the ${t.file} finding is listed at line ${t.line}`);
      // The verdict and the deciding rule lead, then the flow, in a first sentence that fits the panel; the details follow.
      const row = text.split('\n').map((l) => l.trim()).find((l) => l.includes('TCP 1494 blocked by DenyAllInbound'));
      assert.ok(row, `a row for the Terraform finding in:\n${text}`);
      assert.match(row, /^TCP 1494 blocked by DenyAllInbound \(priority 4000\): Citrix Gateway SNIP → VDA ICA\. /);
      assert.ok(row.indexOf('. ') + 1 <= 100, `first sentence of ${row.indexOf('. ') + 1} characters: ${row}`);
      // The whole deciding rule is related information, listed under the finding.
      assert.match(text, /the deciding rule DenyAllInbound/, `related information in the panel:\n${text}`);
    } finally {
      await wb.screenshot('problems-panel');
      await wb.runCommand('View: Toggle Maximized Panel');
    }
    await wb.page.keyboard.press('Control+Shift+M');
  });

  for (const target of [{ ...IPTABLES, text: '--dport 2598' }, { ...TERRAFORM, text: '"2598"' }]) {
    test(`hovering port 2598 in ${target.file} shows the Citrix explanation`, async () => {
      await wb.openFile(target.file, target.text);
      await poll(`the text 2598 on screen in ${target.file}`, () => wb.positionOfText('2598'), { timeoutMs: 10_000 });
      try {
        const hover = await poll(`a hover (.monaco-hover) explaining port 2598 with the Citrix flow (Session Reliability) in ${target.file}`, async () => {
          // Re-hover each round: the first move can land before the language server answers. The text is found
          // again each round too: a code lens arriving later moves the line down.
          const at = await wb.positionOfText('2598');
          if (!at) return undefined;
          await wb.page.mouse.move(at.x - 30, at.y - 30);
          await wb.page.mouse.move(at.x, at.y, { steps: 2 });
          await wb.page.locator('.monaco-hover').first().waitFor({ state: 'visible', timeout: 2_000 }).catch(() => undefined);
          const text = await wb.text('.monaco-hover');
          return /Session Reliability/i.test(text) && text.includes('2598') ? text : undefined;
        }, { timeoutMs: 30_000, intervalMs: 300, lastSeen: async () => `hover ${JSON.stringify((await wb.text('.monaco-hover')).slice(0, 300))}; ${await wb.languageMode()}` });
        assert.match(hover, /Gateway|VDA|Virtual Delivery Agent/, 'the hover names the Citrix roles of the flow');
      } finally {
        await wb.screenshot(`hover-2598-${target.file}`);
      }
      await wb.page.keyboard.press('Escape');
      await wb.page.mouse.move(5, 5);
    });
  }

  test('inlay hints name the Citrix ports in short labels, and the "hover" style removes them', async () => {
    await wb.openFile(IPTABLES.file, IPTABLES.text);
    const settingsDir = path.join(workspace, '.vscode');
    try {
      // One hint per port field: 2598 is CGP (Session Reliability), never a label cut mid-word.
      const hints = await poll('an inlay hint "CGP" after --dport 2598', async () => {
        const shown = await wb.inlayHints();
        return shown.some((h) => /\bCGP\b/.test(h)) ? shown : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: async () => `inlay hints ${JSON.stringify(await wb.inlayHints())}` });
      for (const h of hints) {
        assert.ok(h.length <= 40, `hint of ${h.length} characters: ${h}`);
        assert.doesNotMatch(h, /…|\.\.\.$/, `a cut hint: ${h}`);
      }
      await wb.screenshot('inlay-hints-per-rule');
      mkdirSync(settingsDir, { recursive: true });
      writeFileSync(path.join(settingsDir, 'settings.json'), JSON.stringify({ 'citrixFlowLint.inlayHints.style': 'hover' }, null, 2));
      await poll('the inlay hints to go once citrixFlowLint.inlayHints.style is "hover"', async () => ((await wb.inlayHints()).some((h) => /\bCGP\b/.test(h)) ? undefined : true), {
        timeoutMs: 30_000,
        intervalMs: 500,
        lastSeen: async () => `inlay hints ${JSON.stringify(await wb.inlayHints())}`,
      });
      await wb.screenshot('inlay-hints-hover-style');
    } finally {
      rmSync(settingsDir, { recursive: true, force: true });
    }
  });

  test('the code lens and the status bar show the counts', async () => {
    await wb.openFile(IPTABLES.file, IPTABLES.text);
    try {
      // The INPUT chain must let 1494 and 2598 in from the Gateway SNIP; it allows 2598 only.
      const lens = await poll('a code lens above the INPUT chain counting "1/2 required inbound flows allowed"', async () => {
        const text = await wb.codeLensText();
        return /1\/2 required/.test(text) ? text : undefined;
      }, { timeoutMs: 30_000, lastSeen: async () => `code lenses ${JSON.stringify(await wb.codeLensText())}` });
      // Four missing-flow errors in the workspace, one per file.
      const status = await poll('the Citrix Flow Lint status bar item to count 4 errors', async () => {
        const items = await wb.page.locator('.statusbar-item[id^="citrix-flow-lint"]').allInnerTexts().catch(() => []);
        return items.find((t) => /^\D*4\D+0\D*$/.test(t.trim())) ;
      }, { timeoutMs: 30_000, lastSeen: async () => `status bar ${JSON.stringify(await wb.statusBarText())}` });
      console.log(`[e2e vscode] code lens "${lens.trim()}", status bar "${status.replace(/\s+/g, ' ').trim()}"`);
    } finally {
      await wb.screenshot('counts');
    }
  });

  for (const target of [IPTABLES, TERRAFORM, BICEP, CLOUDFORMATION]) {
    test(`the "Allow <flow>" quick fix in ${target.file} writes the rule to disk and the diagnostic goes away`, async () => {
      const file = path.join(workspace, target.file);
      const before = readFileSync(file, 'utf8');
      await wb.openFile(target.file, target.text);
      const squiggle = await wb.waitForSquiggle('error', target.line, `the missing-flow squiggle on line ${target.line} before the quick fix`, 30_000);
      await wb.page.mouse.click(squiggle.x, squiggle.y);
      try {
        const row = await poll('the quick-fix menu (.action-widget) to offer "Allow …"', async () => {
          if (!(await wb.page.locator('.action-widget').isVisible().catch(() => false))) {
            await wb.page.keyboard.press('Control+Period');
            await wb.page.locator('.action-widget').waitFor({ state: 'visible', timeout: 3_000 }).catch(() => undefined);
          }
          const candidate = wb.page.locator('.action-widget .monaco-list-row:visible', { hasText: /^\s*Allow/ }).first();
          return (await candidate.count()) > 0 ? candidate : undefined;
        }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: async () => `menu ${JSON.stringify(await wb.text('.action-widget'))}; ${await wb.languageMode()}` });
        assert.match(await row.innerText(), new RegExp(`TCP ${target.missingPort}\\b`), `the fix is for TCP ${target.missingPort}`);
        await wb.screenshot(`quick-fix-menu-${target.file}`);
        // The keyboard, as E2E.md found: the menu's pointer block swallows mouse clicks on its rows.
        await poll('the "Allow …" row of the quick-fix menu to have the focus', async () => {
          const focused = await wb.text('.action-widget .monaco-list-row.focused');
          if (/^\s*Allow/.test(focused)) return true;
          await wb.page.keyboard.press('ArrowDown');
          return undefined;
        }, { timeoutMs: 5_000, intervalMs: 150, lastSeen: async () => JSON.stringify(await wb.text('.action-widget .monaco-list-row.focused')) });
        await wb.page.keyboard.press('Enter');
        await poll('the editor to become dirty with the new rule', async () => (await wb.page.locator('.tabs-container .tab.active.dirty').count()) > 0, { timeoutMs: 10_000 });
        await wb.page.keyboard.press('Control+S');
        const after = await poll(`${target.file} on disk to gain one rule allowing TCP ${target.missingPort}`, () => {
          const text = readFileSync(file, 'utf8');
          // The save truncates the file before writing it, so an empty read is the save under way, not its result.
          return text !== before && text.trim() !== '' ? text : undefined;
        }, { timeoutMs: 15_000, lastSeen: () => `the file on disk: ${JSON.stringify(readFileSync(file, 'utf8').slice(0, 200))}` });
        writeFileSync(path.join(out, `after-quick-fix-${target.file}`), after);
        assert.equal((after.match(target.rules) ?? []).length, (before.match(target.rules) ?? []).length + 1, `exactly one rule added:\n${after}`);
        assert.match(after, target.added, `the new rule allows TCP ${target.missingPort} from the Gateway SNIP:\n${after}`);
        assert.doesNotMatch(after, NOT_IN_FIX, `the fix names only this rule set's pool, in words:\n${after}`);
        await poll(`the error squiggles in ${target.file} to disappear after the fix`, async () => (await wb.squiggles()).every((s) => s.severity !== 'error'), {
          timeoutMs: 30_000,
          lastSeen: async () => JSON.stringify(await wb.squiggles()),
        });
      } finally {
        await wb.screenshot(`after-quick-fix-${target.file}`);
        await wb.dismissWidgets();
      }
    });
  }

  test('completion in citrix-flows.yaml offers role ids', async () => {
    await wb.openFile('citrix-flows.yaml', 'gateway-snip');
    // Line 4 is `  gateway-snip: [10.0.0.20]`: a new key under `roles:` goes after it.
    await wb.goToLine(4);
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Enter');
    await wb.page.keyboard.press('Shift+Home');
    await wb.page.keyboard.type('  sto');
    try {
      await poll('the suggest widget to offer the role id "storefront"', async () => {
        if (!(await wb.page.locator('.suggest-widget').isVisible().catch(() => false))) {
          await wb.page.keyboard.press('Control+Space');
          await wb.page.locator('.suggest-widget').waitFor({ state: 'visible', timeout: 3_000 }).catch(() => undefined);
        }
        const text = await wb.text('.suggest-widget .monaco-list-row');
        return text.includes('storefront') ? text : undefined;
      }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: async () => JSON.stringify(await wb.text('.suggest-widget')) });
    } finally {
      await wb.screenshot('completion-role-ids');
    }
    await wb.page.keyboard.press('Escape');
  });

  test('an NSG with inline rules and a separate rule resource gets the conflict the azurerm provider documents', async () => {
    const name = 'app-nsg-conflict.tf';
    writeFileSync(path.join(workspace, name), readFileSync(path.join(repoRoot, 'test', 'e2e', 'vscode', 'files', name), 'utf8'));
    await wb.openFile(name, 'azurerm_network_security_rule');
    try {
      // Line 20 is `resource "azurerm_network_security_rule" "app_ssh" {`: the squiggle is on its first line only.
      await wb.waitForSquiggle('error', 20, `an error squiggle on line 20 of ${name} (conflicting-rule-resources)`, 60_000);
      const lines = [...new Set((await wb.squiggles()).filter((x) => x.severity === 'error').map((x) => x.line))];
      assert.deepEqual(lines, [20], `error squiggles on lines ${lines.join(', ')}`);
      await wb.page.keyboard.press('Control+Shift+M');
      const text = await poll('the Problems panel to list conflicting-rule-resources', async () => {
        const shown = await wb.text('.markers-panel');
        return shown.includes('conflicting-rule-resources') ? shown : undefined;
      }, { timeoutMs: 30_000, lastSeen: async () => JSON.stringify((await wb.text('.markers-panel')).slice(0, 600)) });
      // The verdict in a first sentence that fits the panel, the provider's reason after it.
      assert.match(text, /Conflicts with the inline security_rule blocks of nsg-app: each apply overwrites one with the other\. The azurerm provider documents/);
    } finally {
      await wb.screenshot('conflicting-rule-resources');
      await wb.page.keyboard.press('Control+Shift+M');
    }
  });

  // The last step, after the quick fixes above (the webview takes an editor group): every required flow of the workspace is allowed by now, so the map
  // must show the two roles and only allowed edges.
  test('"Show Flow Map" opens the webview with the roles and their flows, all allowed after the fixes', async () => {
    await wb.dismissWidgets();
    await wb.page.keyboard.press('F1');
    await poll('the command palette', async () => wb.page.locator('.quick-input-widget input').isVisible().catch(() => false), { timeoutMs: 10_000 });
    await wb.page.keyboard.type('Citrix Flow Lint: Show Flow Map');
    await poll('the command in the palette', async () => /Show Flow Map/.test(await wb.text('.quick-input-widget .monaco-list-row')), { timeoutMs: 10_000 });
    await wb.page.keyboard.press('Enter');
    // A webview is an iframe holding another iframe with the page.
    const frame = wb.page.frameLocator('iframe.webview').frameLocator('#active-frame');
    try {
      const seen = await poll(
        'the Flow Map to draw the vda and gateway-snip nodes and their edges',
        async () => {
          const nodes = await frame.locator('svg.graph [data-node]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')));
          const verdicts = await frame.locator('svg.graph .edge').evaluateAll((els) => els.map((e) => e.getAttribute('data-verdict')));
          // One line per pair of roles: Gateway SNIP → VDA bundles ICA 1494 and 2598.
          const flows = await frame.locator('svg.graph .edge').evaluateAll((els) => els.flatMap((e) => (e.getAttribute('data-edge') ?? '').split(' ').filter(Boolean)));
          return nodes.includes('vda') && nodes.includes('gateway-snip') && flows.length >= 2 ? { nodes, verdicts, flows } : undefined;
        },
        { timeoutMs: 45_000, intervalMs: 500, lastSeen: async () => `webview frames: ${await wb.page.locator('iframe.webview').count()}` },
      );
      assert.deepEqual([...new Set(seen.verdicts)], ['allowed'], `edge verdicts ${JSON.stringify(seen.verdicts)}`);
      assert.equal(seen.verdicts.length, 1, `the two flows of one pair of roles are one line: ${JSON.stringify(seen.flows)}`);
      // Its own editor group, maximized: no text editor shares the editor area with it.
      assert.equal(await wb.page.locator('.editor-instance .monaco-editor:visible').count(), 0, 'a text editor is visible beside the maximized Flow Map');
    } finally {
      await wb.screenshot('flow-map');
    }
    // Clicking a flow opens the rule that decides it.
    const label = frame.locator('svg.graph .edge-label[data-goto]').first();
    const goTo = (await label.getAttribute('data-goto')) ?? '';
    const [file, line] = [goTo.slice(0, goTo.lastIndexOf(':')), goTo.slice(goTo.lastIndexOf(':') + 1)];
    assert.ok(file && /^\d+$/.test(line), `the edge says where its deciding rule is: ${goTo}`);
    await label.click();
    try {
      await poll(`the editor to open ${file} at line ${line} (the deciding rule)`, async () => {
        const tab = await wb.page.locator('.tabs-container .tab.active').first().innerText().catch(() => '');
        const cursor = await wb.text('.statusbar-item[id="status.editor.selection"]');
        return tab.includes(path.basename(file)) && cursor.includes(`Ln ${line},`) ? true : undefined;
      }, { timeoutMs: 30_000, lastSeen: async () => `tabs ${JSON.stringify(await wb.text('.tabs-container .tab.active'))}, cursor ${JSON.stringify(await wb.text('.statusbar-item[id="status.editor.selection"]'))}` });
    } finally {
      await wb.screenshot('flow-map-click-opens-rule');
    }
    await wb.page.keyboard.press('Escape');
  });
});
