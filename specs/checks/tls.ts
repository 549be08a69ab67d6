// tls: on every resolved address of every TLS port, the handshake completes with TLS 1.2 or newer and the
// certificate is trusted, in date and for the host.
//
// One code per result, in this precedence (what the first failed step was, then the most fundamental defect):
//   connection failure (its TCP or proxy code) > TLS_PROTOCOL_TOO_OLD > TLS_TIMEOUT | TLS_NOT_TLS | TLS_HANDSHAKE_FAILED
//   > TLS_UNTRUSTED > TLS_CERT_REVOKED > TLS_CERT_EXPIRED > TLS_CERT_NOT_YET_VALID > TLS_HOSTNAME_MISMATCH
//   > TLS_WEAK_CRYPTO (warn) > TLS_OK.
// Untrusted comes first because dates and names of a certificate nobody vouches for mean nothing; revoked before
// expired because it is the issuer's explicit verdict; weak crypto last, as it works today but should not.
// Every finding, chosen or not, is listed in evidence.
import { TCP_CODES } from '../../model/codes.js';
import type { CheckResult, Evidence } from '../../model/result.js';
import { certificateLabel, type CertificateEvidence } from '../../pki/certificate.js';
import type { ConnectFailureCode } from '../../net/connect.js';
import { HOSTNAME_ERROR_CODE } from '../../pki/chain-trust.js';
import { MODERN_TLS_PROTOCOLS, type TlsEvidence } from '../../probes/tls-evidence.js';
import { weakCryptoOf, type Weakness } from '../../pki/weak-crypto.js';
import { fingerprintOnly, type CertificateReferrer } from '../certificate-registry.js';
import { describeTarget, makeResult, skippedFor, type CheckRun, type Verdict } from '../check-run.js';
import { dnsCheck } from './dns.js';
import { judgeTcp, tcpCheck, type AddressTarget } from './tcp.js';
import { revocationsOf, type Revocation } from './revocation.js';

export type { Revocation } from './revocation.js';
import { chainCompletion, completedTlsVerdict, completionEvidence } from './chain-completion.js';
import type { CertificateFinding, CertificateFindingCode } from './tls-findings.js';

/** Most fundamental first: the first finding present is the result's code. */
export const CERTIFICATE_FINDING_PRECEDENCE: readonly CertificateFindingCode[] = ['TLS_UNTRUSTED', 'TLS_CERT_REVOKED', 'TLS_CERT_EXPIRED', 'TLS_CERT_NOT_YET_VALID', 'TLS_HOSTNAME_MISMATCH', 'TLS_WEAK_CRYPTO'];

/** Findings that are warnings on their own: the handshake works, but should not be relied on. */
const WARNING_FINDINGS: ReadonlySet<CertificateFindingCode> = new Set(['TLS_WEAK_CRYPTO']);

/** How many subjectAltNames a message lists before "and N more": a certificate may carry thousands. */
const MAX_NAMES_SHOWN = 10;

/** Node checks the name only once OpenSSL verified the chain: this error means the chain is trusted. */
const HOSTNAME_ERROR = HOSTNAME_ERROR_CODE;
/**
 * Date errors say nothing about trust, and OpenSSL reports only its last error: after one of these the chain may
 * still lead nowhere, and the probe's own anchoring by signature decides.
 */
