// A run's trust judgment of the chains its handshakes meet, made once per distinct chain. A large run meets the
// same few chains thousands of times (every address of every endpoint behind one CDN): parsing, path building,
// signature checks and OpenSSL's verdict depend only on the presented certificates, the host name check only on
// them and the name. The observation session holds one ChainTrust per run, so its memo lives and dies with the run.
import { isIP } from 'node:net';
import type { X509Certificate } from 'node:crypto';
import { observeCertificate, oneLineName, ParsedCertificate, type ObservedCertificate } from './certificate.js';
import { buildPath } from './chain-path.js';
import { trustAnchors, type TrustAnchors } from './trust-anchors.js';
import { PresentedCertificates, type PresentedChain } from './presented-chain.js';
import { lastVerifyError, verifySteps, type VerifyStep } from './verify-chain.js';

/** What the tls evidence says about a presented chain: the fields Node's verifying handshake used to fill. */
export interface ChainJudgment {
  /** The presented certificates, leaf first, in evidence form (shared by every handshake that presented them). */
  chain: ObservedCertificate[];
  authorized: boolean;
  /** OpenSSL's verify error as Node names it, or ERR_TLS_CERT_ALTNAME_INVALID when only the name is wrong. */
  authorizationError: string | null;
  hostnameError: string | null;
  anchoredInTrustStore: boolean;
}

interface ChainEntry {
  parsed: ParsedCertificate[];
  chain: ObservedCertificate[];
  steps: VerifyStep[];
  anchoredInTrustStore: boolean;
}

/** Node's own error code for a certificate that does not match the host name (tls.checkServerIdentity). */
export const HOSTNAME_ERROR_CODE = 'ERR_TLS_CERT_ALTNAME_INVALID';

export class ChainTrust {
  /** How often the work ran, not how often it was asked for: what the per-chain cache is tested by. */
  readonly counts = { chainsVerified: 0, hostChecks: 0 };
  private anchors: TrustAnchors | undefined;
  private readonly chains = new Map<string, ChainEntry>();
  private readonly hostnameErrors = new Map<string, string | null>();

  /**
   * `caPems`: the PEM texts trusted besides Node's bundled roots (--ca-file, trust.caFiles). `certificates`: where
   * the DERs of presented chains arrive (the session's, fed by its probe threads as their messages come in).
   */
  constructor(private readonly caPems: readonly string[], private readonly certificates = new PresentedCertificates()) {}

  /** judgePresented for certificates at hand (leaf first), as a handshake in this thread reads them. */
  judge(presented: readonly X509Certificate[], host: string, now: number): ChainJudgment {
    return this.judgePresented({ fingerprints: presented.map((certificate) => certificate.fingerprint256), ders: presented.map((certificate) => certificate.raw) }, host, now);
  }

  /**
   * The judgment of `presented` (leaf first, at least the leaf) for `host` at `now` (ms since the epoch). Only the
   * dates are played again per call: a run may outlast a certificate's last valid second.
   */
  judgePresented(presented: PresentedChain, host: string, now: number): ChainJudgment {
    this.certificates.learn(presented);
    const key = presented.fingerprints.join(' ');
    const entry = this.entryFor(key, presented.fingerprints);
    const hostKey = `${key} ${host}`;
    let hostnameError = this.hostnameErrors.get(hostKey);
    if (hostnameError === undefined) {
      this.counts.hostChecks += 1;
      hostnameError = hostnameErrorOf(host, (entry.parsed[0] as ParsedCertificate).x509);
      this.hostnameErrors.set(hostKey, hostnameError);
    }
    // Node checks the name only once OpenSSL accepted the chain, and then reports the name as the error.
    const verifyError = lastVerifyError(entry.steps, now);
    const authorizationError = verifyError ?? (hostnameError === null ? null : HOSTNAME_ERROR_CODE);
    return { chain: entry.chain, authorized: authorizationError === null, authorizationError, hostnameError, anchoredInTrustStore: entry.anchoredInTrustStore };
  }

  private entryFor(key: string, fingerprints: readonly string[]): ChainEntry {
    let entry = this.chains.get(key);
    if (!entry) {
      this.counts.chainsVerified += 1;
      // Node already parsed each of these DERs, so ParsedCertificate cannot fail on them; describing one never
      // throws (an odd certificate is described as unreadable, with the reason, and the others as usual).
      const parsed = fingerprints.map((fingerprint) => ParsedCertificate.fromDer(asBuffer(this.certificates.derOf(fingerprint))));
      const anchors = (this.anchors ??= trustAnchors({ caPems: this.caPems, expectedIssuers: NO_EXPECTED_ISSUERS }));
      entry = { parsed, chain: parsed.map(observeCertificate), steps: verifySteps(parsed, anchors), anchoredInTrustStore: isAnchored(parsed, anchors) };
      this.chains.set(key, entry);
    }
    return entry;
  }
}

/** A DER that crossed threads arrives as a plain Uint8Array: viewed as a Buffer, not copied. */
function asBuffer(der: Uint8Array): Buffer {
  return Buffer.isBuffer(der) ? der : Buffer.from(der.buffer, der.byteOffset, der.byteLength);
}

/** Trust, not expectation, is the question here. */
const NO_EXPECTED_ISSUERS: readonly string[] = [];

/** The same path building as the inspection check's: the two checks cannot disagree about where a chain anchors. */
function isAnchored(chain: readonly ParsedCertificate[], anchors: TrustAnchors): boolean {
  try {
    const end = buildPath(chain, anchors).end.kind;
    return end === 'expected-anchor' || end === 'trusted-anchor';
  } catch {
    // Unreachable by design (buildPath reads nothing that can throw); a chain it cannot follow anchors nowhere.
    return false;
  }
}

/** tls.checkServerIdentity's rule (SANs, else the CN), on the X509Certificate form, in Node's words. */
export function hostnameErrorOf(host: string, leaf: X509Certificate): string | null {
  const matched = isIP(host) ? leaf.checkIP(host) : leaf.checkHost(host);
  if (matched !== undefined) return null;
  const names = leaf.subjectAltName === undefined ? `no subjectAltName; ${oneLineName(leaf.subject)}` : firstNames(leaf.subjectAltName);
  return `Hostname/IP does not match certificate's altnames: Host: ${host}. is not in the cert's altnames: ${names}`;
}

/** A certificate may carry thousands of names: evidence keeps the first few, the chain keeps them all. */
const MAX_NAMES_IN_ERROR = 10;

function firstNames(subjectAltName: string): string {
  const names = subjectAltName.split(', ');
  if (names.length <= MAX_NAMES_IN_ERROR) return subjectAltName;
  return `${names.slice(0, MAX_NAMES_IN_ERROR).join(', ')} and ${names.length - MAX_NAMES_IN_ERROR} more`;
}
