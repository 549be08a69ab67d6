// Endpoints of a config or profile: checked and normalised one by one (templates, their {placeholders} still
// open), then planned once the vars of every source are merged. Host names leave here in their ASCII form: an
// internationalised name is converted to punycode once, so every check, id and report uses the same name.
import { isIP, isIPv6 } from 'node:net';
import { domainToASCII, domainToUnicode } from 'node:url';
import type { Expectation, PlannedEndpoint } from './plan.js';
import type { EndpointDetails, EndpointEntry } from './parse-config.js';

/** An endpoint checked and normalised, its host still holding {placeholders}: vars are known only after merging. */
export interface EndpointTemplate extends Omit<PlannedEndpoint, 'host' | 'url' | 'hostOrigin' | 'missingVars' | 'unicodeHost'> {
  /** ASCII (punycode) form, {placeholders} as written. */
  host: string;
  /** For the url form: what goes around the host when the URL is put back together. */
  url: { scheme: string; rest: string } | null;
  sample: string | null;
}

/** Names the key of the endpoint entry at fault (or the entry itself) in a one-line UsageError. */
export type EndpointFail = (reason: string, key?: string) => never;

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9_-]*)\}/g;
/** http(s)://HOST[:PORT][/path…], the host possibly with {placeholders} or a bracketed IPv6 literal. */
const URL_SHAPE = /^(https?):\/\/(\[[0-9A-Fa-f:.]+\]|[^/?#:@[\]]+)((?::\d*)?(?:[/?#].*)?)$/i;
export const HOST_NAME = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*\.?$/;
const ASCII = /^[\x00-\x7f]*$/;

export function endpointTemplate(entry: EndpointEntry, fail: EndpointFail): EndpointTemplate {
  const shape = 'url' in entry ? urlShape(entry.url, entry.expect, fail) : hostShape(entry.host, entry.ports, entry.expect, fail);
  checkHost(shape.host, 'url' in entry ? 'url' : 'host', entry, fail);
  return {
    ...shape,
    purpose: entry.purpose ?? null,
    source: entry.source ?? null,
    tags: entry.tags ?? [],
    optional: entry.optional ?? false,
    wildcard: entry.wildcard ?? null,
    sample: entry.sample ?? null,
  };
}

type EndpointShape = Pick<EndpointTemplate, 'host' | 'url' | 'ports' | 'tlsPorts' | 'expect'>;

function urlShape(url: string, expect: Expectation | undefined, fail: EndpointFail): EndpointShape {
  const match = URL_SHAPE.exec(url);
  if (match === null) return fail('url must be http:// or https://, a host and an optional port and path (no credentials)', 'url');
  const [, scheme = '', written = '', rest = ''] = match;
  const hostPart = asciiHost(written, (reason) => fail(reason, 'url'));
  let parsed: URL;
  try {
    parsed = new URL(`${scheme}://${hostPart.replace(PLACEHOLDER, 'x')}${rest}`);
  } catch {
    return fail(`"${url}" is not a valid URL`, 'url');
  }
  const https = parsed.protocol === 'https:';
  const port = parsed.port === '' ? (https ? 443 : 80) : Number(parsed.port);
  if (port < 1) fail('url port must be 1-65535', 'url');
  if (https && expect !== undefined && expect !== 'tls') fail(`expect: ${expect} needs an http:// URL (https gets the tls check)`, 'expect');
  if (!https && expect === 'tls') fail('expect: tls needs an https:// URL', 'expect');
  return {
    host: hostPart.replace(/^\[(.*)\]$/, '$1'),
    url: { scheme, rest },
    ports: [port],
    tlsPorts: https ? [port] : [],
    expect: expect ?? (https ? 'tls' : parsed.pathname.toLowerCase().endsWith('.crl') ? 'crl' : 'http'),
  };
}

function hostShape(host: string, ports: number[], expect: Expectation | undefined, fail: EndpointFail): EndpointShape {
  if (expect !== undefined && expect !== 'tls') fail(`expect: ${expect} needs a url (host + ports may only say tls)`, 'expect');
  // Only 443 is taken for TLS by default: other ports (5671 AMQP, 8080) say so with expect: tls.
  return { host: asciiHost(host, (reason) => fail(reason, 'host')), url: null, ports, tlsPorts: expect === 'tls' ? ports : ports.filter((port) => port === 443), expect: null };
}

/**
 * The punycode form of an internationalised name (UTS #46, as Node's URL parser does it), label by label so that
 * ASCII labels, {placeholders} among them, keep their spelling. A placeholder inside a non-ASCII label could not
 * be filled after conversion: refused.
 */
function asciiHost(host: string, fail: (reason: string) => never): string {
  if (ASCII.test(host)) return host;
  const labels = host.split('.').map((label) => {
    if (ASCII.test(label)) return label;
    if (/[{}]/.test(label)) return fail(`"${host}": a {placeholder} cannot share a label with non-ASCII characters`);
    const ascii = domainToASCII(label);
    if (ascii === '' || ascii.split('.').some((part) => part.length > 63)) {
      return fail(`"${host}" is not a valid internationalised host name ("${label}" has no IDNA form)`);
    }
    return ascii;
  });
  return labels.join('.');
}

function checkHost(host: string, hostKey: string, entry: EndpointDetails, fail: EndpointFail): void {
  const probe = host.replace(PLACEHOLDER, 'x');
  if (/[{}]/.test(probe)) fail(`"${host}": a placeholder is {name}, the name a letter then letters, digits, '-' or '_'`, hostKey);
  if (!HOST_NAME.test(probe) && isIP(probe) === 0) fail(`"${host}" is not a host name or IP address`, hostKey);
  if (entry.wildcard !== undefined) {
    const suffix = entry.wildcard.slice(1).toLowerCase();
    if (!host.toLowerCase().endsWith(suffix)) fail(`host "${host}" is not under ${entry.wildcard}`, 'wildcard');
    if (entry.sample !== undefined && !entry.sample.toLowerCase().endsWith(suffix)) {
      fail(`sample "${entry.sample}" is not under ${entry.wildcard}`, 'sample');
    }
  }
  if (entry.sample !== undefined && placeholdersOf(host).length === 0) {
    fail('sample only applies to a host with a {placeholder}', 'sample');
  }
}

export function placeholdersOf(host: string): string[] {
  return [...new Set([...host.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ''))];
}

/**
 * A var that no endpoint's placeholder takes is a typo (of the var or of the placeholder), or a leftover: it would
 * leave the endpoint it was meant for untested without a word. `origins` in the order the sources were read.
 */
export function refuseUnusedVars(templates: readonly EndpointTemplate[], origins: ReadonlyArray<{ name: string; fail: (reason: string) => never }>): void {
  const placeholders = [...new Set(templates.flatMap((template) => placeholdersOf(template.host)))];
  const unused = origins.find((origin) => !placeholders.includes(origin.name));
  if (unused === undefined) return;
  unused.fail(`no endpoint has {${unused.name}}; placeholders in this plan: ${placeholders.length > 0 ? placeholders.join(', ') : 'none'}`);
}

export function planEndpoint(template: EndpointTemplate, vars: ReadonlyMap<string, string>): PlannedEndpoint {
  const { url, sample, ...rest } = template;
  const placeholders = placeholdersOf(template.host);
  const missingVars = placeholders.filter((name) => !vars.has(name));
  let host = template.host;
  let hostOrigin: PlannedEndpoint['hostOrigin'] = placeholders.length === 0 ? 'literal' : 'placeholder';
  if (missingVars.length === 0) {
    host = template.host.replace(PLACEHOLDER, (whole, name: string) => vars.get(name) ?? whole);
  } else if (sample !== null) {
    host = sample;
    hostOrigin = 'sample';
  }
  return {
    ...rest,
    host,
    url: url === null ? null : `${url.scheme}://${isIPv6(host) ? `[${host}]` : host}${url.rest}`,
    hostOrigin,
    missingVars: hostOrigin === 'sample' ? [] : missingVars,
    unicodeHost: unicodeFormOf(host),
  };
}

/** The Unicode form of a host with a punycode label, for people to recognise; null for any other host. */
function unicodeFormOf(host: string): string | null {
  if (!host.split('.').some((label) => label.toLowerCase().startsWith('xn--'))) return null;
  const unicode = domainToUnicode(host);
  return unicode === '' || unicode === host.toLowerCase() ? null : unicode;
}
