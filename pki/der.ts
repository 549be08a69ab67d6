// A small DER (X.690) reader and writer: what OCSP requests and responses and a CRL scan need, nothing more.
// Written here rather than taken from node-forge (binary strings, loose types) or @peculiar/x509 (its asn1js tree
// costs about a second per 500 kB of CRL and refuses a CRL of 2,000 entries under its default node limit): this
// one reads a 20 MB CRL in a linear pass of slices over one Buffer. Everything read is hostile input: each
// length is checked against what encloses it, and a malformed encoding throws DerError, never anything else.

export class DerError extends Error {}

/** One TLV. Single-byte identifiers only: every tag in certificates, CRLs and OCSP is below 31. */
export interface DerNode {
  tag: number;
  /** Identifier, length and content: what a signature covers. */
  encoded: Buffer;
  content: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const CONSTRUCTED = 0x20;

/** [n] of a context-specific tag: constructed for EXPLICIT tagging and IMPLICIT SEQUENCEs, primitive otherwise. */
export function contextTag(n: number, constructed = true): number {
  return (constructed ? 0xa0 : 0x80) | n;
}

/** The one element that `buffer` holds; trailing bytes are an error. */
export function decodeDer(buffer: Buffer): DerNode {
  const node = readNode(buffer, 0);
  if (node.encoded.length !== buffer.length) throw new DerError(`${buffer.length - node.encoded.length} bytes after the DER element`);
  return node;
}

function readNode(buffer: Buffer, offset: number): DerNode {
  const tag = buffer[offset];
  if (tag === undefined) throw new DerError('truncated: no identifier');
  if ((tag & 0x1f) === 0x1f) throw new DerError(`multi-byte tag at offset ${offset}: not used in these structures`);
  const first = buffer[offset + 1];
  if (first === undefined) throw new DerError('truncated: no length');
  let length = first;
  let headerLength = 2;
  if (first & 0x80) {
    const lengthBytes = first & 0x7f;
    // 0x80 is BER's indefinite length, which DER forbids; four length bytes already allow 4 GB.
    if (lengthBytes === 0 || lengthBytes > 4) throw new DerError(`unsupported length encoding 0x${first.toString(16)} at offset ${offset}`);
    if (offset + 2 + lengthBytes > buffer.length) throw new DerError('truncated: length');
    length = buffer.readUIntBE(offset + 2, lengthBytes);
    headerLength += lengthBytes;
  }
  const end = offset + headerLength + length;
  if (end > buffer.length) throw new DerError(`truncated: an element at offset ${offset} claims ${length} bytes, ${buffer.length - offset - headerLength} remain`);
  return { tag, encoded: buffer.subarray(offset, end), content: buffer.subarray(offset + headerLength, end) };
}

/** The elements inside a constructed one, read lazily: a CRL's million entries are never all in memory as nodes. */
export function* childrenOf(node: DerNode): Generator<DerNode> {
  if (!(node.tag & CONSTRUCTED)) throw new DerError(`tag 0x${node.tag.toString(16)} is not constructed`);
  for (let offset = 0; offset < node.content.length;) {
    const child = readNode(node.content, offset);
    offset += child.encoded.length;
    yield child;
  }
}

/**
 * Reads a SEQUENCE's fields in order: `take(tag)` returns the next element when it has that tag (optional fields),
 * `require(tag, what)` insists on it, `rest()` is what remains.
 */
export class FieldReader {
  private readonly fields: DerNode[];
  private position = 0;

  constructor(node: DerNode, private readonly what: string) {
    this.fields = [...childrenOf(node)];
  }

  take(tag: number): DerNode | undefined {
    const next = this.fields[this.position];
    if (next?.tag !== tag) return undefined;
    this.position++;
    return next;
  }

  require(tag: number, field: string): DerNode {
    const next = this.take(tag);
    if (next) return next;
    const found = this.fields[this.position];
    throw new DerError(`${this.what}: ${field} missing (${found ? `found tag 0x${found.tag.toString(16)}` : 'no more fields'})`);
  }

