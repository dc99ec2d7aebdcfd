// Drives the VS Code 1.100 web workbench in Debian Chromium, with the
// selectors and keys E2E.md found to work. Every wait is a bounded poll, and
// every step leaves a numbered screenshot behind.
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { poll } from '../helpers/env';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  // Nothing leaves the machine: every host but loopback fails to resolve.
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(executablePath: string): Promise<Browser> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'cfl-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    // Chromium still writes crash-report and dconf folders under HOME and XDG_*; keep them in the temp folder.
    env: {
      ...process.env,
      HOME: userDataDir,
      XDG_CONFIG_HOME: path.join(userDataDir, 'xdg-config'),
      XDG_CACHE_HOME: path.join(userDataDir, 'xdg-cache'),
      XDG_DATA_HOME: path.join(userDataDir, 'xdg-data'),
    } as Record<string, string>,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 1000 },
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface SquiggleInfo {
  severity: 'error' | 'warning' | 'info';
  line: number;
  x: number;
  y: number;
  left: number;
  right: number;
}

export class Workbench {
  private step = 0;
  readonly shots: string[] = [];

  constructor(readonly page: Page, private readonly shotsDir: string) {}

  async screenshot(name: string): Promise<string> {
    this.step += 1;
    const file = path.join(this.shotsDir, `${String(this.step).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file }).catch(() => undefined);
    this.shots.push(file);
    return file;
  }

  async open(url: string): Promise<void> {
    await this.page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
    await poll('the workbench (.monaco-workbench) to load', async () => (await this.page.locator('.monaco-workbench').count()) > 0, { timeoutMs: 60_000 });
  }

  async waitForExplorerRow(name: string): Promise<void> {
    await poll(`the explorer to list ${name}`, async () => (await this.explorerRow(name).count()) > 0, {
      timeoutMs: 45_000,
      lastSeen: () => this.text('.explorer-folders-view'),
    });
  }

  private explorerRow(name: string) {
    return this.page.locator('.explorer-folders-view .monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(name)}$`) }) });
  }

  /** Opens a file from the explorer and waits until the active editor shows `expectText`. */
  /** Closes menus, hovers and suggestion lists a failed step may have left open over the workbench. */
  async dismissWidgets(): Promise<void> {
    for (let i = 0; i < 2; i += 1) await this.page.keyboard.press('Escape');
  }

  async openFile(name: string, expectText: string): Promise<void> {
    await this.dismissWidgets();
    await this.waitForExplorerRow(name);
    await this.explorerRow(name).first().dblclick();
    await poll(`the editor to show ${name} (text "${expectText}")`, async () => {
      const tab = await this.page.locator('.tabs-container .tab.active').innerText().catch(() => '');
      return tab.includes(name) && (await this.editorText()).includes(expectText);
    }, { timeoutMs: 20_000, lastSeen: async () => `active tab "${await this.page.locator('.tabs-container .tab.active').innerText().catch(() => '')}"` });
  }

  async editorText(): Promise<string> {
    return this.text('.editor-instance .monaco-editor .view-lines');
  }

  /** Text of the visible matches only: VS Code keeps closed hovers and widgets in the DOM, and innerText of a hidden element is its whole text. */
  async text(selector: string): Promise<string> {
    const all = await this.page.locator(`${selector}:visible`).allInnerTexts().catch(() => []);
    return all.join('\n').replace(/\u00a0/g, ' ');
  }

  /** Squiggles in the active editor with the line number shown in the gutter at the same height. */
  async squiggles(): Promise<SquiggleInfo[]> {
    return this.page.evaluate(() => {
      // Runs in the page: the test project has no DOM library, so the document is typed loosely.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const document = (globalThis as { document?: any }).document;
      const editor = document.querySelector('.editor-instance .monaco-editor');
      if (!editor) return [];
      const numbers = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')].map((el) => {
        const r = el.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, line: Number(el.textContent) };
      });
      const result: { severity: 'error' | 'warning' | 'info'; line: number; x: number; y: number; left: number; right: number }[] = [];
      for (const el of editor.querySelectorAll('.squiggly-error, .squiggly-warning, .squiggly-info')) {
        const r = el.getBoundingClientRect();
        const mid = r.top + r.height / 2;
        const row = numbers.find((n) => mid >= n.top && mid <= n.bottom);
        const severity = el.classList.contains('squiggly-error') ? 'error' : el.classList.contains('squiggly-warning') ? 'warning' : 'info';
        result.push({ severity, line: row?.line ?? -1, x: r.left + Math.min(r.width / 2, 40), y: mid, left: r.left, right: r.right });
      }
      return result;
    });
  }

  async waitForSquiggle(severity: SquiggleInfo['severity'], line: number, what: string, timeoutMs = 45_000): Promise<SquiggleInfo> {
    return poll(what, async () => (await this.squiggles()).find((s) => s.severity === severity && s.line === line), {
      timeoutMs,
      lastSeen: async () => `squiggles ${JSON.stringify((await this.squiggles()).map((s) => `${s.severity}@${s.line}`))}`,
    });
  }

  /**
   * The labels of the inlay hints in the active editor. Monaco writes a hint
   * into the line as injected text carrying a generated `dyn-rule-…` class
   * (its look), so the hint is the text of those spans, not of the model.
   */
  async inlayHints(): Promise<string[]> {
    return this.page.evaluate(() => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const document = (globalThis as { document?: any }).document;
      const lines = document.querySelector('.editor-instance .monaco-editor .view-lines');
      if (!lines) return [];
      return [...lines.querySelectorAll('span[class*="dyn-rule"]')]
        .map((el) => String(el.textContent ?? '').replace(/\u00a0/g, ' ').trim())
        .filter((t) => t.length > 0);
    });
  }

  /** Screen position of the middle of the first occurrence of `needle` in the active editor's text. */
  async positionOfText(needle: string): Promise<{ x: number; y: number; left: number; right: number } | undefined> {
    return this.page.evaluate((n) => {
      // Runs in the page: the test project has no DOM library, so the document is typed loosely.
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const document = (globalThis as { document?: any }).document;
      const lines = document.querySelector('.editor-instance .monaco-editor .view-lines');
      if (!lines) return undefined;
      const SHOW_TEXT = 4; // NodeFilter.SHOW_TEXT
      const walker = document.createTreeWalker(lines, SHOW_TEXT);
      // Monaco renders spaces as U+00A0; the needle never contains one.
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const index = (node.textContent ?? '').indexOf(n);
        if (index < 0) continue;
        const range = document.createRange();
        range.setStart(node, index);
        range.setEnd(node, index + n.length);
        const r = range.getBoundingClientRect();
        return { x: r.left + r.width / 2, y: r.top + r.height / 2, left: r.left, right: r.right };
      }
      return undefined;
    }, needle);
  }

  /** Moves to the editor's top, then types at the end of the given 1-based line. */
  async goToLine(line: number, column?: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    await poll('the go-to-line box', async () => (await this.page.locator('.quick-input-widget input').isVisible().catch(() => false)), { timeoutMs: 10_000 });
    await this.page.keyboard.type(column ? `${line}:${column}` : `${line}`);
    await this.page.keyboard.press('Enter');
    await poll('the go-to-line box to close', async () => !(await this.page.locator('.quick-input-widget input').isVisible().catch(() => false)), { timeoutMs: 10_000 });
  }

  async statusBarText(): Promise<string> {
    return this.text('.statusbar .statusbar-item');
  }

  /**
   * The active editor's language as the status bar names it: hovers, code
   * actions and completion only reach the server for documents its
   * documentSelector matches, which is decided by this language.
   */
  async languageMode(): Promise<string> {
    const mode = await this.text('.statusbar-item[id="status.editor.mode"]');
    return `language mode "${mode.trim()}" (the client's documentSelector must match it for hovers, code actions and completion)`;
  }

  /** Runs a command by its palette title ("Citrix Flow Lint: Restart server"). */
  async runCommand(title: string): Promise<void> {
    await this.dismissWidgets();
    await this.page.keyboard.press('F1');
    await poll('the command palette', async () => this.page.locator('.quick-input-widget input').isVisible().catch(() => false), { timeoutMs: 10_000 });
    await this.page.keyboard.type(title);
    const label = title.slice(title.indexOf(': ') + 2);
    await poll(`"${title}" in the command palette`, async () => (await this.text('.quick-input-widget .monaco-list-row.focused')).includes(label), {
      timeoutMs: 10_000,
      lastSeen: () => this.text('.quick-input-widget .monaco-list-row'),
    });
    await this.page.keyboard.press('Enter');
  }

  /** Clicks the "{}" language status item of the status bar and returns the text of the hover it opens. */
  async openLanguageStatus(expect: RegExp = /Citrix/): Promise<string> {
    const item = this.page.locator('.statusbar-item[id="status.languageStatus"]');
    return poll(`the language status hover to show ${expect}`, async () => {
      // The workbench's hover service draws it; which class it carries has moved between releases.
      const shown = async () => `${await this.text('.monaco-hover')}\n${await this.text('.workbench-hover')}`.trim();
      if (!(await shown())) await item.click({ timeout: 2_000 }).catch(() => undefined);
      const text = await shown();
      return expect.test(text) ? text : undefined;
    }, { timeoutMs: 30_000, intervalMs: 500, lastSeen: async () => `status bar ${JSON.stringify(await this.statusBarText())}; hover ${JSON.stringify(await this.text('.monaco-hover'))}` });
  }

  async codeLensText(): Promise<string> {
    return this.text('.editor-instance .monaco-editor .codelens-decoration');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
