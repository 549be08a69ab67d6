// Microsoft's service tags (`--service-tags ServiceTags_Public_*.json`, the file Microsoft publishes weekly): which
// tags' prefixes contain an address. An IP-based firewall built from the tags allows exactly those prefixes, so an
// address the agent connects to that is in no tag is one such a firewall blocks. The file is read and indexed
// once, before any probe; a file that is not a service tags file is one line and exit 2.
//
// Its documented shape: { changeNumber, cloud, values: [{ name, id, properties: { changeNumber, region, regionId,
// platform, systemService, addressPrefixes: ["20.190.128.0/18", "2603:1006:2000::/48", …], networkFeatures } }] }.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import ipaddr from 'ipaddr.js';
import { UsageError } from '../config/errors.js';
import { PrefixTrie } from './prefix-trie.js';

/** Where the tags came from, as the reports name it. */
export interface ServiceTagsSource {
  /** The file's base name (ServiceTags_Public_20261123.json): a path on the runner means nothing to a reader. */
  file: string;
  cloud: string;
  changeNumber: number | null;
  tags: number;
  prefixes: number;
}

export interface ServiceTagIndex {
  source: ServiceTagsSource;
  /** The names of the tags whose prefixes contain `address`, sorted; [] when none does; null when it is not an IP address. */
  tagsOf(address: string): string[] | null;
}

/** Reads and indexes FILE; a UsageError naming the file when it cannot. */
export function loadServiceTags(file: string): ServiceTagIndex {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--service-tags ${file}: cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseServiceTags(text, file);
}

export function parseServiceTags(text: string, file: string): ServiceTagIndex {
  const fail = (why: string): never => {
    throw new UsageError(`--service-tags ${file}: ${why.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 300)}`);
  };
  let parsed: unknown;
  try {
    // Files saved on Windows may start with a byte order mark.
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(parsed) || !Array.isArray(parsed['values'])) return fail('not a service tags file: it has no "values" list (expected Microsoft\'s ServiceTags_*.json)');
  const v4 = new PrefixTrie<number>(32);
  const v6 = new PrefixTrie<number>(128);
  const names: string[] = [];
  let prefixes = 0;
  parsed['values'].forEach((value, index) => {
    if (!isObject(value) || typeof value['name'] !== 'string' || value['name'] === '') return fail(`values[${index}] has no "name"`);
    const name = value['name'];
    const properties = value['properties'];
    if (!isObject(properties) || !Array.isArray(properties['addressPrefixes'])) return fail(`values[${index}] (${name}) has no "properties.addressPrefixes" list`);
    const tag = names.push(name) - 1;
    for (const prefix of properties['addressPrefixes']) {
      if (typeof prefix !== 'string' || !ipaddr.isValidCIDR(prefix)) return fail(`values[${index}] (${name}): ${JSON.stringify(prefix)} is not an address prefix`);
      const [address, length] = ipaddr.parseCIDR(prefix);
      (address.kind() === 'ipv4' ? v4 : v6).insert(address.toByteArray(), length, tag);
      prefixes++;
    }
  });
  const changeNumber = parsed['changeNumber'];
  const source: ServiceTagsSource = {
    file: basename(file),
    cloud: typeof parsed['cloud'] === 'string' ? parsed['cloud'] : '',
    changeNumber: typeof changeNumber === 'number' ? changeNumber : null,
    tags: names.length,
    prefixes,
  };
  return {
    source,
    tagsOf(text: string): string[] | null {
      if (!ipaddr.isValid(text)) return null;
      // An IPv4-mapped IPv6 address (::ffff:20.190.128.1) is the IPv4 address, as the tags list it.
      const address = ipaddr.process(text);
      const matches = (address.kind() === 'ipv4' ? v4 : v6).match(address.toByteArray());
      return [...new Set(matches.map((tag) => names[tag] ?? ''))].sort();
    },
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
