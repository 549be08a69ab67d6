// What inspection products call themselves: the names their CAs carry by default, and the names forward proxies
// give themselves in Server and Via headers. Facts from shared/reference/endpoints.md, "How inspection shows itself".
import type { InspectionVendor } from '../model/codes.js';

/**
 * Issuer names inspection products use by default (endpoints.md). Every [attribute, text] pair of a pattern must
 * hold in one name, case-insensitively; '*' is any attribute and text matches as a substring. Palo Alto,
 * Check Point and Squid use a CA the administrator names: they show as 'unknown'.
 */
export const VENDOR_NAME_PATTERNS: ReadonlyArray<{ vendor: InspectionVendor; all: ReadonlyArray<readonly [attribute: string, text: string]> }> = [
  { vendor: 'zscaler', all: [['*', 'Zscaler Root CA']] },
  { vendor: 'zscaler', all: [['*', 'Zscaler Intermediate Root CA']] },
  { vendor: 'fortinet', all: [['*', 'Fortinet_CA_SSL']] },
  { vendor: 'fortinet', all: [['*', 'Fortinet_CA_Untrusted']] },
  { vendor: 'fortinet', all: [['O', 'Fortinet']] },
  { vendor: 'cisco-umbrella', all: [['*', 'Cisco Umbrella Root CA']] },
  { vendor: 'cisco-umbrella', all: [['*', 'Cisco Umbrella Primary SubCA']] },
  { vendor: 'sophos', all: [['*', 'SecurityAppliance_SSL_CA']] },
  { vendor: 'mitmproxy', all: [['O', 'mitmproxy'], ['CN', 'mitmproxy']] },
  { vendor: 'netskope', all: [['*', 'Netskope']] },
  { vendor: 'forcepoint', all: [['*', 'Forcepoint']] },
  { vendor: 'skyhigh', all: [['*', 'McAfee Web Gateway']] },
  { vendor: 'skyhigh', all: [['*', 'Skyhigh']] },
  { vendor: 'bluecoat', all: [['*', 'Blue Coat']] },
  { vendor: 'bluecoat', all: [['*', 'ProxySG']] },
  { vendor: 'fiddler', all: [['*', 'DO_NOT_TRUST_FiddlerRoot']] },
  { vendor: 'burp', all: [['*', 'PortSwigger CA']] },
];

/**
 * Products as forward proxies name themselves in Server and Via headers. Through a proxy that re-signs TLS with
 * a CA its administrator named (Squid ssl-bump, Palo Alto, Check Point), this names the product the CA cannot.
 */
const PROXY_PRODUCT_PATTERNS: ReadonlyArray<{ vendor: InspectionVendor; pattern: RegExp }> = [
  { vendor: 'squid', pattern: /\bsquid\b/i },
  { vendor: 'zscaler', pattern: /zscaler/i },
  { vendor: 'bluecoat', pattern: /blue ?coat|proxysg/i },
  { vendor: 'skyhigh', pattern: /mcafee web gateway|skyhigh/i },
  { vendor: 'forcepoint', pattern: /forcepoint|websense/i },
  { vendor: 'fortinet', pattern: /forti(gate|proxy|net)/i },
  { vendor: 'netskope', pattern: /netskope/i },
  { vendor: 'paloalto', pattern: /pan-?os|palo ?alto/i },
  { vendor: 'checkpoint', pattern: /check ?point/i },
  { vendor: 'barracuda', pattern: /barracuda/i },
  { vendor: 'sophos', pattern: /sophos/i },
  { vendor: 'mitmproxy', pattern: /mitmproxy/i },
];

/** The product a proxy's own Server or Via header names, or null. */
export function vendorFromProxyIdentity(headers: ReadonlyArray<string | null>): InspectionVendor | null {
  for (const header of headers) {
    if (header === null) continue;
    const match = PROXY_PRODUCT_PATTERNS.find(({ pattern }) => pattern.test(header));
    if (match) return match.vendor;
  }
  return null;
}
