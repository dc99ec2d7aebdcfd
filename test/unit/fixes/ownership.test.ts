// Each check owns its fixes (CheckDefinition.fixes): the dispatcher in
// analysis/fixes.ts names no check, and a check's page says what its fix does
// exactly when it has one.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS, ENGINE_DIAGNOSTICS, allCheckIds } from '../../../server/src/analysis/checks';
import { repoRoot } from '../../helpers/fixtures';

const root = repoRoot();
const dispatcher = fs.readFileSync(path.join(root, 'server/src/analysis/fixes.ts'), 'utf8');

describe('checks own their fixes', () => {
  test('analysis/fixes.ts dispatches on no check id', () => {
    const named = allCheckIds().filter((id) => dispatcher.includes(`'${id}'`) || dispatcher.includes(`"${id}"`));
    assert.deepEqual(named, [], 'a fix for one check belongs in that check (CheckDefinition.fixes)');
  });

  for (const check of [...CHECKS, ...ENGINE_DIAGNOSTICS]) {
    test(`docs/checks/${check.id}.md has a "Quick fix" section exactly when the check builds fixes`, () => {
      const page = fs.readFileSync(path.join(root, 'docs/checks', `${check.id}.md`), 'utf8');
      assert.equal(/^## Quick fix$/m.test(page), check.fixes !== undefined, check.fixes ? 'describe the fix on its page' : 'the page describes a fix the check does not build');
    });
  }
});
