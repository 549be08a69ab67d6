// The allow-list's formats (`preflight allowlist --format`):
// - text: one FQDN per line, sorted and unique, nothing else: what firewalls' external dynamic lists (Palo Alto
//   EDL, FortiGate external threat feeds, Check Point) fetch. The names only: suffixes are in csv and json, for
//   wildcard rules that a person decides on.
// - csv: a header, then one row per name, suffix and address: type,value,ports,endpoints,names,service_tags; lists
//   inside a cell are separated by spaces. Written by csv-stringify, with formula escaping (a cell starting with
//   = + - @ is never run by a spreadsheet).
// - json: { tool, sources, serviceTags, names, suffixes, addresses, endpoints } as model/allowlist.ts types them.
import { stringify } from 'csv-stringify/sync';
import type { AllowList } from '../model/allowlist.js';
import type { ServiceTagsSource } from '../model/service-tags.js';

export const ALLOWLIST_FORMATS = ['text', 'csv', 'json'] as const;
export type AllowListFormat = (typeof ALLOWLIST_FORMATS)[number];

export interface AllowListMeta {
  toolVersion: string;
  /** The result files it was built from. */
  sources: readonly string[];
  serviceTags: ServiceTagsSource | null;
}

export function renderAllowList(list: AllowList, format: AllowListFormat, meta: AllowListMeta): string {
  switch (format) {
    case 'text':
      return list.names.map((entry) => `${entry.name}\n`).join('');
    case 'csv':
      return renderCsv(list);
    case 'json': {
      const { rejected: _rejected, ...entries } = list;
      return `${JSON.stringify({
        tool: { name: 'egress-preflight', version: meta.toolVersion },
        sources: meta.sources,
        serviceTags: meta.serviceTags,
        ...entries,
      }, null, 2)}\n`;
    }
  }
}

function renderCsv(list: AllowList): string {
  const cell = (values: ReadonlyArray<string | number>) => values.join(' ');
  const tagsCell = (tags: readonly string[] | null) => (tags === null ? '' : tags.length === 0 ? '(none)' : cell(tags));
  const rows = [
    ...list.names.map((n) => ['name', n.name, cell(n.ports), cell(n.endpoints), '', '']),
    ...list.suffixes.map((s) => ['suffix', s.suffix, '', cell(s.endpoints), cell(s.names), '']),
    ...list.addresses.map((a) => ['address', a.address, cell(a.ports), cell(a.endpoints), cell(a.names), tagsCell(a.serviceTags)]),
  ];
  return stringify(rows, { header: true, columns: ['type', 'value', 'ports', 'endpoints', 'names', 'service_tags'], escape_formulas: true, record_delimiter: 'unix' });
}
