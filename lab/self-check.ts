// `preflight lab` checks the tool itself: each simulated fault must come out with the code it was built to produce,
// and no healthy host may fail. It claims only what it verified: a fault whose checks did not run (`--only`) is
// "not exercised", never "reported as built".
import type { CheckKind } from '../model/codes.js';
import { statusFailsRun, type FailOnKind } from '../model/fail-on.js';
import type { RunDocument } from '../model/result.js';
import { FAILS_IN_LAB_TAG } from '../runner/user-spec-run.js';
import { LAB_FAULTS, type ScenarioEntry } from './scenario.js';

type Expectation = ScenarioEntry['expect'][number];

export interface SelfCheck {
  /** Results that are not what the lab built: a fault reported with another code, or a healthy host failing. */
  surprises: string[];
  /** Fault hosts at least one of whose expected checks ran, every one of which that ran came out as built. */
  verified: string[];
  /** Fault hosts none of whose expected check kinds ran, with those kinds. */
  notExercised: Array<{ host: string; kinds: CheckKind[] }>;
  /** Every result on a healthy host passed (not merely "did not fail"). */
  healthyAllPassed: boolean;
  /** The user's spec tests (--specs): how many passed, and how many failed as their `fails-in-lab` tag says they must. */
  specs: { passed: number; failedAsTagged: number } | null;
}

export function selfCheck(document: RunDocument, faultHosts: ReadonlySet<string>, ran: readonly CheckKind[], failOn: readonly FailOnKind[]): SelfCheck {
  const surprises: string[] = [...specSurprises(document, failOn)];
  // A fault the selected kinds cannot see is not exercised, whatever code its check gave.
  const observable = (e: Expectation) => ran.includes(e.check) && (e.needsAnyOf === undefined || e.needsAnyOf.some((kind) => ran.includes(kind)));
  for (const result of document.results) {
    if (result.check === 'spec') continue;
    const expectations = faultHosts.has(result.host) ? LAB_FAULTS[result.host]?.expect : undefined;
    const expected = expectations?.find((e) => e.check === result.check);
    if (expected && !observable(expected)) continue;
    if (expected) {
      if (result.code !== expected.code) surprises.push(`${result.id}: ${result.code}, built to give ${expected.code}`);
    } else if (!faultHosts.has(result.host) && statusFailsRun(result.status, failOn)) {
      surprises.push(`${result.id}: ${result.status} ${result.code} on a healthy host`);
    }
  }
  const verified: string[] = [];
  const notExercised: SelfCheck['notExercised'] = [];
  for (const host of faultHosts) {
    const expect = LAB_FAULTS[host]?.expect ?? [];
    const exercised = expect.filter(observable);
    if (exercised.length === 0) {
      notExercised.push({ host, kinds: expect.map((e) => e.check) });
      continue;
    }
    const missing = exercised.filter((e) => !document.results.some((r) => r.host === host && r.check === e.check));
    for (const e of missing) surprises.push(`${host}: no ${e.check} result`);
    const wrong = exercised.some((e) => document.results.some((r) => r.host === host && r.check === e.check && r.code !== e.code));
    if (missing.length === 0 && !wrong) verified.push(host);
  }
  const healthyAllPassed = document.results.every((r) => r.check === 'spec' || faultHosts.has(r.host) || r.status === 'pass');
  const specResults = document.results.filter((r) => r.check === 'spec');
  const specs = specResults.length === 0 ? null : {
    passed: specResults.filter((r) => r.status === 'pass').length,
    failedAsTagged: specResults.filter((r) => r.status === 'fail' && failsInLab(r.evidence['tags'])).length,
  };
  return { surprises, verified, notExercised, healthyAllPassed, specs };
}

/**
 * The user's specs (--specs) in the lab: each must pass, except a test tagged `fails-in-lab`, which detects a fault
 * the lab simulates and must fail (a pass would mean it cannot see that fault).
 */
function specSurprises(document: RunDocument, failOn: readonly FailOnKind[]): string[] {
  return document.results.filter((r) => r.check === 'spec').flatMap((r) => {
    if (failsInLab(r.evidence['tags'])) return r.status === 'fail' ? [] : [`${r.id}: ${r.status} ${r.code}, but it is tagged ${FAILS_IN_LAB_TAG}: it should fail in the lab`];
    return statusFailsRun(r.status, failOn) ? [`${r.id}: ${r.status} ${r.code} (your spec ${r.host}): ${r.message}`] : [];
  });
}

function failsInLab(tags: unknown): boolean {
  return Array.isArray(tags) && tags.includes(FAILS_IN_LAB_TAG);
}

/** The lab's closing lines: what was not exercised, then one line that says exactly what was verified. */
export function describeSelfCheck(check: SelfCheck, faultCount: number, only: string | undefined): string {
  const lines: string[] = [];
  if (check.notExercised.length > 0) {
    lines.push(`lab: not exercised, their checks did not run${only === undefined ? '' : ` under --only ${only}`}:`);
    for (const { host, kinds } of check.notExercised) lines.push(`  ${host} (${kinds.join(', ')}): ${LAB_FAULTS[host]?.story ?? ''}`);
  }
  if (check.surprises.length > 0) {
    lines.push(`lab: ${check.surprises.length} result(s) differ from what the lab network was built to produce:`);
    lines.push(...check.surprises.map((s) => `  ${s}`));
    return `${lines.join('\n')}\n`;
  }
  const healthy = check.healthyAllPassed ? 'every healthy endpoint passed' : 'no healthy endpoint failed';
  const faults = check.verified.length === faultCount
    ? `every simulated fault was reported as built (${faultCount})`
    : check.verified.length === 0
      ? `none of the ${faultCount} simulated faults was exercised`
      : `${check.verified.length} of ${faultCount} simulated faults were verified as built (${faultCount - check.verified.length} not exercised)`;
  const specs = check.specs === null ? ''
    : `; your specs: ${check.specs.passed} passed${check.specs.failedAsTagged > 0 ? `, ${check.specs.failedAsTagged} failed as tagged ${FAILS_IN_LAB_TAG}` : ''}`;
  lines.push(`lab: ${faults}, ${healthy}${specs}`);
  return `${lines.join('\n')}\n`;
}
