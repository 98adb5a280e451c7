/**
 * `npm run gen:models`: writes lib/models/generated.ts, the TypeScript types of the NSDB schema
 * (lib/models/codegen.ts). Run it after changing lib/models/proto/*.proto or the registered
 * classes (lib/nsdb/classes.ts), and commit the result; a unit test fails while it is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GENERATED_FILE, renderModelTypes } from '../lib/models/codegen.js';
import { REGISTERED_CLASSES } from '../lib/nsdb/classes.js';

const target = fileURLToPath(new URL(`../${GENERATED_FILE}`, import.meta.url));
writeFileSync(target, renderModelTypes(REGISTERED_CLASSES));
console.log(`wrote ${GENERATED_FILE}`);
