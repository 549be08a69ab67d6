// A host's DNS resolution drawn hop by hop: each name of the CNAME chain with its registrable suffix, the record
// that leads on with its TTL, down to the addresses; where it broke, the failure and any Extended DNS Error.
import type { CheckResult, Evidence } from '../../model/result.js';
import { codeLink, statusBadge } from './badges.js';
import { html, type Html } from './escape.js';
import { num, obj, objects, text, texts } from './evidence.js';

interface DnsRecord {
  name: string;
  type: string;
  value: string;
  ttl: number | null;
}

/** Addresses a DNS filter answers with in place of the real ones. */
const SINKHOLE_ANSWERS = new Set(['0.0.0.0', '::']);

export function dnsSection(result: CheckResult, explained: ReadonlySet<string>): Html {
  const evidence = result.evidence;
  const records = objects(evidence['chain']).flatMap((record): DnsRecord[] => {
    const name = text(record['name']);
    const type = text(record['type']);
    const value = text(record['value']);
    return name === null || type === null || value === null ? [] : [{ name, type, value, ttl: num(record['ttl']) }];
  });
  const suffixes = texts(evidence['suffixes']);
  const failure = obj(evidence['failure']);
  const resolvers = texts(evidence['resolvers']);
  const purpose = text(evidence['purpose']);
  return html`<div class="dns">
<h4>${statusBadge(result.status)} DNS ${codeLink(result.code, explained)}</h4>
<p class="message">${result.message}</p>
${purpose === null ? '' : html`<p class="purpose">Purpose: ${purpose}${text(evidence['wildcard']) === null ? '' : html` (allow-list entry <code>${text(evidence['wildcard'])}</code>)`}</p>`}
${chainList(result, records, suffixes, failure)}
${ednsErrors(evidence)}
<p class="resolver">${resolvers.length > 0 ? `Resolver: ${resolvers.join(', ')}` : failure !== null && text(failure['resolver']) !== null ? `Resolver: ${text(failure['resolver'])}` : ''}${evidence['resolvedByProxy'] === true ? ' · the proxy resolves this name itself' : ''}${text(evidence['hostsFile']) === null ? '' : ` · from the hosts file ${text(evidence['hostsFile'])}`}</p>
</div>`;
}

function chainList(result: CheckResult, records: readonly DnsRecord[], suffixes: readonly string[], failure: Evidence | null): Html {
  const names: string[] = [];
  const add = (name: string) => {
    if (!names.some((n) => sameName(n, name))) names.push(name);
  };
  add(records[0]?.name ?? result.host);
  for (const record of records) if (record.type === 'CNAME') add(record.value);
  const addresses = texts(result.evidence['addresses']);
  const hops = names.map((name, index) => {
    const leadsOn = records.find((r) => r.type === 'CNAME' && sameName(r.name, name));
    const answers = records.filter((r) => r.type !== 'CNAME' && sameName(r.name, name));
    const last = index === names.length - 1;
    // Addresses from a hosts file or an IP literal have no records: they belong to the last name.
    const bare = last && answers.length === 0 ? addresses.map((value) => ({ name, type: value.includes(':') ? 'AAAA' : 'A', value, ttl: null })) : [];
    return html`<li class="hop"><span class="name">${name}</span>${suffixTag(name, suffixes)}
${[...answers, ...bare].length === 0 ? '' : html`<ul class="answers">${[...answers, ...bare].map((r) => html`<li class="${SINKHOLE_ANSWERS.has(r.value) || result.code === 'DNS_SINKHOLE' ? 'sinkhole' : 'address'}"><span class="rr">${r.type}</span> <span class="value">${r.value}</span>${ttlTag(r.ttl)}</li>`)}</ul>`}
${leadsOn === undefined ? '' : html`<div class="leads"><span class="rr">CNAME</span>${ttlTag(leadsOn.ttl)}</div>`}</li>`;
  });
  // Where the lookup stopped: the name that failed and how (it may be a hop drawn above, or the name itself).
  const failedName = failure === null ? null : text(failure['name']) ?? result.host;
  const detail = failure === null ? null : text(failure['detail']) ?? '';
  // The probe's detail usually starts with the name ("x does not exist"): the name is not said twice.
  const said = failedName !== null && detail !== null && detail.startsWith(failedName) ? detail.slice(failedName.length) : ` ${detail ?? ''}`;
  const broke = failure === null ? '' : html`<li class="hop broken"><span class="name">${failedName}</span> <span class="rr">${text(failure['queryType']) ?? ''}</span>${said} <code>${text(failure['code']) ?? result.code}</code></li>`;
  return html`<ol class="chain" aria-label="resolution of ${result.host}">${hops}${broke}</ol>`;
}

function ttlTag(ttl: number | null): Html | '' {
  return ttl === null ? '' : html` <span class="ttl">TTL ${ttl} s</span>`;
}

/** The longest suffix the dns check recorded that the name ends in: where a firewall rule by domain would go. */
function suffixTag(name: string, suffixes: readonly string[]): Html | '' {
  const lower = name.toLowerCase().replace(/\.$/, '');
  const matching = suffixes.filter((s) => {
    const suffix = s.toLowerCase();
    return lower === suffix || lower.endsWith(`.${suffix}`);
  });
  const longest = matching.sort((a, b) => b.length - a.length)[0];
  return longest === undefined ? '' : html` <span class="suffix" title="registrable suffix">${longest}</span>`;
}

function sameName(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\.$/, '') === b.toLowerCase().replace(/\.$/, '');
}

/** Extended DNS Errors (RFC 8914): often the filter's own words on why it blocked the name. */
function ednsErrors(evidence: Evidence): Html | '' {
  const entries = objects(evidence['ede']);
  if (entries.length === 0) return '';
  return html`<ul class="ede">${entries.map((e) => html`<li>Extended DNS Error ${num(e['code']) ?? '?'} (${text(e['name']) ?? 'unknown'})${text(e['text']) ? html`: <q>${text(e['text'])}</q>` : ''}</li>`)}</ul>`;
}
