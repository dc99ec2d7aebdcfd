// Neovim 0.7 as a second real client of dist/server.js: lsp.lua records what
// the editor saw, this file runs it under a bounded timeout and asserts.
import { describe, test, before } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyWorkspace, missingTools, repoRoot, resultsDir, which } from '../helpers/env';

const nvim = which('nvim');
// CFL_E2E_SERVER points the suite at another server build (e.g. a broken one, to see it fail).
const serverJs = process.env.CFL_E2E_SERVER ?? path.join(repoRoot, 'dist', 'server.js');
const skip = missingTools({ nvim });

interface LspDiagnostic {
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  code?: string | number;
  message: string;
  severity?: number;
}

interface LuaResult {
  steps: { initialized?: boolean; diagnostics?: boolean; edit_applied?: boolean; republished?: boolean };
  diagnostics: LspDiagnostic[];
  nvim_diagnostics?: number;
  hover?: { position: { line: number; character: number }; text: string };
  code_action_titles?: string[];
  chosen_action?: string;
  buffer_after?: string;
  diagnostics_after?: LspDiagnostic[];
  server_exit?: { code: number; signal: number };
  errors: string[];
}

async function runNeovim(env: Record<string, string>, logDir: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const home = path.join(logDir, 'nvim-home');
  mkdirSync(home, { recursive: true });
  return new Promise((resolve) => {
    const child = spawn(nvim!, ['--headless', '--clean', '-n', '-c', `luafile ${path.join(repoRoot, 'test', 'e2e', 'neovim', 'lsp.lua')}`], {
      env: {
        ...process.env,
        ...env,
        // Neovim writes its log and shada under these; keep them out of the real home folder.
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, 'config'),
        XDG_DATA_HOME: path.join(home, 'data'),
        XDG_STATE_HOME: path.join(home, 'state'),
        XDG_CACHE_HOME: path.join(home, 'cache'),
        NVIM_LOG_FILE: path.join(logDir, 'nvim.log'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

interface Target {
  file: string;
  filetype: string;
  /** 1-based line of the rule that blocks the flow. */
  line: number;
  missingPort: string;
  hoverPort: string;
  hoverSays: RegExp;
  /** The fix's addition, as it must appear in the buffer. */
  added: RegExp;
  /** Counts rule-shaped lines or blocks before and after the fix. */
  rules: RegExp;
  rulesBefore: number;
}

const TARGETS: Target[] = [
  {
    file: 'vda-nsg.tf', filetype: 'terraform', line: 20, missingPort: '1494', hoverPort: '2598', hoverSays: /Session Reliability/i,
    added: /security_rule \{[^}]*access\s*= "Allow"[^}]*destination_port_range\s*= "1494"[^}]*source_address_prefix\s*= "10\.0\.0\.20"/,
    rules: /security_rule\s*\{/g, rulesBefore: 2,
  },
  {
    file: 'vda-nsg.bicep', filetype: 'bicep', line: 21, missingPort: '2598', hoverPort: '1494', hoverSays: /ICA\/HDX/,
    added: /access: 'Allow'[^}]*destinationPortRange: '2598'[^}]*sourceAddressPrefix: '10\.0\.0\.20'/,
    rules: /^\s*name: '/gm, rulesBefore: 3,
  },
  {
    file: 'vda-iptables.rules', filetype: 'iptables', line: 11, missingPort: '1494', hoverPort: '2598', hoverSays: /Session Reliability/i,
    // Above the LOG/DROP tail, with a short comment, and no -d where the chain's own rules have none.
    added: /# Citrix: Gateway SNIP → VDA, ICA TCP 1494\n-A INPUT -s 10\.0\.0\.20\/32 -p tcp -m tcp --dport 1494 -j ACCEPT\n-A INPUT -j LOG --log-prefix "vda-drop: "\n-A INPUT -j DROP/,
    rules: /^-A /gm, rulesBefore: 5,
  },
];

for (const target of TARGETS) {
  describe(`Neovim 0.7 (vim.lsp.start_client) with dist/server.js --stdio: ${target.file}`, { skip, timeout: 3 * 60_000 }, () => {
    let result: LuaResult;

    before(async () => {
      assert.ok(existsSync(serverJs), `${serverJs} is missing: run \`npm run build\` first`);
      const out = path.join(resultsDir('neovim'), target.file);
      mkdirSync(out, { recursive: true });
      console.log(`[e2e neovim] results: ${out}`);
      const workspace = copyWorkspace('neovim');
      const resultFile = path.join(out, 'result.json');
      const started = Date.now();
      const run = await runNeovim({
        CFL_SERVER: serverJs,
        CFL_WORKSPACE: workspace,
        CFL_FILE: path.join(workspace, target.file),
        CFL_FILETYPE: target.filetype,
        CFL_RESULT: resultFile,
        CFL_HOVER_TEXT: target.hoverPort,
        CFL_WAIT_MS: '30000',
      }, out, 120_000);
      console.log(`[e2e neovim] ${target.file}: nvim exited with ${run.code} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      writeFileSync(path.join(out, 'nvim-output.txt'), run.output);
      assert.ok(existsSync(resultFile), `nvim wrote no result file (exit ${run.code}); its output:\n${run.output.slice(-2000)}`);
      result = JSON.parse(readFileSync(resultFile, 'utf8')) as LuaResult;
      if (result.buffer_after !== undefined) writeFileSync(path.join(out, `after-fix-${target.file}`), result.buffer_after);
      if (result.errors.length) console.log(`[e2e neovim] recorded errors: ${result.errors.join('; ')}`);
    });

    test(`a missing-flow diagnostic arrives on line ${target.line}`, () => {
      assert.ok(result.steps.initialized, `the server never answered initialize (errors: ${result.errors.join('; ')})`);
      assert.ok(result.steps.diagnostics, `no textDocument/publishDiagnostics with findings arrived for ${target.file} within 30 s`);
      const missing = result.diagnostics.filter((d) => d.code === 'missing-flow');
      assert.equal(missing.length, 1, `exactly one missing-flow diagnostic; got codes ${JSON.stringify(result.diagnostics.map((d) => d.code))}`);
      assert.equal(missing[0]!.range.start.line + 1, target.line, 'on the rule that blocks the flow');
      assert.equal(missing[0]!.severity, 1, 'an error');
      assert.match(missing[0]!.message, new RegExp(`^[^:]*TCP ${target.missingPort}\\b[^:]* blocked by `));
      assert.ok((result.nvim_diagnostics ?? 0) >= 1, 'Neovim took the diagnostics into vim.diagnostic');
    });

    test(`hover on port ${target.hoverPort} explains the Citrix flow`, () => {
      assert.ok(result.hover, `no hover was requested for ${target.hoverPort} (errors: ${result.errors.join('; ') || 'none; the port is not in the buffer'})`);
      assert.ok(result.hover.text.trim().length > 0, `textDocument/hover at line ${result.hover.position.line + 1} returned nothing`);
      assert.match(result.hover.text, new RegExp(`Port ${target.hoverPort}`), `the hover is about the port; got ${JSON.stringify(result.hover.text.slice(0, 300))}`);
      assert.match(result.hover.text, target.hoverSays);
      assert.match(result.hover.text, /Citrix Gateway SNIP.*Virtual Delivery Agent/);
    });

    test('the "Allow …" code action edits the buffer, and the missing-flow diagnostic goes away', () => {
      assert.ok(result.code_action_titles, `no code actions were requested: no missing-flow diagnostic (errors: ${result.errors.join('; ') || 'none'})`);
      assert.ok(result.chosen_action, `no code action titled "Allow …"; titles: ${JSON.stringify(result.code_action_titles)}`);
      assert.match(result.chosen_action, new RegExp(`^Allow .*TCP ${target.missingPort}\\b`));
      assert.ok(result.steps.edit_applied, `the action was not applied (errors: ${result.errors.join('; ')})`);
      const after = result.buffer_after ?? '';
      assert.equal((after.match(target.rules) ?? []).length, target.rulesBefore + 1, `exactly one rule added:\n${after}`);
      assert.match(after, target.added, `the new rule allows TCP ${target.missingPort} from the Gateway SNIP:\n${after}`);
      assert.ok(result.steps.republished, 'the server published no diagnostics for the edited buffer');
      const stillMissing = (result.diagnostics_after ?? []).filter((d) => d.code === 'missing-flow');
      assert.deepEqual(stillMissing, [], 'no missing-flow diagnostic is left after the fix');
    });
  });
}