const DATE_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** The tls prerequisites (dns gave an address, tcp connected), then the handshake's verdict. */
export function tlsCheck(run: CheckRun, target: AddressTarget): Promise<CheckResult> {
  const subject = target.subject('tls');
  return run.once(subject, async () => {
    if (target.route === 'direct' && target.address === null) return skippedFor(subject, target.excluded ?? await dnsCheck(run, target.host));
    const tcp = await tcpCheck(run, target);
    if (tcp.status !== 'pass') return skippedFor(subject, tcp);
    const evidence = await run.observe.tls(target.host.host, target.address, target.port);
    const revocations = await revocationsOf(run, evidence);
    // A chain missing its intermediate is judged as the agent's Windows meets it: completed from the AIA URL.
    const completion = await chainCompletion(run, evidence);
    const judged = completedTlsVerdict(judgeTls(target.port, evidence, revocations), completion, certificateFindings(evidence, revocations), describeHandshake(evidence, target.port), evidence);
    // Revocation is learnt from the crl and ocsp checks' fetches: without them a pass must not read as "not revoked".
    const unchecked = !run.wants('crl') && !run.wants('ocsp');
    const verdict = unchecked && judged.status === 'pass' ? { ...judged, message: `${judged.message}; revocation not checked (no crl or ocsp check in this run)` } : judged;
    // The message says why; the evidence is the machine-readable fact, on each of thousands of results.
    const noted: Evidence = unchecked ? { revocation: 'not checked' } : {};
    return makeResult(subject, verdict, (evidence.connectMs ?? 0) + (evidence.handshakeMs ?? 0), { ...tlsReportEvidence(evidence, revocations, run.certificates.refer), ...completionEvidence(completion, run.certificates.refer), ...noted });
  });
}

/**
 * The verdict on one handshake. `revocations` are the revoked certificates of this chain that the crl/ocsp checks
 * found; they produce TLS_CERT_REVOKED in its place in the precedence.
 */
/** "host at 203.0.113.7:443", or "host:443 through proxy …" for a tunnel. */
export function describeHandshake(evidence: TlsEvidence, port: number): string {
  if (evidence.via !== null) return `${evidence.host}:${port} through proxy ${evidence.via}`;
  return `${evidence.host} at ${describeTarget(evidence.address, port, evidence.port)}`;
}

export function judgeTls(port: number, evidence: TlsEvidence, revocations: readonly Revocation[] = []): Verdict {
  const where = describeHandshake(evidence, port);
  const transportFailure = evidence.transportFailure;
  if (transportFailure) {
    // A direct connection fails as the tcp check does, with its advice; a proxy tunnel's failure is the proxy check's.
    const code = transportFailure.code;
    if (isTcpFailureCode(code)) return judgeTcp(evidence.host, port, { address: evidence.address, port: evidence.port, connectMs: null, failure: { code, detail: transportFailure.detail } });
    return { status: 'fail', code, message: `${where}: ${transportFailure.detail}`, remediation: `The connection for the handshake could not be opened through the proxy: see the proxy check.` };
  }
  const tooOld = evidence.protocol !== null && !MODERN_TLS_PROTOCOLS.includes(evidence.protocol) ? evidence.protocol : evidence.legacyRetry?.olderThanTls10 ? 'SSL 3.0 or older' : null;
  if (tooOld !== null) {
    const asked = evidence.handshakeFailure ? ` (TLS 1.2 and 1.3 failed: ${evidence.handshakeFailure.detail}${evidence.legacyRetry?.olderThanTls10 ? `; ${evidence.legacyRetry.detail}` : ''})` : '';
    return {
      status: 'fail', code: 'TLS_PROTOCOL_TOO_OLD', message: `${where}: the server only speaks ${tooOld}${asked}`,
      remediation: `The agent needs TLS 1.2 or newer, which Microsoft's endpoints speak: what answers here is a device on the path that terminates TLS (enable TLS 1.2 on it, or exempt ${evidence.host}) or not the service at all (check DNS and routing).`,
    };
  }
  if (evidence.handshakeFailure) {
    const failure = evidence.handshakeFailure;
    const legacy = evidence.legacyRetry ? `; ${evidence.legacyRetry.detail}` : '';
    const remediation = {
      TLS_TIMEOUT: `Something accepts TCP ${port} but never answers the TLS ClientHello: check firewalls or proxies that hold connections to ${evidence.host} (SNI filtering), and that the port map points at a TLS service.`,
      TLS_NOT_TLS: `Another protocol answers on port ${port} (often plain HTTP from a proxy or captive portal): check that ${evidence.address} is the service's address and that no transparent proxy intercepts port ${port}.`,
      TLS_HANDSHAKE_FAILED: `A device on the path (or the server) refuses the handshake for ${evidence.host}: check SNI-based filtering, IPS and TLS policies on the firewall or proxy.`,
    }[failure.code];
    return { status: 'fail', code: failure.code, message: `${where}: ${failure.detail}${legacy}`, remediation };
  }
  const findings = certificateFindings(evidence, revocations);
  const [first] = findings;
  const [leaf] = evidence.chain;
  if (first || !leaf) {
    const finding = first ?? NO_CERTIFICATE;
    const others = findings.slice(1).map((f) => f.code);
    return { status: WARNING_FINDINGS.has(finding.code) ? 'warn' : 'fail', code: finding.code, message: `${where}: ${finding.message}${others.length > 0 ? ` (also ${others.join(', ')})` : ''}`, remediation: finding.remediation };
  }
  const negotiated = [evidence.protocol, evidence.cipher].filter((part) => part !== null).join(' ');
  return { status: 'pass', code: 'TLS_OK', message: `${where}: ${negotiated}, certificate ${quote(nameOf(leaf))} issued by ${quote(issuerOf(leaf))}, valid until ${leaf.notAfter}` };
}

