import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

let root: string | undefined;

/** The folder of the installed package or extension: docs/ ships beside dist/. */
export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === 'citrix-flow-lint') return (root = dir);
      } catch {
        // A broken manifest above us is not ours; keep looking.
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return (root = path.resolve(__dirname, '..'));
    dir = up;
  }
}

/**
 * A check's documentation page. It is a file URI to the copy shipped with the
 * extension and the CLI, so the link works offline and matches the installed
 * version.
 */
export function checkDocsUri(checkId: string): string {
  return pathToFileURL(path.join(packageRoot(), 'docs', 'checks', `${checkId}.md`)).toString();
}
