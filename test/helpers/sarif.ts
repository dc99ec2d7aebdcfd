import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { repoRoot } from './fixtures';

/**
 * The official SARIF 2.1.0 schema (2.1.0-rtm.5, the OASIS standard's), as
 * shipped in @microsoft/jest-sarif 1.0.0-beta.0 (lib/schemas/, MIT), copied
 * here unmodified (sha256 2d99159a…4de4f8) so the test runs offline without
 * that package's dependencies. It is draft-04; Ajv 8 reads it once `id` is `$id`.
 */
export function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'test', 'unit', 'cli', 'sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
  const { $schema: _draft, id, ...rest } = schema;
  // The schema's patterns are written for JavaScript without the u flag (a lone `]` in the language pattern).
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile({ $id: id as string, ...rest });
}
