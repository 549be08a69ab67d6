// Spawn to the first DNS query: the CLI's start-up, measured at a resolver of its own with one endpoint.
import { setTimeout as sleep } from 'node:timers/promises';
import { startLabDnsServer, type LabDnsServer } from '../lab/dns-server.js';
import type { ResolverAddress } from '../config/plan.js';
import { cliOutcome, writeEndpointsConfig } from './cli-runs.js';
import { BENCH_DOMAIN, STARTUP_RESOLVER_ADDRESS } from './lab.js';
import { timedRun } from './processes.js';

const STARTUP_DEADLINE_MS = 30_000;
const STARTUP_POLL_INTERVAL_MS = 1;

/** Spawn to the first query at a resolver of its own, one endpoint, `samples` times in a row; stops its resolver. */
export async function measureStartup(scratch: string, address: string, samples: number, argsFor: (configFile: string, resolver: ResolverAddress) => string[]): Promise<number[]> {
  const name = `startup.${BENCH_DOMAIN}`;
  const server = await startLabDnsServer({ host: STARTUP_RESOLVER_ADDRESS, zone: { [name]: { records: [{ type: 'A', value: address }] } } });
  try {
    const configFile = await writeEndpointsConfig(scratch, 'startup-endpoint.json', [name]);
    const measured: number[] = [];
    for (let i = 0; i < samples; i++) {
      const queriesBefore = server.queries.length;
      let spawnedAt = 0;
      const run = timedRun({ command: process.execPath, args: argsFor(configFile, server), deadlineMs: STARTUP_DEADLINE_MS, scratchDir: scratch, onSpawn: (at) => (spawnedAt = at) });
      // Awaited below; marked handled now so that a failure while waiting for the query is the one reported.
      run.catch(() => undefined);
      measured.push(await untilQueryArrives(server, queriesBefore, spawnedAt));
      cliOutcome('start-up run', await run);
    }
    return measured;
  } finally {
    await server.close();
  }
}

/** Milliseconds from `since` until `server` has seen more than `seen` queries, to within the poll interval. */
async function untilQueryArrives(server: LabDnsServer, seen: number, since: number): Promise<number> {
  while (server.queries.length <= seen) {
    if (performance.now() - since > STARTUP_DEADLINE_MS) throw new Error(`no DNS query arrived within ${STARTUP_DEADLINE_MS} ms of the CLI's start`);
    await sleep(STARTUP_POLL_INTERVAL_MS);
  }
  return performance.now() - since;
}
