// Extended DNS Errors (RFC 8914): EDNS option 15, an info code and free text from the resolver. dns-packet hands
// option 15 over as raw bytes, so it is read here. The text is the server's and may be hostile: it is decoded
// leniently, stripped of anything a terminal or a report would act on, and capped, so it stays data.

/** The EDNS option code of an Extended DNS Error. */
export const EDE_OPTION_CODE = 15;
/** Longest EXTRA-TEXT kept, in characters: enough for a filter's category and policy name. */
export const EDE_TEXT_MAX_CHARS = 160;
/** EDE options kept per answer: a resolver has no reason to send more, a hostile one might send hundreds. */
export const EDE_MAX_PER_ANSWER = 8;

export interface ExtendedDnsError {
  /** The INFO-CODE. */
  code: number;
  /** Its name in the IANA registry ("Blocked"), or a description of an unassigned code. */
  name: string;
  /** The EXTRA-TEXT, sanitised; empty when the resolver sent none. */
  text: string;
}

// IANA "Extended DNS Error Codes" (RFC 8914, RFC 9250 … RFC 9824).
const REGISTRY: readonly string[] = [
  'Other Error', 'Unsupported DNSKEY Algorithm', 'Unsupported DS Digest Type', 'Stale Answer', 'Forged Answer',
  'DNSSEC Indeterminate', 'DNSSEC Bogus', 'Signature Expired', 'Signature Not Yet Valid', 'DNSKEY Missing',
  'RRSIGs Missing', 'No Zone Key Bit Set', 'NSEC Missing', 'Cached Error', 'Not Ready', 'Blocked', 'Censored',
  'Filtered', 'Prohibited', 'Stale NXDomain Answer', 'Not Authoritative', 'Not Supported', 'No Reachable Authority',
  'Network Error', 'Invalid Data', 'Signature Expired before Valid', 'Too Early', 'Unsupported NSEC3 Iterations Value',
  'Unable to conform to policy', 'Synthesized', 'Invalid Query Type',
];
const PRIVATE_USE_FROM = 49152;

/**
 * Codes by which a resolver says its policy kept the real answer back: Blocked (15), Censored (16), Filtered (17),
 * and Forged Answer (4), which a filter sends with the address of its block page. Prohibited (18) is not one:
 * RFC 8914 gives it to a server refusing an unauthorised client, whatever the name.
 */
export const POLICY_EDE_CODES: ReadonlySet<number> = new Set([4, 15, 16, 17]);
export const EDE_PROHIBITED = 18;

export function edeName(code: number): string {
  const name = REGISTRY[code];
  if (name !== undefined) return name;
  return code >= PRIVATE_USE_FROM ? 'private use' : 'unassigned';
}

/** The EDE options among an OPT record's options, as dns-packet decodes them ({ code, data }). */
export function readExtendedErrors(options: ReadonlyArray<{ code?: unknown; data?: unknown }>): ExtendedDnsError[] {
  const errors: ExtendedDnsError[] = [];
  for (const option of options) {
    if (errors.length >= EDE_MAX_PER_ANSWER) break;
    if (option.code !== EDE_OPTION_CODE || !Buffer.isBuffer(option.data)) continue;
    const parsed = parseExtendedError(option.data);
    if (parsed) errors.push(parsed);
  }
  return errors;
}

/** INFO-CODE (2 bytes) then EXTRA-TEXT (UTF-8, the rest); null when there are not even the 2 bytes. */
export function parseExtendedError(data: Buffer): ExtendedDnsError | null {
  if (data.length < 2) return null;
  const code = data.readUInt16BE(0);
  return { code, name: edeName(code), text: sanitiseServerText(data.subarray(2)) };
}

// C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text (bidi overrides,
// isolates, zero-width joiners, BOM): each could make a terminal or a report show something else than was sent.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/gu;

/** Server text as one plain line: lenient UTF-8, unsafe characters as spaces, whitespace folded, capped. */
export function sanitiseServerText(bytes: Buffer): string {
  // Decode no more than could survive the cap (a UTF-8 character is at most 4 bytes).
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, EDE_TEXT_MAX_CHARS * 4 + 4));
  const folded = text.replace(UNSAFE, ' ').replace(/\s+/gu, ' ').trim();
  const chars = [...folded];
  return chars.length > EDE_TEXT_MAX_CHARS || bytes.length > EDE_TEXT_MAX_CHARS * 4 + 4
    ? `${chars.slice(0, EDE_TEXT_MAX_CHARS).join('')}…`
    : folded;
}

/** "Extended DNS Error 15 (Blocked): "text"", for messages. */
export function describeExtendedError(error: ExtendedDnsError): string {
  return `Extended DNS Error ${error.code} (${error.name})${error.text ? `: "${error.text}"` : ''}`;
}
