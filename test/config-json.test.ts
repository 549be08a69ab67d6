// JSON configs are read by JSON.parse, not yaml (issue 9: yaml took 0.3 s of CPU for a 2,000-endpoint JSON config,
// before the first probe). What a user sees must not change: errors name the line, found by yaml only when there is
// an error, and a key written twice is refused as yaml refuses it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { loadPlan } from '../config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'preflight-config-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

// A resolver is always given so that no test depends on this machine's /etc/resolv.conf.
function plan(config: string) {
  return loadPlan({ resolvers: ['192.0.2.53'], cwd: dir, config });
}

async function usageMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(UsageError);
  return (error as UsageError).message;
}

/** The 1-based line of the only line of `text` that contains `needle`. */
function lineWith(text: string, needle: string): number {
  const lines = text.split('\n');
  expect(lines.filter((line) => line.includes(needle))).toHaveLength(1);
  return lines.findIndex((line) => line.includes(needle)) + 1;
}

/** A large config as JSON.stringify(…, null, 2) writes one; `change` edits the data first. */
function bigConfig(change: (config: { endpoints: Record<string, unknown>[] } & Record<string, unknown>) => void): string {
  const config = {
    endpoints: Array.from({ length: 400 }, (_, i) => ({ host: `h${i}.corp.example`, ports: [443], purpose: `say "a": b\\ ${i}` })),
  };
  change(config);
  return JSON.stringify(config, null, 2);
}

describe('JSON configs', () => {
  it('read as the same plan as the YAML that says the same', async () => {
    const data = { resolvers: ['192.0.2.53'], vars: { tenant: 'contoso' }, endpoints: [{ url: 'https://{tenant}.example/x', purpose: 'a "quoted": colon' }, { host: 'b.example', ports: [443, 8443] }] };
    const yaml = 'resolvers: ["192.0.2.53"]\nvars: { tenant: contoso }\nendpoints:\n  - url: "https://{tenant}.example/x"\n    purpose: \'a "quoted": colon\'\n  - host: b.example\n    ports: [443, 8443]\n';
    const fromJson = await plan(file('same.json', JSON.stringify(data, null, 2)));
    const fromYaml = await plan(file('same.yaml', yaml));
    expect(fromJson.endpoints).toEqual(fromYaml.endpoints);
    expect(fromJson.endpoints.map((endpoint) => endpoint.host)).toEqual(['contoso.example', 'b.example']);
  });

  it('name the line of a schema error deep in a large file', async () => {
    const text = bigConfig((config) => {
      config.endpoints[311] = { host: 'bad.corp.example', ports: [65536] };
    });
    expect(await usageMessage(plan(file('ports.json', text)))).toBe(
      `ports.json:${lineWith(text, '65536')}: endpoints[311].ports[0]: must be a port number (1-65535)`);
  });

  it('name the line of an unknown key', async () => {
    const text = bigConfig((config) => {
      config.endpoints[250] = { host: 'typo.corp.example', prot: [443] };
    });
    expect(await usageMessage(plan(file('typo.json', text)))).toBe(`typo.json:${lineWith(text, '"prot"')}: endpoints[250]: unknown key "prot"`);
  });

  it('name the line of an error found after the schema passed (a sinkhole that is no address)', async () => {
    const text = bigConfig((config) => {
      config['sinkholes'] = ['146.112.61.104', 'sinkhole.corp'];
    });
    expect(await usageMessage(plan(file('sinkhole.json', text)))).toBe(
      `sinkhole.json:${lineWith(text, '"sinkhole.corp"')}: sinkholes[1]: "sinkhole.corp" is not an IP address`);
  });

  it('refuse a key written twice in one object, at its second line, as yaml always has', async () => {
    const nested = bigConfig(() => undefined).replace('"host": "h123.corp.example",', '"host": "h123.corp.example",\n      "host": "again.corp.example",');
    expect(await usageMessage(plan(file('dup.json', nested)))).toBe(
      `dup.json:${lineWith(nested, 'again.corp.example')}: YAML syntax error: Map keys must be unique`);
    // The same key, once spelled with an escape: JSON.parse makes one key of the two.
    const escaped = '{\n  "vars": {\n    "a\\"b": "x",\n    "a\\u0022b": "y"\n  },\n  "endpoints": [{ "host": "a.test", "ports": [443] }]\n}\n';
    expect(await usageMessage(plan(file('escaped.json', escaped)))).toBe('escaped.json:4: YAML syntax error: Map keys must be unique');
    const topLevel = '{\n  "endpoints": [{ "host": "a.test", "ports": [443] }],\n  "endpoints": [{ "host": "b.test", "ports": [443] }]\n}\n';
    expect(await usageMessage(plan(file('top.json', topLevel)))).toBe('top.json:3: YAML syntax error: Map keys must be unique');
  });

  it('that are not valid JSON are read by yaml as before', async () => {
    // A trailing comma: not JSON, but a YAML flow mapping.
    const trailing = await plan(file('trailing.json', '{ "endpoints": [{ "host": "a.test", "ports": [443], }], }\n'));
    expect(trailing.endpoints.map((endpoint) => endpoint.host)).toEqual(['a.test']);
    expect(await usageMessage(plan(file('broken.json', '{\n  "endpoints": [\n    { "host": "a.test", "ports": [443] \n  ]\n}\n')))).toMatch(
      /^broken\.json:\d+: YAML syntax error: /);
  });
});
