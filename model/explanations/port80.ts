// What the http, crl, ocsp, clock and generic codes mean: the general text behind `preflight explain` and the reports.
import type { ClockCode, CrlCode, HttpCode, OcspCode } from '../codes.js';
import type { CodeExplanation } from './explanation.js';
import { REQUIREMENT } from './requirements.js';

type Port80Code = HttpCode | CrlCode | OcspCode | ClockCode | 'SKIPPED_PREREQUISITE';

const BLOCK_PAGE_CAUSES = ['URL filtering or a web policy on a proxy or firewall', 'a captive portal', 'proxy authentication shown as a login page'];

export const PORT80_EXPLANATIONS: Readonly<Record<Port80Code, CodeExplanation>> = {
  HTTP_OK: {
    title: 'the server answers on port 80',
    meaning: 'An HTTP answer arrived from the server and it is not a block page (any status: the path is open).',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.port80,
  },
  HTTP_BLOCK_PAGE: {
    title: 'a block page answered',
    meaning: 'Something answered in place of the server with a page that says the request is blocked (its title and markers are in the report).',
    causes: BLOCK_PAGE_CAUSES,
    change: 'Allow the URL (TCP 80, without authentication) in the web policy of the device that serves the page.',
    requirement: REQUIREMENT.port80,
  },
  HTTP_STATUS: {
    title: 'an unexpected HTTP status',
    meaning: 'The answer\'s status says the request was not served (a proxy error, 403 from a filter, …).',
    causes: ['a proxy or filter answering with an error status', 'a redirect loop'],
    change: 'Check the Server and Via headers in the evidence to see who answered, and allow the URL there.',
    requirement: REQUIREMENT.port80,
  },
  HTTP_TIMEOUT: {
    title: 'no HTTP answer in time',
    meaning: 'The connection opened but no complete answer arrived before the deadline.',
    causes: ['a device that holds plain-HTTP requests (inspection, an overloaded proxy)'],
    change: 'Check the proxy or firewall on the path for plain HTTP to the host.',
    requirement: REQUIREMENT.port80,
  },
  HTTP_REDIRECT_REFUSED: {
    title: 'a redirect the tool will not follow',
    meaning: 'The answer redirected to another scheme, or from a public address to a loopback, link-local or private one.',
    causes: ['a captive portal or filter redirecting to its own page', 'an attempt to reach internal addresses (169.254.169.254)'],
    change: 'Find what redirects (the Location is in the evidence) and let the request through to the real server.',
    requirement: REQUIREMENT.port80,
  },
  CRL_OK: {
    title: 'the CRL is fetched and valid',
    meaning: 'The CRL was fetched over port 80, parses as a DER X.509 CRL, is in date and (when its issuer is known) correctly signed.',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.port80,
  },
  CRL_BLOCK_PAGE: {
    title: 'a block page instead of the CRL',
    meaning: 'A page that says the request is blocked came back instead of the CRL.',
    causes: BLOCK_PAGE_CAUSES,
    change: 'Allow the CRL URL (TCP 80, without authentication) in the web policy of the device that serves the page.',
    requirement: REQUIREMENT.port80,
  },
  CRL_HTTP_STATUS: {
    title: 'the CRL request was not served',
    meaning: 'The CRL URL answered with an error status.',
    causes: ['a proxy or filter answering for the server', 'a stale CRL URL in the configuration'],
    change: 'Use the CRL URLs the live certificates name, and allow them on the proxy or firewall.',
    requirement: REQUIREMENT.port80,
  },
  CRL_MALFORMED: {
    title: 'what came back is not a CRL',
    meaning: 'The body does not parse as a DER X.509 CRL.',
    causes: ['an HTML page or a truncated body from a proxy', 'content rewriting on the path'],
    change: 'Check what the proxy or filter returns for the URL and exempt .crl files from rewriting.',
    requirement: REQUIREMENT.port80,
  },
  CRL_STALE: {
    title: 'the CRL is out of date',
    meaning: 'The CRL\'s nextUpdate has passed (or its thisUpdate is in the future).',
    causes: ['a cache (proxy, CDN) serving an old copy', 'this machine\'s clock is wrong'],
    change: 'Check the clock; then purge the cached copy and cap how long caches keep .crl files.',
    requirement: REQUIREMENT.port80,
  },
  CRL_SIGNATURE_INVALID: {
    title: 'the CRL\'s signature does not verify',
    meaning: 'The CRL is not signed by the certificate it claims as issuer.',
    causes: ['a CRL substituted or altered on the path', 'a CRL URL that serves another CA\'s list'],
    change: 'Find who serves the file (the evidence names the hops) and stop it from substituting content.',
    requirement: REQUIREMENT.port80,
  },
  CRL_TOO_LARGE: {
    title: 'the CRL is larger than allowed',
    meaning: 'The body grew beyond the size the tool reads: no genuine CRL of these CAs is that large.',
    causes: ['an endless or wrong body from a device on the path'],
    change: 'Check what answers for the URL.',
    requirement: REQUIREMENT.port80,
  },
  CRL_TIMEOUT: {
    title: 'the CRL did not arrive in time',
    meaning: 'The CRL fetch did not complete before the deadline.',
    causes: ['a proxy or firewall holding plain-HTTP requests', 'a slow path to the CDN'],
    change: 'Check the path for plain HTTP to the CRL host; the agent waits on the same fetch when it validates certificates.',
    requirement: REQUIREMENT.port80,
  },
  OCSP_OK: {
    title: 'the OCSP responder answers',
    meaning: 'The responder answered a real OCSP request with a successful, signed response.',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.port80,
  },
  OCSP_HTTP_STATUS: {
    title: 'the OCSP request was not served',
    meaning: 'The responder URL answered with an error status.',
    causes: ['a proxy or filter that refuses POST to the responder', 'a block page with an error status'],
    change: 'Allow the OCSP URL, POST included, on the proxy or firewall.',
    requirement: REQUIREMENT.port80,
  },
  OCSP_MALFORMED: {
    title: 'what came back is not an OCSP response',
    meaning: 'The body does not parse as an OCSP response.',
    causes: ['an HTML page from a device on the path'],
    change: 'Check what answers for the responder URL and allow it through.',
    requirement: REQUIREMENT.port80,
  },
  OCSP_UNSUCCESSFUL: {
    title: 'the responder refused the request',
    meaning: 'The responder answered with an OCSP status other than successful (malformedRequest, unauthorized, tryLater, …).',
    causes: ['a responder that does not serve this issuer', 'a device replaying or rewriting responses'],
    change: 'Use the responder the live certificates name; check that nothing rewrites requests on the path.',
    requirement: REQUIREMENT.port80,
  },
  OCSP_TIMEOUT: {
    title: 'no OCSP answer in time',
    meaning: 'The OCSP request did not get a complete answer before the deadline.',
    causes: ['a proxy or firewall holding plain-HTTP requests'],
    change: 'Check the path for plain HTTP to the responder.',
    requirement: REQUIREMENT.port80,
  },
  CLOCK_OK: {
    title: 'the clock agrees with the servers',
    meaning: 'This machine\'s clock agrees with the Date headers of the servers that answered.',
    causes: [],
    change: 'Nothing.',
    requirement: REQUIREMENT.clock,
  },
  CLOCK_SKEW: {
    title: 'the clock is off',
    meaning: 'This machine\'s clock differs from the servers\' Date headers by more than the allowed skew.',
    causes: ['no time synchronisation (NTP blocked or not configured)', 'a virtual machine whose clock drifted'],
    change: 'Synchronise the clock (NTP or the domain\'s time source); certificate and CRL dates are judged by it.',
    requirement: REQUIREMENT.clock,
  },
  SKIPPED_PREREQUISITE: {
    title: 'not run: a prerequisite failed',
    meaning: 'The check did not run because a check it depends on (its DNS name, its connection, its handshake) did not pass. It is never shown as passed.',
    causes: ['the failure of the check it names'],
    change: 'Fix the prerequisite: the report shows the skip under it.',
    requirement: REQUIREMENT.none,
  },
};
