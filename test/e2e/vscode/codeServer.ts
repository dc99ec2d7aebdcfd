// code-server (VS Code 1.100.3 with a web workbench and a Node extension
// host) installed into a cache folder, the extension packaged with vsce and
// installed into a fresh profile, and the server started on loopback.
// /work/shared/E2E.md records why each step looks the way it does.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, statSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { poll, repoRoot } from '../helpers/env';

export const CODE_SERVER_VERSION = '4.100.3';
// code-server's @vscode/ripgrep@1.15.11 downloads rg at install time; the same
// binary ships in this npm package, so the download cache is filled from it.
const RIPGREP_PACKAGE = '@vscode/ripgrep-linux-x64@1.18.0';
const RIPGREP_CACHE = 'vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';

export function codeServerCacheDir(): string {
  return process.env.CFL_CODE_SERVER_CACHE ?? path.join(repoRoot, '.cache', 'code-server', CODE_SERVER_VERSION);
}

function codeServerBin(dir: string): string {
  return path.join(dir, 'node_modules', '.bin', 'code-server');
}

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number; what: string }): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${options.what} failed (${result.error?.message ?? `exit ${result.status}, signal ${result.signal}`}):\n${output}`);
  }
  return result.stdout;
}

/**
 * Installs code-server once per machine into the cache folder and returns its
 * launcher. Installs into a staging folder renamed into place at the end, so
 * an interrupted install is never mistaken for a finished one.
 */
export async function ensureCodeServer(log: (line: string) => void): Promise<string> {
  const dir = codeServerCacheDir();
  const marker = path.join(dir, '.installed');
  if (existsSync(marker) && existsSync(codeServerBin(dir))) return codeServerBin(dir);
  // Two suites start at once on a fresh machine: one installs, the other waits for it.
  const lock = `${dir}.lock`;
  mkdirSync(path.dirname(dir), { recursive: true });
  if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 15 * 60_000) rmSync(lock, { force: true });
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch {
    log(`another run is installing code-server (${lock}); waiting for it`);
    await poll(`the other run's code-server install (${marker})`, () => existsSync(marker), { timeoutMs: 12 * 60_000, intervalMs: 1000 });
    return codeServerBin(dir);
  }
  try {
    return installCodeServer(dir, log);
  } finally {
    rmSync(lock, { force: true });
  }
}

function installCodeServer(dir: string, log: (line: string) => void): string {
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const tmp = path.join(staging, 'tmp');
  mkdirSync(tmp, { recursive: true });
  log(`installing code-server@${CODE_SERVER_VERSION} into ${dir} (about a minute, 300 MB)`);
  const started = Date.now();

  const packDir = path.join(tmp, 'ripgrep-pack');
  mkdirSync(packDir);
  const tarball = run('npm', ['pack', RIPGREP_PACKAGE, '--silent'], { cwd: packDir, timeoutMs: 120_000, what: `npm pack ${RIPGREP_PACKAGE}` }).trim().split('\n').pop()!;
  run('tar', ['xzf', tarball], { cwd: packDir, timeoutMs: 60_000, what: 'untar ripgrep' });
  const cacheFile = path.join(tmp, RIPGREP_CACHE);
  mkdirSync(path.dirname(cacheFile), { recursive: true });
  run('tar', ['czf', cacheFile, '-C', path.join(packDir, 'package', 'bin'), 'rg'], { timeoutMs: 60_000, what: 'pack rg for the ripgrep cache' });

  writeFileSync(path.join(staging, 'package.json'), JSON.stringify({ name: 'citrix-flow-lint-code-server-cache', private: true }, null, 2));
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: staging,
    timeoutMs: 10 * 60_000,
    what: `npm install code-server@${CODE_SERVER_VERSION} (needs libkrb5-dev and a C++ toolchain)`,
    env: {
      ...process.env,
      TMPDIR: tmp,
      // As root, code-server's postinstall refuses to run without this.
      npm_config_unsafe_perm: 'true',
      // node-pty's postinstall runs `npx node-gyp`, which asks before installing without a terminal.
      npm_config_yes: 'true',
    },
  });
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(path.join(staging, '.installed'), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(dir), { recursive: true });
  renameSync(staging, dir);
  log(`code-server installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return codeServerBin(dir);
}

/** `vsce package` of the already built dist/, the same files `npm run package` ships. */
export function packageExtension(outFile: string): string {
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  for (const built of ['extension.js', 'server.js']) {
    if (!existsSync(path.join(repoRoot, 'dist', built))) throw new Error(`dist/${built} is missing: run \`npm run build\` first`);
  }
  // The same flags as package.json's `package` script.
  run(process.execPath, [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', '--out', outFile], {
    cwd: repoRoot,
    timeoutMs: 120_000,
    what: 'vsce package',
  });
  return outFile;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface CodeServerInstance {
  url: string;
  port: number;
  profileDir: string;
  extensionsDir: string;
  /** Opens `folder` in the workbench, with extra query parameters (e.g. the extension-test payload). */
  folderUrl(folder: string, extra?: Record<string, string>): string;
  stop(): Promise<void>;
}

