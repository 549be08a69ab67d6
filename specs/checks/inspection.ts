// inspection: the chain presented on every resolved address of every TLS port anchors, by signature, at an expected
// CA, and not at an inspecting device. Microsoft: "Avoid all forms of inline inspection and termination on
// outbound TLS communications". An expired or misnamed certificate on an expected chain is the tls check's
// finding, not inspection.
import type { InspectionVendor } from '../../model/codes.js';
import type { CheckResult, Evidence } from '../../model/result.js';
import { ParsedCertificate } from '../../pki/certificate.js';
import { assessChain, vendorFromProxyIdentity, type InspectionAssessment } from '../../pki/inspection.js';
import { trustAnchors, type TrustAnchors, type TrustSources } from '../../pki/trust-anchors.js';
import type { TlsEvidence } from '../../probes/tls-evidence.js';
import { fingerprintOnly, type CertificateReferrer } from '../certificate-registry.js';
import { makeResult, skippedFor, type CheckRun, type Verdict } from '../check-run.js';
import type { AddressTarget } from './tcp.js';
import { describeHandshake, tlsCheck } from './tls.js';
import { assessCompleted, chainCompletion, completionEvidence, type ChainCompletion } from './chain-completion.js';
import { runTrustAnchors } from './trust.js';

/** The device to name in remediation, by vendor. */
const INSPECTING_PRODUCTS: Readonly<Record<InspectionVendor, string>> = {
  zscaler: 'Zscaler Internet Access (SSL inspection policy)',
  netskope: 'Netskope (SSL decryption policy)',
  paloalto: 'the Palo Alto Networks firewall (decryption policy)',
  fortinet: 'the FortiGate (SSL/SSH inspection profile)',
  bluecoat: 'Blue Coat ProxySG (SSL interception)',
  'cisco-umbrella': 'Cisco Umbrella (HTTPS inspection)',
  forcepoint: 'Forcepoint (SSL decryption)',
  sophos: 'the Sophos firewall (TLS inspection rules)',
  checkpoint: 'the Check Point gateway (HTTPS inspection)',
  skyhigh: 'Skyhigh / McAfee Web Gateway (SSL scanner)',
  barracuda: 'the Barracuda firewall (SSL inspection)',
  mitmproxy: 'mitmproxy',
  squid: 'Squid (ssl-bump)',
  fiddler: 'Fiddler (HTTPS decryption)',
  burp: 'Burp Suite (proxy listener)',
  unknown: 'the inspecting device',
};

export function inspectionCheck(run: CheckRun, target: AddressTarget): Promise<CheckResult> {
  const subject = target.subject('inspection');
  return run.once(subject, async () => {
    // The tls check carries the dns and tcp prerequisites; a failed tls check may still have captured a chain.
    const tls = await tlsCheck(run, target);
    if (tls.status === 'skip') return skippedFor(subject, tls);
    const evidence = await run.observe.tls(target.host.host, target.address, target.port);
    if (evidence.chain.length === 0) return skippedFor(subject, tls);
    const { completion, assessment } = await inspectionAssessment(run, target.host.host, target.port, evidence);
    return makeResult(subject, judgeInspection(target.port, evidence, assessment), 0, { ...inspectionEvidence(evidence, assessment, run.certificates.refer), expectedIssuers: run.plan.trust.expectedIssuers, ...completionEvidence(completion, run.certificates.refer) });
  });
}

/**
 * Where a presented chain anchors, as the inspection check judges it (also what a user's spec sees): a chain missing
 * its intermediate is assessed as the agent's Windows completes it, from the AIA URL.
 */
export async function inspectionAssessment(run: CheckRun, host: string, port: number, evidence: TlsEvidence): Promise<{ completion: ChainCompletion | null; assessment: InspectionAssessment }> {
  const completion = await chainCompletion(run, evidence);
  const assessment = await namedByProxy(run, host, port, evidence, assessCompleted(completion, runTrustAnchors(run), () => assessObservedOnce(run, evidence)));
  return { completion, assessment };
}

