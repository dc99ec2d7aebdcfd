// What code-server's extension host did, read from the machine rather than
// the page: the language server's processes and the extension host's logs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** PIDs of processes running the installed extension's dist/server.js. Linux /proc only. */
export function languageServerPids(extensionsDir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      continue; // exited meanwhile
    }
    if (cmdline.includes(extensionsDir) && cmdline.includes(`dist${path.sep}server.js`)) out.push(Number(entry));
  }
  return out.sort((a, b) => a - b);
}

function filesUnder(dir: string, test: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full, test) : test(name) ? [full] : [];
  });
}

/** Every line of the extension host logs of the profile (one per window the profile opened). */
export function extensionHostLog(profileDir: string): string {
  return filesUnder(path.join(profileDir, 'logs'), (n) => n === 'remoteexthost.log' || n === 'exthost.log').map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** The "Citrix Flow Lint" output channel as VS Code writes it to disk. */
export function outputChannelLog(profileDir: string): string {
  return filesUnder(path.join(profileDir, 'logs'), (n) => n.endsWith('Citrix Flow Lint.log')).map((f) => readFileSync(f, 'utf8')).join('\n');
}

/** `activationEvent: '…'` of each activation of our extension in the logs. */
export function ourActivations(profileDir: string): string[] {
  return [...extensionHostLog(profileDir).matchAll(/_doActivateExtension citrix-flow-lint\.citrix-flow-lint,.*activationEvent: '([^']*)'/g)].map((m) => m[1]);
}