const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.commandCenter.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'files.autoSave': 'off',
  'editor.hover.delay': 200,
  'editor.codeLens': true,
  'window.commandCenter': false,
};

/**
 * A fresh profile, the .vsix installed into it with code-server's own
 * `--install-extension` (which also proves the package is complete), then the
 * server on a free loopback port. Everything lives under one temp folder.
 */
export async function startCodeServer(options: {
  bin: string;
  vsix?: string;
  logDir: string;
  /** Runs against the installed extension before start, e.g. to break it on purpose. */
  afterInstall?: (installedExtensionDir: string) => void;
  extraArgs?: string[];
}): Promise<CodeServerInstance> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'cfl-code-server-'));
  const profileDir = path.join(base, 'user-data');
  const extensionsDir = path.join(base, 'extensions');
  const configFile = path.join(base, 'config.yaml');
  const tmp = path.join(base, 'tmp');
  for (const d of [profileDir, extensionsDir, tmp, path.join(profileDir, 'User'), path.join(base, 'xdg-config'), path.join(base, 'xdg-data'), path.join(base, 'xdg-cache')]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(path.join(profileDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  const port = await freePort();
  writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: base,
    TMPDIR: tmp,
    XDG_CONFIG_HOME: path.join(base, 'xdg-config'),
    XDG_DATA_HOME: path.join(base, 'xdg-data'),
    XDG_CACHE_HOME: path.join(base, 'xdg-cache'),
  };
  const common = ['--user-data-dir', profileDir, '--extensions-dir', extensionsDir, '--config', configFile];

  if (options.vsix) {
    run(options.bin, [...common, '--install-extension', options.vsix, '--force'], { env, timeoutMs: 120_000, what: `code-server --install-extension ${options.vsix}` });
    const installed = readdirSync(extensionsDir).find((name) => name.startsWith('citrix-flow-lint.citrix-flow-lint-'));
    if (!installed) throw new Error(`code-server --install-extension left no citrix-flow-lint folder in ${extensionsDir} (found: ${readdirSync(extensionsDir).join(', ')})`);
    options.afterInstall?.(path.join(extensionsDir, installed));
  }

  const logFile = createWriteStream(path.join(options.logDir, 'code-server.log'));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: string | undefined;
  // On a loaded machine code-server can give up starting its own server ("error timed out", exit 1): start it again, a bounded number of times.
  for (let attempt = 1; ; attempt++) {
    exited = undefined;
    const started: ChildProcess = spawn(
      options.bin,
      [
        ...common,
        '--bind-addr', `127.0.0.1:${port}`,
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
        ...(options.extraArgs ?? []),
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    started.stdout?.pipe(logFile, { end: false });
    started.stderr?.pipe(logFile, { end: false });
    started.on('exit', (code, signal) => {
      if (child === started) exited = `code-server exited (code ${code}, signal ${signal})`;
    });
    try {
      await poll('code-server /healthz to answer', async () => {
        if (exited) throw new Error(exited);
        const response = await fetch(`${url}/healthz`).catch(() => undefined);
        return response?.ok ? true : undefined;
      }, { timeoutMs: 60_000, intervalMs: 200 });
      break;
    } catch (error) {
      if (!exited || attempt >= 3) throw error;
      logFile.write(`\n[e2e] ${exited} while starting (attempt ${attempt} of 3); starting it again\n`);
    }
  }

  return {
    url,
    port,
    profileDir,
    extensionsDir,
    folderUrl(folder, extra = {}) {
      const query = new URLSearchParams({ folder, ...extra });
      return `${url}/?${query.toString()}`;
    },
    async stop() {
      if (!exited && child?.pid) {
        child.kill('SIGTERM');
        await poll('code-server to exit', () => exited !== undefined, { timeoutMs: 10_000 }).catch(() => child?.kill('SIGKILL'));
      }
      logFile.end();
      // The extension host and language server logs, for a person reading a failure.
      const logs = path.join(profileDir, 'logs');
      if (existsSync(logs)) cpSync(logs, path.join(options.logDir, 'vscode-logs'), { recursive: true });
      rmSync(base, { recursive: true, force: true });
    },
  };
}
