// What OpenSSL's chain verification (X509_verify_cert, as Node's TLS client runs it) reports for a presented chain
// against a trust store, computed here instead of in the handshake. The probe handshakes with a context that holds
// no CAs, so Node skips its per-handshake host name check (getPeerCertificate(true), the costliest step of a big
// run), and the verdict is reached once per distinct chain. OpenSSL reports only its last error, with Node's
// callback letting it go on after each one: the order below is OpenSSL's (build the chain, check the CA and purpose
// extensions, then signatures and dates from the top down), so the last error is the one OpenSSL would name.
import { isSelfSigned as selfSigned, type ParsedCertificate } from './certificate.js';
import { MAX_CHAIN_DEPTH } from './chain-path.js';
import type { TrustAnchors } from './trust-anchors.js';

/** A verify error, or a validity check whose outcome depends on the moment of the handshake. */
export type VerifyStep = { error: string } | { validity: ParsedCertificate };

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/**
 * The steps of verifying `presented` (leaf first, as the server sent it) against `anchors`, in OpenSSL's order.
 * Everything but the dates is decided here, once; `lastVerifyError` plays the dates at a given moment.
 */
export function verifySteps(presented: readonly ParsedCertificate[], anchors: TrustAnchors): VerifyStep[] {
  const [leaf] = presented;
  if (!leaf) return [];
  const { chain, trusted, fromStore } = buildChain(leaf, presented, anchors);
  const steps: VerifyStep[] = [];
  if (!trusted) steps.push({ error: buildError(chain, fromStore) });
  steps.push(...extensionErrors(chain, fromStore));
  steps.push(...signatureAndDateSteps(chain));
  return steps;
}

/** The last error OpenSSL would report at `now` (ms since the epoch), or null when the chain verifies. */
export function lastVerifyError(steps: readonly VerifyStep[], now: number): string | null {
  let last: string | null = null;
  for (const step of steps) {
    if ('error' in step) {
      last = step.error;
      continue;
    }
    const certificate = step.validity.x509;
    if (Date.parse(certificate.validFrom) > now) last = 'CERT_NOT_YET_VALID';
    if (Date.parse(certificate.validTo) < now) last = 'CERT_HAS_EXPIRED';
  }
  return last;
}

interface BuiltChain {
  chain: ParsedCertificate[];
  trusted: boolean;
  /** How many certificates, from the top, came from the trust store. */
  fromStore: number;
}

/**
 * OpenSSL's chain building: each certificate's issuer from the trust store first, then from what the server sent
 * (names, key identifiers and keyCertSign must fit: X509_check_issued, not the signature). Once on the store, the
 * chain stays there. Only a self-signed store certificate is an anchor: Node 20 sets no partial-chain flag.
 */
function buildChain(leaf: ParsedCertificate, presented: readonly ParsedCertificate[], anchors: TrustAnchors): BuiltChain {
  const chain = [leaf];
  const used = new Set([leaf.sha256]);
  let fromStore = anchors.byFingerprint.has(leaf.sha256) && selfSigned(leaf) ? 1 : 0;
  while (chain.length <= MAX_CHAIN_DEPTH) {
    const current = chain[chain.length - 1] as ParsedCertificate;
    if (selfSigned(current)) return { chain, trusted: fromStore > 0 || anchors.byFingerprint.has(current.sha256), fromStore: Math.max(fromStore, anchors.byFingerprint.has(current.sha256) ? 1 : 0) };
    const stored = (anchors.bySubject.get(current.issuerText.toLowerCase()) ?? []).map((link) => link.certificate).find((candidate) => !used.has(candidate.sha256) && issued(current, candidate));
    const next = stored ?? (fromStore > 0 ? undefined : presented.find((candidate) => !used.has(candidate.sha256) && issued(current, candidate)));
    if (!next) break;
    if (stored) fromStore += 1;
    chain.push(next);
    used.add(next.sha256);
  }
  return { chain, trusted: false, fromStore };
}

/** The error X509_verify_cert's build_chain gives an untrusted chain. */
function buildError(chain: readonly ParsedCertificate[], fromStore: number): string {
  const top = chain[chain.length - 1] as ParsedCertificate;
  if (selfSigned(top)) return chain.length === 1 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN';
  // The top came from the store (an intermediate passed with --ca-file whose root is missing).
  return fromStore > 0 ? 'UNABLE_TO_GET_ISSUER_CERT' : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
}

/** check_chain_extensions: every issuing certificate must be a CA; a presented one must allow TLS server use. */
function extensionErrors(chain: readonly ParsedCertificate[], fromStore: number): VerifyStep[] {
  const steps: VerifyStep[] = [];
  const presentedCount = chain.length - fromStore;
  chain.forEach((certificate, index) => {
    if (index > 0 && !certificate.x509.ca) steps.push({ error: 'INVALID_CA' });
    // Node's `keyUsage` is the extended key usage; a store certificate's purpose is a trust setting, not checked.
    const purposes = certificate.x509.keyUsage as string[] | undefined;
    if (index < presentedCount && purposes !== undefined && !purposes.includes(SERVER_AUTH)) steps.push({ error: 'INVALID_PURPOSE' });
  });
  return steps;
}

/**
 * internal_verify: from the top down, each certificate's signature by the one above it (a self-signed top's own
 * signature is not checked), then its dates. A leaf whose issuer was never found is UNABLE_TO_VERIFY_LEAF_SIGNATURE.
 */
function signatureAndDateSteps(chain: readonly ParsedCertificate[]): VerifyStep[] {
  const steps: VerifyStep[] = [];
  let index = chain.length - 1;
  let issuer = chain[index] as ParsedCertificate;
  if (!selfSigned(issuer)) {
    if (index === 0) return [{ error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, { validity: issuer }];
    index -= 1;
  }
  for (; index >= 0; index -= 1) {
    const subject = chain[index] as ParsedCertificate;
    if (subject !== issuer && !verifiesWith(subject, issuer)) steps.push({ error: 'CERT_SIGNATURE_FAILURE' });
    steps.push({ validity: subject });
    issuer = subject;
  }
  return steps;
}

function issued(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return subject.x509.checkIssued(issuer.x509);
  } catch {
    return false;
  }
}

function verifiesWith(subject: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    return subject.x509.verify(issuer.x509.publicKey);
  } catch {
    return false;
  }
}
