// The run's trust anchors (bundled roots, --ca-file, the expected issuers), built once per run in the observation
// session's memo: every check that follows a chain to its anchor (tls revocation, inspection, chain completion, crl
// signatures) asks for them, and they must not outlive the run or leak into another run of the process.
import { trustAnchors, type TrustAnchors } from '../../pki/trust-anchors.js';
import type { CheckRun } from '../check-run.js';

export function runTrustAnchors(run: Pick<CheckRun, 'observe' | 'plan'>): TrustAnchors {
  return run.observe.derived.once('trust anchors', '', () => trustAnchors(run.plan.trust));
}
