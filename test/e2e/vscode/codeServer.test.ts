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
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, missingTools, poll, resultsDir, which } from '../helpers/env';
import { ensureCodeServer, packageExtension, startCodeServer, type CodeServerInstance } from './codeServer';
import { launchBrowser, Workbench, type Browser } from './workbench';

const chromiumPath = which('chromium') ?? which('chromium-browser');
const skip = missingTools({ chromium: chromiumPath, npm: which('npm'), tar: which('tar') });

// The e2e workspace (test/e2e/workspace): lines the CLI reports for `missing-flow`.
const TERRAFORM = {
  file: 'vda-nsg.tf', line: 20, text: 'DenyAllInbound', missingPort: '1494',
  rules: /security_rule\s*\{/g,
  added: /security_rule \{[^}]*access\s*= "Allow"[^}]*destination_port_range\s*= "1494"[^}]*source_address_prefix\s*= "10\.0\.0\.20"/,
};
const BICEP = {
  file: 'vda-nsg.bicep', line: 21, text: 'DenyAllInbound', missingPort: '2598',
  rules: /^\s*name: '/gm,
  added: /access: 'Allow'[^}]*destinationPortRange: '2598'[^}]*sourceAddressPrefix: '10\.0\.0\.20'/,
};
const IPTABLES = {
  file: 'vda-iptables.rules', line: 11, text: '-A INPUT -j DROP', missingPort: '1494',
  rules: /^-A /gm,
  // Above the LOG/DROP tail (accepted ICA must not be logged as "vda-drop"), with a short human comment and no -d:
  // the chain's own ACCEPT rules have none.
  added: /# Citrix: Gateway SNIP → VDA, ICA TCP 1494\n-A INPUT -s 10\.0\.0\.20\/32 -p tcp -m tcp --dport 1494 -j ACCEPT\n-A INPUT -j LOG --log-prefix "vda-drop: "\n-A INPUT -j DROP/,
};

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

  for (const target of [TERRAFORM, BICEP, IPTABLES]) {
    test(`missing-flow squiggle on line ${target.line} of ${target.file}`, async () => {
      await wb.openFile(target.file, target.text);
      try {
        await wb.waitForSquiggle('error', target.line, `an error squiggle on line ${target.line} of ${target.file} (the language server's missing-flow diagnostic; is the file in the client's documentSelector and does the server publish diagnostics?)`, 60_000);
      } finally {
        await wb.screenshot(`diagnostic-${target.file}`);
      }
    });
  }

  test('the Problems panel shows the message and the check id for every file', async () => {
    await wb.page.keyboard.press('Control+Shift+M');
    try {
      await poll('the Problems panel (.markers-panel) to list "blocked by" with code missing-flow for all three files', async () => {
        const text = await wb.text('.markers-panel');
        return text.includes('missing-flow')
          && text.includes(' blocked by ')
          && [TERRAFORM, BICEP, IPTABLES].every((t) => text.includes(t.file)) ? text : undefined;
      }, { timeoutMs: 30_000, lastSeen: async () => JSON.stringify((await wb.text('.markers-panel')).slice(0, 600)) });
      const text = await wb.text('.markers-panel');
      for (const t of [TERRAFORM, BICEP, IPTABLES]) assert.match(text, new RegExp(`Ln ${t.line}, Col \\d+`), `the ${t.file} finding is listed at line ${t.line}`);
    } finally {
      await wb.screenshot('problems-panel');
    }
    await wb.page.keyboard.press('Control+Shift+M');
  });

  for (const target of [{ ...IPTABLES, text: '--dport 2598' }, { ...TERRAFORM, text: '"2598"' }]) {
    test(`hovering port 2598 in ${target.file} shows the Citrix explanation`, async () => {
      await wb.openFile(target.file, target.text);
      const at = await poll(`the text 2598 on screen in ${target.file}`, () => wb.positionOfText('2598'), { timeoutMs: 10_000 });
      try {
        const hover = await poll(`a hover (.monaco-hover) explaining port 2598 with the Citrix flow (Session Reliability) in ${target.file}`, async () => {
          // Re-hover each round: the first move can land before the language server answers.
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

  test('the code lens and the status bar show the counts', async () => {
    await wb.openFile(IPTABLES.file, IPTABLES.text);
    try {
      // The INPUT chain must let 1494 and 2598 in from the Gateway SNIP; it allows 2598 only.
      const lens = await poll('a code lens above the INPUT chain counting "1/2 required inbound flows allowed"', async () => {
        const text = await wb.codeLensText();
        return /1\/2 required/.test(text) ? text : undefined;
      }, { timeoutMs: 30_000, lastSeen: async () => `code lenses ${JSON.stringify(await wb.codeLensText())}` });
      // Three missing-flow errors in the workspace, one per file.
      const status = await poll('the Citrix Flow Lint status bar item to count 3 errors', async () => {
        const items = await wb.page.locator('.statusbar-item[id^="citrix-flow-lint"]').allInnerTexts().catch(() => []);
        return items.find((t) => /^\D*3\D+0\D*$/.test(t.trim())) ;
      }, { timeoutMs: 30_000, lastSeen: async () => `status bar ${JSON.stringify(await wb.statusBarText())}` });
      console.log(`[e2e vscode] code lens "${lens.trim()}", status bar "${status.replace(/\s+/g, ' ').trim()}"`);
    } finally {
      await wb.screenshot('counts');
    }
  });

  for (const target of [IPTABLES, TERRAFORM, BICEP]) {
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
