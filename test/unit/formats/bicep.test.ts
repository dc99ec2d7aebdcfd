import { before } from 'node:test';
import { snapshotSuite } from '../../helpers/fixtures';
import { initTreeSitter } from '../../../server/src/formats/treeSitter';
import { parseBicep } from '../../../server/src/formats/bicep';
import { snapshotParsedFile } from '../../helpers/snapshot';

before(() => initTreeSitter());

snapshotSuite('bicep', async (text, file) => {
  await initTreeSitter();
  return snapshotParsedFile(parseBicep(text, file));
});
