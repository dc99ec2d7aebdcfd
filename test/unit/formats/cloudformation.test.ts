import { snapshotSuite } from '../../helpers/fixtures';
import { parseCloudFormation } from '../../../server/src/formats/cloudformation';
import { snapshotParsedFile } from '../../helpers/snapshot';

snapshotSuite('cloudformation', (text, file) => snapshotParsedFile(parseCloudFormation(text, file)));
