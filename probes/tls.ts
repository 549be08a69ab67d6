// The tls probe: one handshake with the endpoint's name as SNI, the presented chain captured whatever validation
// says, and, when a TLS 1.2+ handshake fails, a second one that asks with TLS 1.0–1.1 only: a server that
// accepts it speaks only old TLS. Validation (which code) is the tls check's business; this only observes. The
// attempts may run in a probe thread (target.attempt); the chain is judged here, once per distinct chain.
import type { ChainJudgment, ChainTrust } from '../pki/chain-trust.js';
import { describeError, type Probe } from './probe.js';
import { attemptTls } from './tls-attempt.js';
import type { Attempt, AttemptTarget, Session, TlsEvidence, TlsTarget } from './tls-evidence.js';
import { handshakeFailureOf, speaksOnlyOlderThanTls10, type HandshakeFailure } from './tls-failures.js';

export type { HandshakeFailureCode } from './tls-failures.js';

export const probeTls: Probe<TlsTarget, TlsEvidence> = async (target, ctx) => {
  const base = { host: target.host, address: target.address, port: target.port, via: target.via ?? null };
  const attemptTarget: AttemptTarget = { host: target.host, address: target.address, port: target.port, connectTimeoutMs: target.connectTimeoutMs, transport: target.transport };
  const run = target.attempt ?? attemptTls;
  // The handshake does not wait for the PKI code: the judge is awaited once there is a chain to judge.
  const judged = async (attempt: Attempt): Promise<JudgedAttempt> => attempt.outcome === 'established' ? judgeAttempt(attempt, await (target.chainTrust ?? ownChainTrust(target.caPems)), target.host) : attempt;
  const modern = await judged(await run(attemptTarget, 'modern', ctx));
  if (modern.outcome !== 'handshake-failed' || !worthAskingLegacy(modern.failure.code)) return evidenceFrom(base, modern, null);
  const legacy = await judged(await run(attemptTarget, 'legacy', ctx));
  if (legacy.outcome === 'established') {
    return { ...evidenceFrom(base, legacy, null), handshakeFailure: modern.failure, legacyRetry: { protocol: legacy.session.protocol, detail: `the server accepted ${legacy.session.protocol}`, olderThanTls10: false } };
  }
  const olderThanTls10 = legacy.outcome === 'handshake-failed' && speaksOnlyOlderThanTls10(modern.failure, legacy.failure);
  return evidenceFrom(base, modern, { protocol: null, detail: `TLS 1.0–1.1 failed as well: ${legacy.failure.detail}`, olderThanTls10 });
};

/** A judge for a probe the session does not share one with (tests, one-off handshakes). */
async function ownChainTrust(caPems: readonly string[]): Promise<ChainTrust> {
  const { ChainTrust } = await import('../pki/chain-trust.js');
  return new ChainTrust(caPems);
}

/** Silence and non-TLS bytes will not change with the version offered; alerts and resets might. */
function worthAskingLegacy(code: HandshakeFailure['code']): boolean {
  return code === 'TLS_HANDSHAKE_FAILED';
}

type JudgedSession = Omit<Session, 'presented' | 'nodeAuthorized' | 'nodeAuthorizationError'> & ChainJudgment;
type JudgedAttempt = Exclude<Attempt, { outcome: 'established' }> | { outcome: 'established'; connectMs: number; handshakeMs: number; session: JudgedSession };

/** The session's chain judged by the run's ChainTrust; a chain that cannot be read fails the handshake, as Node would. */
function judgeAttempt(attempt: Attempt, chainTrust: ChainTrust, host: string): JudgedAttempt {
  if (attempt.outcome !== 'established') return attempt;
  const { presented, nodeAuthorized, nodeAuthorizationError, ...session } = attempt.session;
  // No certificate (an anonymous cipher suite): Node's own verdict, which says so, is all there is.
  if (presented === null) {
    return { ...attempt, session: { ...session, authorized: nodeAuthorized, authorizationError: nodeAuthorizationError, hostnameError: null, anchoredInTrustStore: false, chain: [] } };
  }
  try {
    return { ...attempt, session: { ...session, ...chainTrust.judgePresented(presented, host, Date.now()) } };
  } catch (error) {
    const failure = handshakeFailureOf(new Error(`the server's certificate could not be read: ${describeError(error)}`));
    return { outcome: 'handshake-failed', connectMs: attempt.connectMs, handshakeMs: attempt.handshakeMs, failure };
  }
}

function evidenceFrom(base: Pick<TlsEvidence, 'host' | 'address' | 'port' | 'via'>, result: JudgedAttempt, legacyRetry: TlsEvidence['legacyRetry']): TlsEvidence {
  const noSession = { protocol: null, cipher: null, keyExchange: null, authorized: false, authorizationError: null, hostnameError: null, anchoredInTrustStore: false, chain: [] };
  const observedAt = new Date().toISOString();
  switch (result.outcome) {
    case 'transport-failed':
      return { ...base, observedAt, connectMs: null, handshakeMs: null, transportFailure: result.failure, handshakeFailure: null, legacyRetry, ...noSession };
    case 'handshake-failed':
      return { ...base, observedAt, connectMs: result.connectMs, handshakeMs: result.handshakeMs, transportFailure: null, handshakeFailure: result.failure, legacyRetry, ...noSession };
    case 'established':
      return { ...base, observedAt, connectMs: result.connectMs, handshakeMs: result.handshakeMs, transportFailure: null, handshakeFailure: null, legacyRetry, ...result.session };
  }
}
