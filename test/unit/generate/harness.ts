import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeParsed, readTopology } from '../../../server/src/analysis/analyze';
import { generateRuleSet, type GenerateResult } from '../../../server/src/generate';
import { parseAs } from '../../../server/src/formats';
import { PARSER_FORMAT, type GenerateFormat } from '../../../server/src/generate/skeletons';
import type { ParsedFile } from '../../../server/src/model';
import type { Topology } from '../../../server/src/topology/types';
import { fixturePath } from '../../helpers/fixtures';

/** The examples workspace's citrix-flows.yaml: a whole site with every role declared. */
export function examplesTopology(): Topology {
  const file = path.join(fixturePath(), '..', '..', 'examples', 'citrix-flows.yaml');
  return readTopology(fs.readFileSync(file, 'utf8'), 'file:///examples/citrix-flows.yaml');
}

export const ROLE_SETS: readonly (readonly string[])[] = [
  ['vda'],
  ['storefront'],
  ['delivery-controller'],
  ['vda', 'storefront'],
  ['license-server'],
  ['gateway-snip'],
  ['pvs-server'],
  ['director'],
  ['wem-infrastructure'],
];

export function generated(format: GenerateFormat, roles: readonly string[], topology: Topology, direction: 'in' | 'out' | 'both' = 'both'): GenerateResult {
  const r = generateRuleSet({ roles, topology, format, direction });
  if ('error' in r) throw new Error(`generate ${format} ${roles.join(',')}: ${r.error}`);
  return r;
}

export function reparse(result: GenerateResult): ParsedFile {
  return parseAs(PARSER_FORMAT[result.format], result.text, `file:///gen/${result.fileName}`);
}

/**
 * `check` in process, with the same roles on the command line. Generated rules
 * must be clean of every check, at every severity: a warning on our own output
 * (TCP 80 to the Delivery Controllers called "insecure") is advice that breaks
 * the site when followed.
 */
export function checkGenerated(file: ParsedFile, topology: Topology, roles: readonly string[]) {
  // The generated file is checked alone, so bindings for the example site's other files match nothing here.
  const analysis = analyzeParsed([file], topology, { commandLineRoles: roles, workspaceRoot: '/gen', reportUnmatchedBindings: false });
  return {
    analysis,
    forbidden: analysis.findings.map((f) => `${f.checkId} (${f.severity}): ${f.message}`),
    notAllowed: analysis.required.filter((c) => c.result.verdict !== 'allowed').map((c) => `${c.flow.id} (${c.direction}, ${c.role}): ${c.result.verdict}`),
  };
}
