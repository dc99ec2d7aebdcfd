// Placeholder until the catalog compiler lands: writes an empty catalog.
import { writeFileSync } from 'node:fs';
writeFileSync(new URL('../server/src/catalog/catalog.generated.json', import.meta.url), JSON.stringify({ roles: [], flows: [] }));
