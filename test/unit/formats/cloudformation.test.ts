import { snapshotSuite } from '../../helpers/fixtures';
import { parseCloudFormation } from '../../../server/src/formats/cloudformation';
import { snapshotParsedFile } from '../../../server/src/model';

snapshotSuite('cloudformation', (text, file) => snapshotParsedFile(parseCloudFormation(text, file)));
