// `preflight lab`: the tool working without internet. It starts the lab network in this process, points the
// profile at it (resolver, port map, placeholder names), runs the checks, and then checks the tool itself: every
// simulated fault must come out with the code it was built to produce, and every healthy host must pass.
import { UsageError } from '../config/errors.js';
import { loadPlan, type PlanOptions } from '../config/load.js';
import type { RunPlan } from '../config/plan.js';
import { consoleStream, executePlan, EXIT_CHECK_FAILED, EXIT_OK, readBaseline, withUserSpecs, type RunOptions } from '../cli/execute.js';
import { validateReportTargets } from '../reporters/targets.js';
import { startLabNetwork, type LabNetwork } from './network.js';
import { LAB_REVOCATION } from './pki.js';
import { LAB_FAULTS, labVarValue } from './scenario.js';
import { describeSelfCheck, selfCheck } from './self-check.js';

/** Lab answers come from loopback: a short deadline keeps the demo quick. */
const LAB_TIMEOUT_MS = 2000;

export async function runLab(options: RunOptions): Promise<number> {
  // Before the lab network starts: a report that cannot be written is a usage error, not a finding.
  await validateReportTargets(options);
  const baseline = readBaseline(options);
  // A spec file that does not compile stops the run before the lab network starts.
  return withUserSpecs(options, async (specs) => {
    const { plan: pointed, network } = await startLabRun(options);
    try {
      // With a report on stdout, the lab's own lines go to stderr: `lab --junit - | xmllint -` reads pure XML.
      const say = consoleStream(options);
      say.write(describeLab(network));
      const { exitCode, document, nothingTested } = await executePlan(pointed, options, { baseline, specs });
      if (exitCode !== EXIT_OK && exitCode !== EXIT_CHECK_FAILED) return exitCode;
      if (nothingTested) {
        say.write(`lab: no simulated fault was verified: nothing was tested\n`);
        return EXIT_CHECK_FAILED;
      }
      const check = selfCheck(document, new Set(network.faults.keys()), pointed.checks, options.failOn);
      say.write(describeSelfCheck(check, network.faults.size, options.only));
      return check.surprises.length === 0 ? EXIT_OK : EXIT_CHECK_FAILED;
    } finally {
      await network.close();
    }
  });
}

/**
 * The lab network, started, and the plan pointed at it: what `preflight lab` runs, and what the spec's vitest
 * config (specs/vitest.config.ts) provides to the spec. The caller closes the network.
 */
export async function startLabRun(options: PlanOptions): Promise<{ plan: RunPlan; network: LabNetwork }> {
  const plan = await labPlan(options);
  const network = await startLabNetwork([...plan.endpoints.map((e) => ({ host: e.host, ports: e.ports, tlsPorts: e.tlsPorts })), ...revocationHostsBeyond(plan)]);
  const pointed: RunPlan = {
    ...plan,
    resolvers: [network.resolver],
    // The lab simulates the network: this machine's own hosts file does not describe it (an explicit --hosts-file still applies).
    hostsFile: options.hostsFile === undefined ? null : plan.hostsFile,
    portMap: { ...network.portMap, ...plan.portMap },
    trust: { ...plan.trust, caPems: [...plan.trust.caPems, network.trustedRootsPem] },
    // The lab's servers answer from this very thread: a probe in a thread of its own would meet their answers late
    // whenever this one is busy (a reset sent right after accept would arrive after the tcp check's watch ends), a
    // delay the real network does not have. So the lab's probes run here.
    probeThreads: 0,
  };
  return { plan: pointed, network };
}

/**
 * The hosts the lab's certificates name for CRLs, OCSP and AIA that the profile does not list itself: the checks
 * follow those URLs, so the lab serves them on port 80 whichever profile runs (as the real ones are on the internet).
 */
function revocationHostsBeyond(plan: RunPlan): Array<{ host: string; ports: number[]; tlsPorts: number[] }> {
  const listed = new Set(plan.endpoints.map((e) => e.host));
  const named = Object.values(LAB_REVOCATION).flatMap((urls) => [...urls.crl, ...urls.ocsp, ...urls.caIssuers]).map((url) => new URL(url).hostname);
  return [...new Set(named)].filter((host) => !listed.has(host)).map((host) => ({ host, ports: [80], tlsPorts: [] }));
}

/** The profile with every unfilled placeholder given a lab name, so that all its hosts are probed. */
async function labPlan(options: PlanOptions): Promise<RunPlan> {
  if (options.threads !== undefined) throw new UsageError('lab: --threads does not apply: the lab\'s servers share the tool\'s main thread, so its probes run there too');
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
