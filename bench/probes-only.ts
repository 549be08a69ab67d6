// The run's network work without the checks, for the bench: each name resolved by probeDns, then for each address a
// tcp connect and a TLS attempt, in the order the checks make them, under the same kind of cap, in the probe threads
// or in one thread (--threads). Nothing is judged, recorded or reported: the difference between this and the CLI is
// what the checks, results and reports cost; this against blackbox_exporter is what our probes cost in Node.
// Prints {"addresses": N, "failed": N} and exits 0 when every step succeeded against the healthy lab, 1 otherwise.
import { setMaxListeners } from 'node:events';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { PresentedCertificates } from '../pki/presented-chain.js';
import { createDnsQueryCache, probeDns } from '../probes/dns.js';
import { Limiter } from '../probes/limiter.js';
import { ProbeThreads } from '../runner/probe-threads.js';

const STEP_TIMEOUT_MS = 5_000;

const { values } = parseArgs({ options: { names: { type: 'string' }, resolver: { type: 'string' }, port: { type: 'string' }, threads: { type: 'string' }, concurrency: { type: 'string' } }, strict: true });
const [host, resolverPort] = (values.resolver ?? '').split(':');
if (!values.names || !host || !resolverPort || !values.port) {
  process.stderr.write('usage: probes-only.js --names FILE --resolver HOST:PORT --port N [--threads N] [--concurrency N]\n');
  process.exit(2);
}
const names = JSON.parse(await readFile(values.names, 'utf8')) as string[];
const resolvers = [{ host, port: Number(resolverPort) }];
const port = Number(values.port);
const run = new AbortController();
// Every step in flight listens on the run's signal, as in the CLI's session.
setMaxListeners(0, run.signal);
const ctx = { stepTimeoutMs: STEP_TIMEOUT_MS, signal: run.signal };
const limiter = new Limiter(Number(values.concurrency ?? 256));
const threads = new ProbeThreads(Number(values.threads ?? 0), new PresentedCertificates(), run.signal);
const cache = createDnsQueryCache();
let addresses = 0;
let failed = 0;
await Promise.all(names.map(async (name) => {
  const dns = await limiter.run(() => probeDns({ name, resolvers, cache }, ctx));
  if (dns.addresses.length === 0) failed += 1;
  await Promise.all(dns.addresses.map(async (address) => {
    addresses += 1;
    const tcp = await limiter.run(() => threads.run('tcp', { address, port }, ctx));
    if (tcp.failure !== null) return void (failed += 1);
    const tls = await limiter.run(() => threads.run('tls', { target: { host: name, address, port, connectTimeoutMs: STEP_TIMEOUT_MS }, mode: 'modern' }, ctx));
    if (tls.outcome !== 'established') failed += 1;
  }));
}));
await threads.close();
process.stdout.write(`${JSON.stringify({ addresses, failed })}\n`);
process.exit(failed === 0 ? 0 : 1);
