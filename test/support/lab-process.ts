// A lab service behind a real squid, inside a network namespace: the lab DNS server, a TLS service and squid in
// front of it run in one child node process that `ip netns exec` starts, because the test process (outside the
// namespace) can neither bind nor reach the namespace's loopback. The lab and the launchers are TypeScript and
// Node 20 runs none, so the child loads this same file through Vite's module runner (what vitest itself uses).
// The child reports its ports as one JSON line on stdout and stops when its stdin ends: when stop() closes it,
// and also when the test process dies.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { startLabDnsServer } from '../../lab/dns-server.js';
import { labPki } from '../../lab/pki.js';
import { findSharedFreePort } from '../../lab/tcp-listeners.js';
import { startTlsFixture } from '../../lab/tls-servers.js';
import { projectRoot, type NetNamespace } from './netns.js';
import { startSquid } from './services.js';

export interface ProxiedLabSpec {
  /** The name the lab DNS server and squid's hosts_file both map to serviceAddress. */
  serviceName: string;
  serviceAddress: string;
  dnsAddress: string;
  proxyAddress: string;
}

export interface ProxiedLabPorts {
  servicePort: number;
  dnsPort: number;
  proxyPort: number;
  /** The roots the service's chain anchors at (for --ca-file): the child made a lab PKI of its own. */
  trustedRootsPem: string;
}

export interface NamespacedLab extends ProxiedLabPorts {
  /** Stops the child (which stops squid and the fixtures), then ends anything still left in the namespace. */
  stop(): Promise<void>;
}

// Vite's module runner and the lab PKI's RSA keys take a few seconds; squid up to its launcher's own 10 s.
const CHILD_READY_TIMEOUT_MS = 30_000;
const CHILD_STOP_TIMEOUT_MS = 10_000;
const thisFile = fileURLToPath(import.meta.url);

export async function startProxiedLabInNamespace(ns: NetNamespace, spec: ProxiedLabSpec): Promise<NamespacedLab> {
  const bootstrap = [
    "const { runnerImport } = await import('vite');",
    `const { module } = await runnerImport(${JSON.stringify(thisFile)}, { logLevel: 'silent' });`,
    'await module.serveProxiedLab(JSON.parse(process.argv[1]));',
  ].join('\n');
  // Not ns.spawn: that one discards the output, and the child's first line is how it says it is ready.
  const child = spawn('ip', ['netns', 'exec', ns.name, process.execPath, '--input-type=module', '-e', bootstrap, JSON.stringify(spec)], {
    cwd: projectRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stop = (): Promise<void> => stopChild(child, ns);
  try {
    const ports = await readyLine(child);
    return { ...ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The child's side: starts the lab, prints its ports as one JSON line, and stops it all once stdin ends. */
export async function serveProxiedLab(spec: ProxiedLabSpec): Promise<void> {
  const closers: Array<() => Promise<void>> = [];
  const closeAll = (): Promise<unknown> => Promise.all(closers.map((close) => close()));
  try {
    const pki = await labPki();
    const service = await startTlsFixture(spec.serviceAddress, 0, { kind: 'intercept', authority: pki.publicIssuing });
    closers.push(() => service.close());
    const dns = await startLabDnsServer({ host: spec.dnsAddress, zone: { [spec.serviceName]: { records: [{ type: 'A', value: spec.serviceAddress }] } } });
    closers.push(() => dns.close());
    const squid = await startSquid({
      host: spec.proxyAddress,
      port: await findSharedFreePort([spec.proxyAddress]),
      hosts: { [spec.serviceName]: spec.serviceAddress },
    });
    closers.push(() => squid.stop());
    const ports: ProxiedLabPorts = { servicePort: service.port, dnsPort: dns.port, proxyPort: squid.port, trustedRootsPem: pki.trustedRootsPem };
    process.stdout.write(`${JSON.stringify(ports)}\n`);
    process.stdin.resume();
    await once(process.stdin, 'end');
  } finally {
    await closeAll();
  }
  process.exit(0);
}

function readyLine(child: ChildProcess): Promise<ProxiedLabPorts> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`the namespaced lab was not ready within ${CHILD_READY_TIMEOUT_MS} ms${describeOutput(stderr)}`)), CHILD_READY_TIMEOUT_MS);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout.slice(0, newline)) as ProxiedLabPorts);
      } catch {
        reject(new Error(`the namespaced lab said something other than its ports: ${stdout.slice(0, newline)}`));
      }
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the namespaced lab exited (code ${code}, signal ${signal}) before it was ready${describeOutput(stderr)}`));
    });
  });
}

async function stopChild(child: ChildProcess, ns: NetNamespace): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.stdin?.end();
    const deadline = new Promise((resolve) => setTimeout(resolve, CHILD_STOP_TIMEOUT_MS).unref());
    await Promise.race([exited, deadline]);
  }
  // A child that hung or died before it could stop squid leaves squid (its own process group) in the namespace.
  for (const pid of processesIn(ns)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

function processesIn(ns: NetNamespace): number[] {
  return execFileSync('ip', ['netns', 'pids', ns.name], { encoding: 'utf8' }).split('\n').filter((line) => line !== '').map(Number);
}

function describeOutput(stderr: string): string {
  return stderr === '' ? '' : `\n--- its stderr ---\n${stderr.trimEnd()}`;
}