  /** Either of two tags (Time is a CHOICE of UTCTime and GeneralizedTime). */
  requireOneOf(tags: readonly number[], field: string): DerNode {
    for (const tag of tags) {
      const next = this.take(tag);
      if (next) return next;
    }
    return this.require(tags[0] ?? -1, field);
  }
}

export function expectTag(node: DerNode, tag: number, what: string): DerNode {
  if (node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

/** The one element inside an EXPLICIT tag. */
export function explicitContent(node: DerNode, what: string): DerNode {
  const [inner, extra] = childrenOf(node);
  if (!inner || extra) throw new DerError(`${what}: an explicit tag must hold exactly one element`);
  return inner;
}

export function readOid(node: DerNode): string {
  expectTag(node, TAG.OID, 'object identifier');
  const arcs: number[] = [];
  let value = 0;
  for (const byte of node.content) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const last = node.content[node.content.length - 1];
  if (last === undefined || last & 0x80) throw new DerError('truncated object identifier');
  const [first] = arcs;
  if (first === undefined) throw new DerError('empty object identifier');
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** An INTEGER as upper-case hex without leading zeros, the way serial numbers are compared. */
export function readIntegerHex(node: DerNode): string {
  if (node.content.length === 0) throw new DerError('empty integer');
  return normalizeSerial(node.content.toString('hex'));
}

/** A small non-negative INTEGER or ENUMERATED (versions, status codes, reasons). */
export function readSmallInteger(node: DerNode): number {
  if (node.content.length === 0 || node.content.length > 4) throw new DerError(`integer of ${node.content.length} bytes where a small one was due`);
  return node.content.readUIntBE(0, node.content.length);
}

/** Serial numbers compare as hex digits, whatever case and leading zeros a source writes them with. */
export function normalizeSerial(hex: string): string {
  return hex.toUpperCase().replace(/^0+(?=.)/, '');
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{1,9})?Z$/;

/** UTCTime (years 1950–2049, RFC 5280) or GeneralizedTime, both in UTC as DER requires. */
export function readTime(node: DerNode): Date {
  const text = node.content.toString('latin1');
  let parts: RegExpExecArray | null;
  let year: number;
  if (node.tag === TAG.UTC_TIME && (parts = UTC_TIME.exec(text))) {
    const yy = Number(parts[1]);
    year = yy < 50 ? 2000 + yy : 1900 + yy;
  } else if (node.tag === TAG.GENERALIZED_TIME && (parts = GENERALIZED_TIME.exec(text))) {
    year = Number(parts[1]);
  } else {
    throw new DerError(`not a DER time: ${JSON.stringify(text.slice(0, 24))}`);
  }
  const [month, day, hour, minute, second] = parts.slice(2, 7).map(Number) as [number, number, number, number, number];
  const milliseconds = parts[7] ? Math.round(Number(`0${parts[7]}`) * 1000) : 0;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, milliseconds));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw new DerError(`not a calendar date: ${text}`);
  return date;
}

/** The bytes of a BIT STRING that holds whole bytes (keys, signatures). */
export function readBitStringBytes(node: DerNode): Buffer {
  expectTag(node, TAG.BIT_STRING, 'bit string');
  if (node.content[0] !== 0) throw new DerError('bit string with unused bits where whole bytes were due');
  return node.content.subarray(1);
}

// ---------------------------------------------------------------------------------------------------------
// Writing

export function encodeDer(tag: number, ...content: readonly Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function derSequence(...items: readonly Buffer[]): Buffer {
  return encodeDer(TAG.SEQUENCE, ...items);
}

export function derOid(text: string): Buffer {
  const [first = 0, second = 0, ...rest] = text.split('.').map(Number);
  const bytes: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const group = [arc % 128];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) group.unshift((value % 128) | 0x80);
    bytes.push(...group);
  }
  return encodeDer(TAG.OID, Buffer.from(bytes));
}

export function derEnumerated(value: number): Buffer {
  return encodeDer(TAG.ENUMERATED, Buffer.from([value]));
}

export function derOctetString(bytes: Buffer): Buffer {
  return encodeDer(TAG.OCTET_STRING, bytes);
}

export function derBitString(bytes: Buffer): Buffer {
  return encodeDer(TAG.BIT_STRING, Buffer.from([0]), bytes);
}

export function derNull(): Buffer {
  return encodeDer(TAG.NULL);
}

/** GeneralizedTime to the second, as RFC 5280 and RFC 6960 want it. */
export function derGeneralizedTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return encodeDer(TAG.GENERALIZED_TIME, Buffer.from(text, 'latin1'));
}

export function derExplicit(n: number, inner: Buffer): Buffer {
  return encodeDer(contextTag(n), inner);
}
