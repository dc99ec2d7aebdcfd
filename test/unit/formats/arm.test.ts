import { snapshotSuite } from '../../helpers/fixtures';
import { parseArm } from '../../../server/src/formats/arm';
import { snapshotParsedFile } from '../../helpers/snapshot';

snapshotSuite('arm', (text, file) => snapshotParsedFile(parseArm(text, file)));