/** A session without a server certificate (anonymous cipher suites): nothing vouches for the server. */
const NO_CERTIFICATE: CertificateFinding = {
  code: 'TLS_UNTRUSTED',
  message: 'the server presented no certificate',
  remediation: 'Something on the path negotiates TLS without a certificate: check the TLS policy of the device that answers.',
};

/** Every defect of the presented certificate, in precedence order. */
export function certificateFindings(evidence: TlsEvidence, revocations: readonly Revocation[] = []): CertificateFinding[] {
  const [leaf] = evidence.chain;
  if (!leaf) return evidence.protocol === null ? [] : [NO_CERTIFICATE];
  const findings: CertificateFinding[] = [];
  const chainError = evidence.authorized ? null : evidence.authorizationError;
  const trustError = chainError !== null && chainError !== HOSTNAME_ERROR && !DATE_ERRORS.has(chainError) ? chainError : null;
  // Whether the chain anchors is the path builder's judgment, the inspection check's too: OpenSSL reports only its
  // last error (a date error can hide an unknown root), and the two checks must not disagree.
  if (trustError !== null || !evidence.anchoredInTrustStore) findings.push(untrustedFinding(evidence, leaf, trustError));
  for (const revocation of revocations) {
    findings.push({
      code: 'TLS_CERT_REVOKED',
      message: `certificate ${quote(nameOf(revocation.certificate))} (serial ${revocation.certificate.serialNumber}) is revoked${revocation.revokedAt ? ` since ${revocation.revokedAt}` : ''}${revocation.reason ? ` (${revocation.reason})` : ''} according to ${revocation.source}`,
      remediation: `The server (or a device that terminates TLS for ${evidence.host}) presents a revoked certificate: it must be replaced there.`,
    });
  }
  const now = Date.parse(evidence.observedAt);
  const clockAdvice = 'Check this machine\'s clock first (see the clock check); if it is right, ';
  const expired = evidence.chain.find((certificate) => Date.parse(certificate.notAfter) < now);
  if (expired) {
    findings.push({
      code: 'TLS_CERT_EXPIRED',
      message: `${roleOf(evidence, expired)} ${quote(nameOf(expired))} expired on ${expired.notAfter}`,
      remediation: `${clockAdvice}the server or a TLS-terminating device on the path presents an expired certificate for ${evidence.host}: renew it there.`,
    });
  }
  const early = evidence.chain.find((certificate) => Date.parse(certificate.notBefore) > now);
  if (early) {
    findings.push({
      code: 'TLS_CERT_NOT_YET_VALID',
      message: `${roleOf(evidence, early)} ${quote(nameOf(early))} is not valid before ${early.notBefore}`,
      remediation: `${clockAdvice}the server or a TLS-terminating device on the path presents a certificate for ${evidence.host} that is not valid yet.`,
    });
  }
  if (evidence.hostnameError) {
    const names = leaf.subjectAltNames.length > 0 ? listNames(leaf.subjectAltNames) : leaf.subject;
    findings.push({
      code: 'TLS_HOSTNAME_MISMATCH',
      message: `the certificate is for ${names}, not for ${evidence.host}`,
      remediation: `Something other than the service answers for ${evidence.host} at ${evidence.address} (a wrong DNS answer, a captive portal or a proxy with its own certificate): check the dns check's addresses and what listens there.`,
    });
  }
  const weaknesses = weakCryptoOf(evidence.chain, evidence.keyExchange);
  if (weaknesses.length > 0) {
    findings.push({
      code: 'TLS_WEAK_CRYPTO',
      message: `weak cryptography: ${weaknesses.map((weakness) => weakness.text).join('; ')}`,
      remediation: `Microsoft's endpoints present RSA keys of 2048 bits or more (or ECDSA), SHA-256 signatures and ECDHE: weak cryptography here means a device on the path terminates TLS for ${evidence.host} (see the inspection check) or the server is misconfigured. Replace its certificates with RSA 2048+ or ECDSA keys signed with SHA-256, and disable DHE groups under 2048 bits.`,
    });
  }
  return CERTIFICATE_FINDING_PRECEDENCE.flatMap((code) => findings.filter((finding) => finding.code === code));
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_NAMES_SHOWN).join(', ');
  return names.length > MAX_NAMES_SHOWN ? `${shown} and ${names.length - MAX_NAMES_SHOWN} more` : shown;
}

