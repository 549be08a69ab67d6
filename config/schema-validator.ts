// The validator of config/schema.json. Compiling the schema with ajv is about a sixth of a second of every start
// (ajv itself loading, then code generation), paid before the first probe can go out; so the build writes ajv's
// standalone code for it to config/schema-validator.cjs (scripts/build-config-validator.mjs), stamped with the
// schema's SHA-256. A start whose schema.json does not match the stamp (edited since the last build) compiles the
// schema as before: the precompiled code is only ever used for the very schema it came from.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv, AnySchemaObject, ValidateFunction } from 'ajv';
import { packageRoot } from './profiles.js';

/** Loads ajv and the precompiled code synchronously: both are CommonJS, and config parsing is synchronous. */
const require = createRequire(import.meta.url);

export const PRECOMPILED_FILE = 'schema-validator.cjs';

type StampedValidator = ValidateFunction & { schemaSha256?: unknown };

let validator: ValidateFunction | undefined;

export function configValidator(): ValidateFunction {
  if (validator === undefined) {
    const text = schemaText();
    validator = precompiled(join(packageRoot(), 'config', PRECOMPILED_FILE), schemaStamp(text)) ?? compile(text, false).validate;
  }
  return validator;
}

/** The validator in `file` when it was generated from the schema stamped `stamp`; undefined otherwise. */
export function precompiled(file: string, stamp: string): ValidateFunction | undefined {
  if (!existsSync(file)) return undefined;
  const loaded = require(file) as StampedValidator;
  return typeof loaded === 'function' && loaded.schemaSha256 === stamp ? loaded : undefined;
}

export function schemaText(): string {
  return readFileSync(join(packageRoot(), 'config', 'schema.json'), 'utf8');
}

export function schemaStamp(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The one way the schema is compiled, at start-up or for the standalone code, so that both judge alike. */
export function compile(text: string, forStandaloneCode: boolean): { ajv: Ajv; validate: ValidateFunction } {
  const { Ajv } = require('ajv') as typeof import('ajv');
  // verbose: errors carry their schema, whose errorMessage (an annotation only) is the line a person sees.
  // allErrors: an unknown key (often a typo) is the better message even when another rule failed first.
  const ajv = new Ajv({ verbose: true, allErrors: true, ...(forStandaloneCode ? { code: { source: true } } : {}) });
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' });
  return { ajv, validate: ajv.compile(JSON.parse(text) as AnySchemaObject) };
}

/** The CommonJS module the build writes to config/schema-validator.cjs for the schema text `text`. */
export function precompiledSource(text: string = schemaText()): string {
  const { ajv, validate } = compile(text, true);
  const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: Ajv, validate: ValidateFunction) => string }).default;
  return [
    '// Generated from config/schema.json by scripts/build-config-validator.mjs (npm run build): do not edit.',
    '// Used only while schema.json still has the SHA-256 below (config/schema-validator.ts).',
    standaloneCode(ajv, validate),
    `module.exports.schemaSha256 = ${JSON.stringify(schemaStamp(text))};`,
    '',
  ].join('\n');
}