/**
 * An inspected chain behind a proxy whose CA names no product: the proxy re-signed it, and its own Server or Via
 * header may say what it is (Squid ssl-bump's CA is whatever its administrator called it).
 */
async function namedByProxy(run: CheckRun, host: string, port: number, evidence: TlsEvidence, assessment: InspectionAssessment): Promise<InspectionAssessment> {
  const proxyObservation = run.observe.proxy(run.observe.proxyFor(host, port));
  if (!assessment.inspected || assessment.vendor !== 'unknown' || evidence.via === null || !proxyObservation) return assessment;
  const proxy = await proxyObservation;
  const vendor = vendorFromProxyIdentity([proxy.server, proxy.via]);
  if (!vendor) return assessment;
  return { ...assessment, vendor, reason: `${assessment.reason}; the proxy that tunnels it names itself "${proxy.server ?? proxy.via}"` };
}

/** The anchoring decision over an observed chain (which must hold at least the leaf). */
export function assessObserved(evidence: TlsEvidence, trust: TrustSources): InspectionAssessment {
  return assessWith(evidence, trustAnchors(trust));
}

/** assessObserved with the run's trust, once per run for each distinct chain: it comes back from every address behind a CDN. */
function assessObservedOnce(run: CheckRun, evidence: TlsEvidence): InspectionAssessment {
  const key = evidence.chain.map((certificate) => certificate.sha256).join(' ');
  return run.observe.derived.once('inspection assessment', key, () => assessWith(evidence, runTrustAnchors(run)));
}

function assessWith(evidence: TlsEvidence, anchors: TrustAnchors): InspectionAssessment {
  return assessChain(evidence.chain.map((certificate) => ParsedCertificate.fromDer(Buffer.from(certificate.der, 'base64'))), anchors);
}

export function judgeInspection(port: number, evidence: TlsEvidence, assessment: InspectionAssessment): Verdict {
  const where = describeHandshake(evidence, port);
  if (!assessment.inspected) return { status: 'pass', code: 'INSPECTION_NONE', message: `${where}: not inspected: ${assessment.reason}` };
  const vendor = assessment.vendor ?? 'unknown';
  const named = vendor === 'unknown' ? '' : ` (${vendor})`;
  return {
    status: 'fail',
    code: 'TLS_INSPECTED',
    message: `${where}: TLS is inspected: the certificate comes from "${assessment.observedIssuer}"${named}, not from an expected CA: ${assessment.reason}`,
    remediation: `Exempt ${evidence.host} from TLS inspection on ${INSPECTING_PRODUCTS[vendor]} (a do-not-decrypt rule for the host or its domain). Microsoft: "Avoid all forms of inline inspection and termination on outbound TLS communications".`,
  };
}

/**
 * The chain as fingerprints and the path built over it (anchor included), each certificate described by `refer`'s
 * table. A presented link names its position in `chain` (`{source: 'presented', chain: 0}`) rather than repeating
 * the fingerprint `chain` already holds; a link from elsewhere (trust store, --ca-file, AIA) names its fingerprint.
 */
export function inspectionEvidence(evidence: TlsEvidence, assessment: InspectionAssessment, refer: CertificateReferrer = fingerprintOnly): Evidence {
  const chain = evidence.chain.map(refer);
  const pathLink = ({ certificate, source }: InspectionAssessment['path']['links'][number]): Evidence => {
    const position = source === 'presented' ? chain.indexOf(refer(certificate.observed)) : -1;
    return position >= 0 ? { source, chain: position } : { sha256: refer(certificate.observed), source };
  };
  return {
    protocol: evidence.protocol,
    vendor: assessment.vendor,
    observedIssuer: assessment.observedIssuer,
    decidedBy: assessment.decidedBy,
    reason: assessment.reason,
    pathEnd: assessment.path.end.kind,
    path: assessment.path.links.map(pathLink),
    chain,
  };
}
