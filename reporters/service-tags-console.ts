// The console's service tags section (`--service-tags`): the addresses in no tag first (an IP-based firewall built
// from the tags would block them), then the tagged ones, each with the endpoint hosts that resolved to it. Hosts and
// addresses come from DNS answers: shown escaped.
import { serviceTagsByAddress } from '../model/annotate-service-tags.js';
import type { CheckResult } from '../model/result.js';
import type { ServiceTagsSource } from '../model/service-tags.js';
import { oneLine, terminalSafe } from './text.js';

/** A fleet resolves thousands of addresses: the section shows this many lines, then a count. */
const LINES_SHOWN = 20;

export function renderServiceTagsSection(results: readonly CheckResult[], source: ServiceTagsSource, width = 80): string {
  const tagsOf = serviceTagsByAddress(results);
  const hostsOf = new Map<string, Set<string>>();
  for (const result of results) {
    const addresses = result.check === 'dns' ? dnsAddresses(result) : result.address === null ? [] : [result.address];
    for (const address of addresses) {
      if (!tagsOf.has(address)) continue;
      const hosts = hostsOf.get(address) ?? new Set<string>();
      hosts.add(result.host);
      hostsOf.set(address, hosts);
    }
  }
  // 127.0.1.2 before 127.0.1.10.
  const byAddress = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });
  const untagged = [...tagsOf].filter(([, tags]) => tags.length === 0).map(([address]) => address).sort(byAddress);
  const tagged = [...tagsOf].filter(([, tags]) => tags.length > 0).map(([address]) => address).sort(byAddress);
  const change = source.changeNumber === null ? '' : `, change ${source.changeNumber}`;
  const lines = [
    '',
    `Service tags: ${tagged.length} of ${tagsOf.size} addresses in a tag`,
    `  ${oneLine(shown(`from ${source.file}${source.cloud === '' ? '' : `, cloud ${source.cloud}`}${change}`), width - 2)}`,
  ];
  const line = (address: string, what: string) => {
    const hosts = [...(hostsOf.get(address) ?? [])].sort().join(', ');
    return `  ${oneLine(shown(oneLine(`${address}: ${what} (${hosts})`)), width - 2)}`;
  };
  const rows = [
    ...untagged.map((address) => line(address, 'in no service tag: a firewall built from the tags blocks it')),
    ...tagged.map((address) => line(address, (tagsOf.get(address) ?? []).join(', '))),
  ];
  lines.push(...rows.slice(0, LINES_SHOWN));
  if (rows.length > LINES_SHOWN) lines.push(`  … and ${rows.length - LINES_SHOWN} more addresses (see the JSON report or \`preflight allowlist --service-tags\`)`);
  return `${lines.join('\n')}\n`;
}

function dnsAddresses(result: CheckResult): string[] {
  const tags = result.evidence['serviceTags'];
  return tags !== null && typeof tags === 'object' && !Array.isArray(tags) ? Object.keys(tags) : [];
}

function shown(text: string): string {
  return terminalSafe(text);
}