/** Why the chain is not trusted: OpenSSL's reason when it gave one, else what the chain shows. */
function untrustedFinding(evidence: TlsEvidence, leaf: CertificateEvidence, trustError: string | null): CertificateFinding {
  const top = evidence.chain[evidence.chain.length - 1] ?? leaf;
  const unknownRoot = `the chain leads to ${quote(issuerOf(top))}, which neither Node's bundled Mozilla roots nor --ca-file contain`;
  const selfSigned = `the certificate ${quote(nameOf(leaf))} is self-signed`;
  const why: Record<string, string> = {
    DEPTH_ZERO_SELF_SIGNED_CERT: selfSigned,
    SELF_SIGNED_CERT_IN_CHAIN: `the chain ends at ${quote(issuerOf(top))}, a root neither Node's bundled Mozilla roots nor --ca-file contain`,
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: unknownRoot,
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: `the issuer ${quote(issuerOf(leaf))} is unknown and the server did not send it (incomplete chain, or a root no store holds)`,
  };
  const observed = evidence.chain.length === 1 && leaf.subject === leaf.issuer ? selfSigned : unknownRoot;
  return {
    code: 'TLS_UNTRUSTED',
    message: trustError === null ? observed : `${why[trustError] ?? `the chain does not verify: ${verifyErrorText(evidence, trustError)}`} [${trustError}]`,
    remediation: `If a device on the path re-signs TLS for ${evidence.host} (see the inspection check), exempt the host from inspection there; for a lab or a private cloud, pass its root CA with --ca-file.`,
  };
}

/** OpenSSL's reasons (X509_verify_cert_error_string) for the verify errors Node has a code for. */
const VERIFY_ERRORS: Readonly<Record<string, string>> = {
  UNABLE_TO_GET_ISSUER_CERT: 'unable to get issuer certificate',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: "unable to decrypt a certificate's signature",
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: "unable to decode an issuer's public key",
  CERT_SIGNATURE_FAILURE: 'a certificate signature does not verify',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: "a certificate's notBefore field is malformed",
  ERROR_IN_CERT_NOT_AFTER_FIELD: "a certificate's notAfter field is malformed",
  CERT_CHAIN_TOO_LONG: 'the chain is longer than the verify depth',
  CERT_REVOKED: 'a certificate is revoked',
  INVALID_CA: 'a certificate that signs others is not a CA (basicConstraints or keyUsage)',
  PATH_LENGTH_EXCEEDED: "a CA's path length constraint is exceeded",
  INVALID_PURPOSE: 'a certificate is not for TLS server authentication (extendedKeyUsage)',
  CERT_UNTRUSTED: 'the root is not trusted for TLS server authentication',
  CERT_REJECTED: 'the root is marked to reject TLS server authentication',
};

