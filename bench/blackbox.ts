// Prometheus blackbox_exporter doing the same work as one preflight run, for comparison: a dns probe per name and a
// tcp+TLS probe per name and address, requested over its HTTP API as Prometheus would scrape them.
//
// blackbox_exporter 0.23 takes a DNS query name only from the module (the `hostname` URL parameter exists for the
// http prober alone), and a TLS server name likewise: so one dns module and one tls module per name, generated.
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolverAddress } from '../config/plan.js';
import type { BenchEndpoint } from './lab.js';
import { withDeadline } from './deadline.js';
import { readProcessFigures, startService, type Service } from './processes.js';

export const BLACKBOX_BINARY = '/usr/bin/prometheus-blackbox-exporter';

export interface BlackboxProbe {
  module: string;
  target: string;
}

export interface BlackboxSetup {
  configFile: string;
  probes: BlackboxProbe[];
}

export interface ProbeRound {
  wallMs: number;
  succeeded: number;
  /** The first few failures, for the report. */
  failures: string[];
  failedCount: number;
  /** blackbox_exporter's peak RSS so far (KiB) and the CPU it used during the round (ms). */
  peakRssKiB: number;
  cpuMs: number;
}

export interface RunningBlackbox {
  baseUrl: string;
  service: Service;
}

/** The same per-step deadline as preflight's default (5000 ms). */
const PROBE_TIMEOUT = '5s';
const READY_DEADLINE_MS = 15_000;
const READY_POLL_INTERVAL_MS = 50;
/** A scrape that gets no answer at all within this long counts as failed. */
const REQUEST_TIMEOUT_MS = 30_000;
const FAILURES_KEPT = 5;

/**
 * Writes the config: per name, dns_<n> (an A query for the name, validated to return an A record) and tls_<n> (TCP
 * with TLS, SNI and verification for the name, the lab root as CA); and lists the probes, grouped by name as
 * preflight's checks are.
 */
export async function writeBlackboxConfig(directory: string, endpoints: readonly BenchEndpoint[], caFile: string, resolver: ResolverAddress, tlsPort: number): Promise<BlackboxSetup> {
  const modules: Record<string, unknown> = {};
  const probes: BlackboxProbe[] = [];
  endpoints.forEach((endpoint, index) => {
    const dnsModule = `dns_${index}`;
    const tlsModule = `tls_${index}`;
    modules[dnsModule] = {
      prober: 'dns',
      timeout: PROBE_TIMEOUT,
      dns: {
        query_name: endpoint.name,
        query_type: 'A',
        transport_protocol: 'udp',
        preferred_ip_protocol: 'ip4',
        ip_protocol_fallback: false,
        valid_rcodes: ['NOERROR'],
        // Answer lines as miekg/dns prints them: "name.\t300\tIN\tA\t127.0.x.y".
        validate_answer_rrs: { fail_if_none_matches_regexp: ['\\tIN\\tA\\t'] },
      },
    };
    modules[tlsModule] = {
      prober: 'tcp',
      timeout: PROBE_TIMEOUT,
      tcp: {
        tls: true,
        preferred_ip_protocol: 'ip4',
        ip_protocol_fallback: false,
        tls_config: { ca_file: caFile, server_name: endpoint.name, min_version: 'TLS12' },
      },
    };
    probes.push({ module: dnsModule, target: `${resolver.host}:${resolver.port}` });
    for (const address of endpoint.addresses) probes.push({ module: tlsModule, target: `${address}:${tlsPort}` });
  });
  const configFile = path.join(directory, 'blackbox.yml');
  // JSON is YAML: no YAML writer needed.
  await writeFile(configFile, JSON.stringify({ modules }));
  return { configFile, probes };
}

export async function startBlackbox(configFile: string, host: string, port: number): Promise<RunningBlackbox> {
  const service = startService(BLACKBOX_BINARY, [`--config.file=${configFile}`, `--web.listen-address=${host}:${port}`]);
  const baseUrl = `http://${host}:${port}`;
  const deadline = Date.now() + READY_DEADLINE_MS;
  while (!(await answers(`${baseUrl}/-/healthy`))) {
    if (!service.isRunning() || Date.now() > deadline) {
      const why = service.isRunning() ? `did not answer on ${baseUrl} within ${READY_DEADLINE_MS} ms` : 'exited';
      const output = service.outputTail();
      await service.stop();
      throw new Error(`${BLACKBOX_BINARY} ${why}\n${output}`);
    }
    await sleep(READY_POLL_INTERVAL_MS);
  }
  return { baseUrl, service };
}

/**
 * Requests every probe, `concurrency` at a time over kept-alive connections, and times the whole round. A probe
 * counts as succeeded when blackbox reports probe_success 1.
 */
export async function runProbes(blackbox: RunningBlackbox, probes: readonly BlackboxProbe[], concurrency: number, deadlineMs: number): Promise<ProbeRound> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const failures: string[] = [];
  let failedCount = 0;
  let succeeded = 0;
  let next = 0;
  const cpuBefore = readProcessFigures(blackbox.service.pid).cpuMs;
  const requester = async (): Promise<void> => {
    for (let probe = probes[next++]; probe !== undefined; probe = probes[next++]) {
      const url = `${blackbox.baseUrl}/probe?module=${encodeURIComponent(probe.module)}&target=${encodeURIComponent(probe.target)}`;
      const outcome = await scrape(url, agent).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      if (outcome === true) {
        succeeded++;
      } else {
        failedCount++;
        if (failures.length < FAILURES_KEPT) failures.push(`${probe.module} ${probe.target}: ${outcome === false ? 'probe_success 0' : outcome}`);
      }
    }
  };
  const started = performance.now();
  try {
    await withDeadline(Promise.all(Array.from({ length: concurrency }, requester)), deadlineMs, 'the blackbox_exporter probes', () => agent.destroy());
    const wallMs = performance.now() - started;
    const figures = readProcessFigures(blackbox.service.pid);
    return { wallMs, succeeded, failures, failedCount, peakRssKiB: figures.peakRssKiB, cpuMs: figures.cpuMs - cpuBefore };
  } finally {
    agent.destroy();
  }
}

/** True when the probe succeeded, false when blackbox says it failed; rejects when the scrape itself failed. */
function scrape(url: string, agent: http.Agent): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`));
        else resolve(/^probe_success 1$/m.test(body));
      });
      response.on('error', reject);
    });
    request.setTimeout(REQUEST_TIMEOUT_MS, () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', reject);
  });
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.setTimeout(READY_POLL_INTERVAL_MS * 20, () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

