import type { ParsedFile } from '../../model';
import type { JsonNode } from '../arm/json';

/**
 * The tree each parse of a template was read from, kept beside the parsed
 * file: a code action asks the writer once per finding and once for "allow
 * all", and reading a 10,000-line YAML template again was most of a
 * request's time (5.4 s for one code action).
 */
const roots = new WeakMap<ParsedFile, JsonNode | undefined>();

export function rememberTemplateRoot(file: ParsedFile, root: JsonNode | undefined): void {
  roots.set(file, root);
}

export function templateRootOf(file: ParsedFile): { found: boolean; root?: JsonNode } {
  return roots.has(file) ? { found: true, root: roots.get(file) } : { found: false };
}
