import * as fs from 'node:fs';
import * as path from 'node:path';
import { before } from 'node:test';
import { snapshotParsedFile } from '../../helpers/snapshot';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import { parseTerraform } from '../../../server/src/formats/terraform';
import { snapshotSuite } from '../../helpers/fixtures';

before(async () => {
  await initTreeSitter();
});

/** `*.tfvars` and `*.tf.sibling` files beside a fixture named `<fixture>.<file>` are its sibling files. */
function siblings(file: string): Map<string, string> {
  const dir = path.dirname(file);
  const base = path.basename(file);
  const out = new Map<string, string>();
  const siblingDir = path.join(dir, 'siblings', base);
  if (fs.existsSync(siblingDir)) for (const f of fs.readdirSync(siblingDir)) out.set(path.join(siblingDir, f), fs.readFileSync(path.join(siblingDir, f), 'utf8'));
  return out;
}

snapshotSuite('terraform', (text, file) => {
  const parsed = parseTerraform(text, file, { siblingFiles: siblings(file) });
  return { ...(snapshotParsedFile(parsed) as object), comments: parsed.comments.map((c) => c.text) };
});
