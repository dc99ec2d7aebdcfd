import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FormatId, ParsedFile, ParseProblem } from '../model';

/** Reads and parses a file a script loads, or says it is not there (undefined). */
export type LoadedFileReader = (file: string, format: FormatId, scriptDir: string) => ParsedFile | undefined;

/**
 * A script that hands its rules to a tool (`iptables-restore < rules.v4`)
 * names the file that holds them. When that file sits beside the script
 * (the path as written, or its name in the script's folder when the path is
 * absolute, such as /etc/iptables/rules.v4 in a repository that keeps
 * rules.v4 next to the script) and is not among `files` already, it is read
 * in that format; when it is not there, the script says its rules are not
 * checked. The CLI and the editor both go through here, so they agree on
 * what a script loads.
 */
export function withLoadedFiles(files: readonly ParsedFile[], isRead: (file: string) => boolean, read: LoadedFileReader): ParsedFile[] {
  const out = [...files];
  const taken = new Set<string>();
  for (let k = 0; k < files.length; k++) {
    const file = files[k];
    if (!file.loads?.length || !file.uri.startsWith('file:')) continue;
    const dir = path.dirname(fileURLToPath(file.uri));
    const notFound: ParseProblem[] = [];
    for (const load of file.loads) {
      const beside = path.isAbsolute(load.path) ? path.join(dir, path.basename(load.path)) : path.resolve(dir, load.path);
      if (isRead(beside) || taken.has(beside)) continue;
      const parsed = read(beside, load.format, dir);
      if (!parsed) {
        notFound.push({ code: 'unresolved-value', severity: 'warning', span: load.span, message: `${load.path} is not beside this script, so the rules it loads are not checked` });
        continue;
      }
      taken.add(beside);
      out.push(parsed);
    }
    if (notFound.length) out[k] = { ...file, problems: [...file.problems, ...notFound] };
  }
  return out;
}
