// Real components: Debian's nginx serves the lab's look-alike Microsoft chain on one loopback address, and
// Debian's mitmproxy (mitmdump in reverse mode) sits in front of it on another. The tool, run as users run it,
// must find nginx clean and mitmproxy inspecting, naming the vendor.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import { loopbackAddress } from '../lab/loopback.js';
import { chainPem, labPki } from '../lab/pki.js';
import { findSharedFreePort } from '../lab/tcp-listeners.js';
import type { CheckResult, RunDocument } from '../model/result.js';
import { runPreflight } from './support/cli.js';
import { startMitmdumpReverse, startNginx, type RunningService } from './support/services.js';
import { validateJunit } from './support/xsd.js';

const nginxAddress = loopbackAddress(701);
const mitmAddress = loopbackAddress(702);
const work = mkdtempSync(path.join(os.tmpdir(), 'preflight-tls-interop-'));
const services: RunningService[] = [];
let dns: LabDnsServer;
let port: number;

beforeAll(async () => {
  const pki = await labPki();
  const identity = await pki.publicIssuing.issueLeaf({ hosts: ['nginx.interop.lab.test', 'mitm.interop.lab.test'] });
  port = await findSharedFreePort([nginxAddress, mitmAddress]);
  const nginx = await startNginx({ host: nginxAddress, port, tls: { certPem: chainPem(identity, { intermediates: true, root: false }), keyPem: identity.keyPem } });
  services.push(nginx);
  services.push(await startMitmdumpReverse({ host: mitmAddress, port, upstream: `https://${nginxAddress}:${port}` }));
  dns = await startLabDnsServer({
    zone: {
      'nginx.interop.lab.test': { records: [{ type: 'A', value: nginxAddress }] },
      'mitm.interop.lab.test': { records: [{ type: 'A', value: mitmAddress }] },
    },
  });
  writeFileSync(path.join(work, 'lab-roots.pem'), pki.trustedRootsPem);
  writeFileSync(path.join(work, 'interop.yaml'), [
    'extends: entra-private-network-connector', // its expected issuers; the endpoints below are checked besides
    'endpoints:',
    '  - url: https://nginx.interop.lab.test/',
    '  - url: https://mitm.interop.lab.test/',
  ].join('\n'));
}, 60_000);

afterAll(async () => {
  await dns?.close();
  await Promise.all(services.map((service) => service.stop()));
  rmSync(work, { recursive: true, force: true });
});

describe('nginx and mitmproxy', () => {
  it('nginx is TLS_OK and INSPECTION_NONE; mitmproxy is TLS_INSPECTED with vendor mitmproxy', async () => {
    const json = path.join(work, 'out.json');
    const junit = path.join(work, 'out.xml');
    // Only the two interop hosts: the profile's own endpoints would need the internet.
    const run = await runPreflight([
      '-c', 'interop.yaml', '--resolver', `127.0.0.1:${dns.port}`, '--port-map', `443=${port}`, '--ca-file', 'lab-roots.pem',
      '--only', 'tls,inspection', '--timeout', '3000', '--json', json, '--junit', junit,
    ], { cwd: work });
    expect(run.stderr).toBe('');
    const doc = JSON.parse(readFileSync(json, 'utf8')) as RunDocument;
    const find = (id: string): CheckResult | undefined => doc.results.find((r) => r.id === id);
    expect(find(`tls:nginx.interop.lab.test@${nginxAddress}:443`)).toMatchObject({ status: 'pass', code: 'TLS_OK' });
    expect(find(`inspection:nginx.interop.lab.test@${nginxAddress}:443`)).toMatchObject({ status: 'pass', code: 'INSPECTION_NONE' });
    const inspected = find(`inspection:mitm.interop.lab.test@${mitmAddress}:443`);
    expect(inspected).toMatchObject({ status: 'fail', code: 'TLS_INSPECTED' });
    expect(inspected?.evidence['vendor']).toBe('mitmproxy');
    expect(inspected?.message).toContain('mitmproxy');
    expect(inspected?.remediation).toContain('Exempt mitm.interop.lab.test from TLS inspection');
    expect(find(`tls:mitm.interop.lab.test@${mitmAddress}:443`)).toMatchObject({ status: 'fail', code: 'TLS_UNTRUSTED' });
    expect(validateJunit(junit)).toBe('');
  });
});
