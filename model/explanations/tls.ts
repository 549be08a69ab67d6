// What the tls and inspection codes mean: the general text behind `preflight explain` and the reports.
import type { InspectionCode, TlsCode } from '../codes.js';
import type { CodeExplanation } from './explanation.js';
import { REQUIREMENT } from './requirements.js';

export const TLS_EXPLANATIONS: Readonly<Record<TlsCode | InspectionCode, CodeExplanation>> = {
  TLS_OK: {
    title: 'the TLS handshake is sound',
    meaning: 'The handshake completed with TLS 1.2 or newer, and the certificate is valid for the host, in date and trusted.',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.tls12,
  },
  TLS_TIMEOUT: {
    title: 'the handshake did not finish in time',
    meaning: 'The connection opened but the TLS handshake did not complete before the deadline.',
    causes: ['a device that holds the connection while it decides (inspection, application control)', 'a server or path that drops large packets (MTU)'],
    change: 'Check devices that inspect or classify TLS on the path for this destination.',
    requirement: REQUIREMENT.port443,
  },
  TLS_HANDSHAKE_FAILED: {
    title: 'the handshake failed',
    meaning: 'The other side ended the handshake with an alert or closed the connection during it.',
    causes: ['a device on the path that refuses the server name (SNI filtering)', 'no protocol version or cipher in common'],
    change: 'Look for SNI or TLS policies on firewalls and proxies on the path that block the host.',
    requirement: REQUIREMENT.port443,
  },
  TLS_PROTOCOL_TOO_OLD: {
    title: 'only an old TLS version is offered',
    meaning: 'The handshake completed only with a protocol older than TLS 1.2.',
    causes: ['a device on the path that terminates TLS with an old configuration', 'an old server in place of the service'],
    change: 'Enable TLS 1.2 or newer on whatever terminates the connection; the agent will not use older versions.',
    requirement: REQUIREMENT.tls12,
  },
  TLS_NOT_TLS: {
    title: 'the port does not speak TLS',
    meaning: 'What answered on the port is not a TLS server (a plain HTTP answer, a banner, nothing readable).',
    causes: ['a captive portal or block page served on 443 in plain text', 'a port map or DNS override that leads elsewhere'],
    change: 'Find what answers on that address and port (the message quotes its first bytes) and let the traffic through to the real service.',
    requirement: REQUIREMENT.port443,
  },
  TLS_CERT_EXPIRED: {
    title: 'the certificate has expired',
    meaning: 'The presented certificate\'s notAfter is in the past (by this machine\'s clock).',
    causes: ['a device on the path presenting its own stale certificate', 'this machine\'s clock running ahead (see the clock check)'],
    change: 'Check the clock first; then find what presents the certificate (its issuer is in the report) and renew or remove it.',
    requirement: REQUIREMENT.trustedCas,
  },
  TLS_CERT_NOT_YET_VALID: {
    title: 'the certificate is not valid yet',
    meaning: 'The presented certificate\'s notBefore is in the future (by this machine\'s clock).',
    causes: ['this machine\'s clock running behind', 'a device issuing certificates with a clock ahead of this one'],
    change: 'Set this machine\'s clock right (NTP); then check the issuer of the certificate.',
    requirement: REQUIREMENT.clock,
  },
  TLS_HOSTNAME_MISMATCH: {
    title: 'the certificate is for another name',
    meaning: 'No subject alternative name of the certificate matches the host that was asked for.',
    causes: ['a block page or captive portal answering with its own certificate', 'a DNS override that leads to another service'],
    change: 'Find which server answered (the certificate names it) and why the name leads there: DNS overrides, a proxy redirect.',
    requirement: REQUIREMENT.trustedCas,
  },
  TLS_UNTRUSTED: {
    title: 'the chain leads to an untrusted root',
    meaning: 'The presented chain does not lead to a root the trust store holds (Node\'s Mozilla roots and --ca-file).',
    causes: ['TLS inspection re-signing with a corporate root (see the inspection check on the same address)', 'a missing intermediate certificate', 'a private cloud or lab whose root was not given with --ca-file'],
    change: 'If a device re-signs the traffic, exempt the host from inspection; otherwise give the root with --ca-file or trust.caFiles.',
    requirement: REQUIREMENT.trustedCas,
  },
  TLS_CERT_REVOKED: {
    title: 'the certificate is revoked',
    meaning: 'The certificate\'s CRL or OCSP responder says it is revoked.',
    causes: ['a device presenting a certificate its own CA has revoked', 'a revoked intermediate still served by an old server'],
    change: 'Find what presents the certificate (its issuer is in the report) and replace it; the agent refuses revoked chains.',
    requirement: REQUIREMENT.trustedCas,
  },
  TLS_WEAK_CRYPTO: {
    title: 'weak keys or signatures',
    meaning: 'The handshake completed, but the chain or the key exchange is weak: RSA or DH under 2048 bits, a SHA-1 or MD5 signature below the root.',
    causes: ['an inspecting device or old server with weak defaults'],
    change: 'Replace the weak certificate or key exchange on whatever terminates TLS (the message names what is weak).',
    requirement: REQUIREMENT.tls12,
  },
  INSPECTION_NONE: {
    title: 'not inspected',
    meaning: 'The presented chain anchors at an expected issuer (by signature or by name): no device re-signed it.',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.noInspection,
  },
  TLS_INSPECTED: {
    title: 'TLS is inspected',
    meaning: 'The presented chain does not lead to an expected issuer: a device on the path terminates TLS and re-signs it with its own CA (named in the evidence when known).',
    causes: ['a secure web gateway or firewall with TLS decryption (Zscaler, Netskope, Palo Alto, Fortinet, …)', 'an endpoint agent that intercepts TLS locally'],
    change: 'Add a do-not-decrypt (bypass) rule for the endpoint\'s domains on the inspecting product; the report shows the issuer it presented next to the expected ones.',
    requirement: REQUIREMENT.noInspection,
  },
};
