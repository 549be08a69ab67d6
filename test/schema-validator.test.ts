// The precompiled config validator (config/schema-validator.cjs, written by the build): used only for the schema it
// was generated from, and judging every config exactly as compiling config/schema.json at start-up does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../config/profiles.js';
import { compile, precompiled, precompiledSource, schemaStamp, schemaText } from '../config/schema-validator.js';

// Inside the package, where the generated code finds ajv's runtime helpers, as config/schema-validator.cjs does.
const scratch = join(packageRoot(), 'test-output');
mkdirSync(scratch, { recursive: true });
const dir = mkdtempSync(join(scratch, 'schema-validator-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeModule(name: string, source: string): string {
  const file = join(dir, name);
  writeFileSync(file, source);
  return file;
}

const configs: unknown[] = [
  { endpoints: [{ url: 'https://login.microsoftonline.com' }] },
  { extends: 'entra-cloud-sync', resolvers: ['10.0.0.53'], timeouts: { dns: 3000 } },
  { endpoints: [{ url: 'https://a.example', typo: true }] },
  { resolvres: ['10.0.0.53'] },
  { timeouts: { dns: 'soon' } },
  { endpoints: [{ host: 'a.example' }] },
  { ipFamily: 'five' },
  'not a mapping',
];

describe('the precompiled config validator', () => {
  it('gives the same verdict and the same errors as the schema compiled at start-up', () => {
    const text = schemaText();
    const standalone = precompiled(writeModule('current.cjs', precompiledSource(text)), schemaStamp(text));
    expect(standalone).toBeTypeOf('function');
    const { validate } = compile(text, false);
    for (const config of configs) {
      const verdict = validate(config);
      expect(standalone?.(config), JSON.stringify(config)).toBe(verdict);
      expect(standalone?.errors ?? null, JSON.stringify(config)).toEqual(validate.errors ?? null);
    }
    // The fixtures above are not all valid: the comparison covers error objects, whose errorMessage users see.
    expect(configs.filter((config) => !validate(config)).length).toBeGreaterThan(3);
  });

  it('is not used for a schema edited since it was generated', () => {
    const text = schemaText();
    const file = writeModule('stale.cjs', precompiledSource(text));
    expect(precompiled(file, schemaStamp(`${text}\n`))).toBeUndefined();
    expect(precompiled(join(dir, 'missing.cjs'), schemaStamp(text))).toBeUndefined();
  });
});