/** OpenSSL's refusals of weak digests and keys, by the kind of weakness the chain must then show. */
const WEAKNESS_ERRORS: Readonly<Record<string, Weakness['kind']>> = { CA_MD_TOO_WEAK: 'signature', EE_KEY_TOO_SMALL: 'key', CA_KEY_TOO_SMALL: 'key' };

/**
 * Node names only the verify errors above; the rest, among them OpenSSL's refusals of weak digests and keys at its
 * security level (CA_MD_TOO_WEAK, EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL), arrive as UNSPECIFIED. The chain then
 * shows which it was, said in OpenSSL's words and naming the certificate.
 */
function verifyErrorText(evidence: TlsEvidence, code: string): string {
  const named = VERIFY_ERRORS[code];
  if (named) return named;
  const kind = WEAKNESS_ERRORS[code];
  const weakness = weakCryptoOf(evidence.chain, null).find((candidate) => kind === undefined || candidate.kind === kind);
  if (!weakness) return code === 'UNSPECIFIED' ? 'OpenSSL gave a reason Node has no name for' : code.toLowerCase().replace(/_/g, ' ');
  const reason = weakness.kind === 'signature' ? 'CA signature digest too weak' : `${weakness.leaf ? 'EE' : 'CA'} key too small`;
  return `${reason} (${weakness.text})`;
}

/** The report evidence: everything observed; the chain as fingerprints, each certificate described by `refer`'s table. */
export function tlsReportEvidence(evidence: TlsEvidence, revocations: readonly Revocation[] = [], refer: CertificateReferrer = fingerprintOnly): Evidence {
  return {
    host: evidence.host,
    address: evidence.address,
    port: evidence.port,
    observedAt: evidence.observedAt,
    connectMs: evidence.connectMs,
    handshakeMs: evidence.handshakeMs,
    protocol: evidence.protocol,
    cipher: evidence.cipher,
    keyExchange: evidence.keyExchange ? { ...evidence.keyExchange } : null,
    authorized: evidence.authorized,
    authorizationError: evidence.authorizationError,
    hostnameError: evidence.hostnameError,
    anchoredInTrustStore: evidence.anchoredInTrustStore,
    transportFailure: evidence.transportFailure ? { ...evidence.transportFailure } : null,
    handshakeFailure: evidence.handshakeFailure ? { ...evidence.handshakeFailure } : null,
    legacyRetry: evidence.legacyRetry ? { ...evidence.legacyRetry } : null,
    weakCrypto: weakCryptoOf(evidence.chain, evidence.keyExchange).map((weakness) => weakness.text),
    findings: certificateFindings(evidence, revocations).map((finding) => finding.code),
    chain: evidence.chain.map(refer),
  };
}

function roleOf(evidence: TlsEvidence, certificate: CertificateEvidence): string {
  return evidence.chain[0] === certificate ? 'the certificate' : 'the chain certificate';
}

/** The CN when there is one, else the whole subject, else (an empty subject) the first subjectAltName. */
function nameOf(certificate: CertificateEvidence): string {
  return certificateLabel(certificate);
}

function issuerOf(certificate: CertificateEvidence): string {
  return certificate.issuerCommonName ?? (certificate.issuer || '(an empty name)');
}

function isTcpFailureCode(code: string): code is ConnectFailureCode {
  return (TCP_CODES as readonly string[]).includes(code) && code !== 'TCP_OK';
}

function quote(name: string): string {
  return `"${name}"`;
}
