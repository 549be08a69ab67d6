// Writes config/schema-validator.cjs: ajv's standalone code for config/schema.json, so that a start does not
// compile the schema (config/schema-validator.ts). Run by `npm run build`, after tsc.
import { writeFileSync } from 'node:fs';
import { PRECOMPILED_FILE, precompiledSource } from '../dist/config/schema-validator.js';

writeFileSync(new URL(`../config/${PRECOMPILED_FILE}`, import.meta.url), precompiledSource());
