// `preflight lab`: the tool working without internet. It starts the lab network in this process, points the
// profile at it (resolver, port map, placeholder names), runs the checks, and then checks the tool itself: every
// simulated fault must come out with the code it was built to produce, and every healthy host must pass.
import { loadPlan } from '../config/load.js';
import type { RunPlan } from '../config/plan.js';
import type { RunDocument } from '../model/result.js';
import { executePlan, EXIT_CHECK_FAILED, EXIT_OK, type RunOptions } from '../cli/execute.js';
import { validateReportTargets } from '../reporters/write.js';
import { startLabNetwork, type LabNetwork } from './network.js';
import { LAB_FAULTS, labVarValue } from './scenario.js';

/** Lab answers come from loopback: a short deadline keeps the demo quick. */
const LAB_TIMEOUT_MS = 2000;

export async function runLab(options: RunOptions): Promise<number> {
  validateReportTargets(options);
  const plan = await labPlan(options);
  const network = await startLabNetwork(plan.endpoints.map((e) => ({ host: e.host, ports: e.ports, tlsPorts: e.tlsPorts })));
  try {
    const pointed: RunPlan = {
      ...plan,
      resolvers: [network.resolver],
      // The lab simulates the network: this machine's own hosts file does not describe it (an explicit --hosts-file still applies).
      hostsFile: options.hostsFile === undefined ? null : plan.hostsFile,
      portMap: { ...network.portMap, ...plan.portMap },
      trust: { ...plan.trust, caPems: [...plan.trust.caPems, network.trustedRootsPem] },
    };
    process.stdout.write(describeLab(network));
    const { exitCode, document } = await executePlan(pointed, options);
    if (exitCode !== EXIT_OK && exitCode !== EXIT_CHECK_FAILED) return exitCode;
    const surprises = unexpectedResults(document, network);
    process.stdout.write(surprises.length === 0
      ? `lab: every simulated fault was reported as built (${network.faults.size}), every healthy endpoint passed\n`
      : `lab: ${surprises.length} result(s) differ from what the lab network was built to produce:\n${surprises.map((s) => `  ${s}\n`).join('')}`);
    return surprises.length === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
  } finally {
    await network.close();
  }
}

/** The profile with every unfilled placeholder given a lab name, so that all its hosts are probed. */
async function labPlan(options: RunOptions): Promise<RunPlan> {
  // The lab is on loopback: a proxy from the environment would not reach it (an explicit --proxy still applies).
  const labOptions = { ...options, resolvers: ['127.0.0.1'], timeout: options.timeout ?? LAB_TIMEOUT_MS, noProxy: true };
  const first = await loadPlan(labOptions);
  const missing = [...new Set(first.endpoints.flatMap((e) => e.missingVars))];
  if (missing.length === 0) return first;
  return loadPlan({ ...labOptions, vars: [...(options.vars ?? []), ...missing.map((name) => `${name}=${labVarValue(name)}`)] });
}

function describeLab(network: LabNetwork): string {
  const ports = Object.entries(network.portMap).map(([from, to]) => `${from}→${to}`).join(', ');
  const faults = [...network.faults.keys()].map((host) => `  ${host}: ${LAB_FAULTS[host]?.story ?? ''}\n`).join('');
  return `lab network: resolver ${network.resolver.host}:${network.resolver.port}, ports ${ports}\nsimulated faults:\n${faults}\n`;
}

/** Results that are not what the lab built: a fault reported with another code, or a healthy host failing. */
function unexpectedResults(document: RunDocument, network: LabNetwork): string[] {
  const surprises: string[] = [];
  for (const result of document.results) {
    const expected = network.faults.has(result.host) ? LAB_FAULTS[result.host]?.expect.find((e) => e.check === result.check) : undefined;
    if (expected) {
      if (result.code !== expected.code) surprises.push(`${result.id}: ${result.code}, built to give ${expected.code}`);
    } else if (result.status === 'fail' && !network.faults.has(result.host)) {
      surprises.push(`${result.id}: ${result.code} on a healthy host`);
    }
  }
  for (const host of network.faults.keys()) {
    for (const expected of LAB_FAULTS[host]?.expect ?? []) {
      const wanted = document.results.some((r) => r.check === expected.check) || (LAB_FAULTS[host]?.expect.length ?? 0) === 0;
      if (wanted && !document.results.some((r) => r.host === host && r.check === expected.check)) surprises.push(`${host}: no ${expected.check} result`);
    }
  }
  return surprises;
}
