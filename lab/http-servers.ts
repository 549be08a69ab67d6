// What can answer on a lab port 80: CRLs (fresh, stale, corrupt, oversized, dripped past the deadline, endless),
// pages a proxy or firewall answers with (a block page with status 200, 403, 451, 407), redirects (a loop, to another
// name), a server that never answers, and an OCSP responder that answers for a lab authority's certificates with
// real, signed RFC 6960 responses. One server per address, a fixture per path. Loopback only.
import { createHash, sign } from 'node:crypto';
import http from 'node:http';
import {
  childrenOf, contextTag, decodeDer, derBitString, derEnumerated, derExplicit, derGeneralizedTime, derNull, derOctetString, derOid, derSequence,
  encodeDer, FieldReader, normalizeSerial, readIntegerHex, TAG, type DerNode,
} from '../pki/der.js';
import { certificateFields } from '../pki/pkix.js';
import { listenTracked } from './loopback.js';
import type { LabAuthority } from './pki.js';

export type HttpFixture =
  /** A whole answer at once. Headers may override the server's own (a Date from a skewed clock). */
  | { kind: 'body'; status?: number; contentType: string; body: Buffer | string; headers?: Readonly<Record<string, string>> }
  /** `body` a few bytes at a time: the headers come at once, the body long after any deadline. */
  | { kind: 'drip'; contentType: string; body: Buffer; bytesPerTick: number; intervalMs: number }
  /** `totalBytes` of filler as fast as the client reads, with or without a Content-Length; 'endless' never ends. */
  | { kind: 'stream'; contentType: string; totalBytes: number | 'endless'; declareLength: boolean }
  | { kind: 'redirect'; status: 301 | 302 | 307 | 308; location: string }
  /** Reads the request and never answers. */
  | { kind: 'hang' }
  | { kind: 'ocsp'; responder: LabOcspResponder };

export interface LabHttpServer {
  host: string;
  port: number;
  /** Every request received, in order: what shows that each URL is fetched once. */
  requests: Array<{ method: string; path: string }>;
  /** http://host:port/path: where a fixture of this server answers. */
  url(path: string): string;
  close(): Promise<void>;
}

/** Serves `routes` (by path) on host:port; any other path gets a plain 404. */
export async function startHttpFixtures(host: string, port: number, routes: Readonly<Record<string, HttpFixture>>): Promise<LabHttpServer> {
  const requests: LabHttpServer['requests'] = [];
  const server = http.createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://lab').pathname;
    requests.push({ method: request.method ?? '', path });
    const fixture = routes[path];
    void answer(fixture, request, response).catch(() => response.destroy());
  });
  // Clients that give up mid-answer (the probes' deadlines and caps) must not crash the lab: listenTracked sees to it.
  const fixture = await listenTracked(server, host, port);
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${fixture.port}`;
  return { ...fixture, requests, url: (path) => `${origin}${path}` };
}

async function answer(fixture: HttpFixture | undefined, request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
  switch (fixture?.kind) {
    case undefined:
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    case 'body':
      response.writeHead(fixture.status ?? 200, { 'content-type': fixture.contentType, ...fixture.headers }).end(fixture.body);
      return;
    case 'redirect':
      response.writeHead(fixture.status, { location: fixture.location, 'content-type': 'text/plain' }).end('moved\n');
      return;
    case 'hang':
      request.resume();
      return;
    case 'drip':
      return drip(response, fixture.contentType, fixture.body, fixture.bytesPerTick, fixture.intervalMs);
    case 'stream':
      return stream(response, fixture.contentType, fixture.totalBytes, fixture.declareLength);
    case 'ocsp': {
      const body = await readRequestBody(request);
      response.writeHead(200, { 'content-type': 'application/ocsp-response' }).end(fixture.responder.respond(body));
      return;
    }
  }
}

async function drip(response: http.ServerResponse, contentType: string, body: Buffer, bytesPerTick: number, intervalMs: number): Promise<void> {
  response.writeHead(200, { 'content-type': contentType, 'content-length': String(body.length) });
  response.flushHeaders();
  for (let offset = 0; offset < body.length && !response.destroyed; offset += bytesPerTick) {
    response.write(body.subarray(offset, offset + bytesPerTick));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  response.end();
}

/** Zero bytes: binary, as an oversized CRL is (a text filler would read as a page). */
const FILLER = Buffer.alloc(64 * 1024);

/** Writes as fast as the client reads (waiting for 'drain'), so the lab itself never buffers the whole body. */
async function stream(response: http.ServerResponse, contentType: string, totalBytes: number | 'endless', declareLength: boolean): Promise<void> {
  response.writeHead(200, { 'content-type': contentType, ...(declareLength && totalBytes !== 'endless' ? { 'content-length': String(totalBytes) } : {}) });
  let sent = 0;
  while ((totalBytes === 'endless' || sent < totalBytes) && !response.destroyed) {
    const chunk = totalBytes === 'endless' ? FILLER : FILLER.subarray(0, Math.min(FILLER.length, totalBytes - sent));
    sent += chunk.length;
    if (!response.write(chunk)) await drained(response);
  }
  response.end();
}

/** Until the client has read what was written, or gone. */
function drained(response: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}

/** OCSP requests are a few hundred bytes; more is not one. */
const MAX_REQUEST_BYTES = 64 * 1024;

async function readRequestBody(request: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A page that a proxy or firewall answers with, naming its product and policy the way real ones do. */
export function blockPageHtml(title: string, product: string): string {
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head>\n<body><h1>${title}</h1>\n`
    + `<p>Access to the web page you were trying to visit has been blocked in accordance with company policy.</p>\n`
    + `<p>Category: Uncategorized. Contact your network administrator. ${product}</p></body></html>\n`;
}

// ---------------------------------------------------------------------------------------------------------
// The OCSP responder

/** What the responder says about a certificate (RFC 6960 CertStatus). */
export type LabCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason?: number }
  | { status: 'unknown' };

export interface LabOcspOptions {
  /** The authority whose certificates the responder answers for; it signs the responses itself. */
  authority: LabAuthority;
  /** By serial (hex, as Node writes it); unlisted serials are 'good'. */
  statuses?: ReadonlyMap<string, LabCertStatus>;
  /** Answer every request with this OCSPResponseStatus instead (3 tryLater, 6 unauthorized, …). */
  unsuccessful?: number;
  /** Sign with this authority's key instead: a signature that does not verify. */
  signedBy?: LabAuthority;
  /** Default: an hour ago. */
  thisUpdate?: Date;
  /** Default: a day after thisUpdate; null leaves it out. */
  nextUpdate?: Date | null;
}

export interface LabOcspResponder {
  respond(requestDer: Buffer): Buffer;
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const BASIC_RESPONSE = '1.3.6.1.5.5.7.48.1.1';

/** A responder whose answers are signed with the lab authority's key (loaded once, before the first request). */
export async function labOcspResponder(options: LabOcspOptions): Promise<LabOcspResponder> {
  const signer = options.signedBy ?? options.authority;
  const keyPem = await signer.keyPem();
  const issuer = certificateFields(options.authority.certificate.der);
  const issuerKeyHash = createHash('sha1').update(issuer.publicKeyBits).digest();
  const algorithm = derSequence(...(signer.keyAlgorithm === 'rsa' ? [derOid(SHA256_WITH_RSA), derNull()] : [derOid(ECDSA_WITH_SHA256)]));
  const statuses = new Map([...(options.statuses ?? [])].map(([serial, status]) => [normalizeSerial(serial), status] as const));
  return {
    respond(requestDer) {
      if (options.unsuccessful !== undefined) return responseWithStatus(options.unsuccessful);
      let certIds: DerNode[];
      try {
        certIds = requestedCertIds(requestDer);
      } catch {
        return responseWithStatus(1); // malformedRequest
      }
      // A request about another authority's certificates is not ours to answer.
      if (certIds.some((certId) => !certIdField(certId, 2).equals(issuerKeyHash))) return responseWithStatus(6);
      const thisUpdate = options.thisUpdate ?? new Date(Date.now() - 3_600_000);
      const nextUpdate = options.nextUpdate === undefined ? new Date(thisUpdate.getTime() + 86_400_000) : options.nextUpdate;
      const singles = certIds.map((certId) => derSequence(
        certId.encoded,
        certStatus(statuses.get(readIntegerHex(childAt(certId, 3))) ?? { status: 'good' }),
        derGeneralizedTime(thisUpdate),
        ...(nextUpdate ? [derExplicit(0, derGeneralizedTime(nextUpdate))] : []),
      ));
      const responseData = derSequence(derExplicit(2, derOctetString(issuerKeyHash)), derGeneralizedTime(new Date()), derSequence(...singles));
      const basic = derSequence(responseData, algorithm, derBitString(sign('sha256', responseData, keyPem)));
      return derSequence(derEnumerated(0), derExplicit(0, derSequence(derOid(BASIC_RESPONSE), derOctetString(basic))));
    },
  };
}

function responseWithStatus(status: number): Buffer {
  return derSequence(derEnumerated(status));
}

/** The CertID of every Request in an OCSPRequest. */
function requestedCertIds(requestDer: Buffer): DerNode[] {
  const request = new FieldReader(decodeDer(requestDer), 'OCSPRequest');
  const tbs = new FieldReader(request.require(TAG.SEQUENCE, 'tbsRequest'), 'TBSRequest');
  tbs.take(contextTag(0));
  tbs.take(contextTag(1));
  return [...childrenOf(tbs.require(TAG.SEQUENCE, 'requestList'))].map((item) => new FieldReader(item, 'Request').require(TAG.SEQUENCE, 'reqCert'));
}

function childAt(node: DerNode, index: number): DerNode {
  const child = [...childrenOf(node)][index];
  if (!child) throw new Error(`no field ${index} in the CertID`);
  return child;
}

function certIdField(certId: DerNode, index: number): Buffer {
  return childAt(certId, index).content;
}

function certStatus(status: LabCertStatus): Buffer {
  switch (status.status) {
    case 'good':
      return encodeDer(contextTag(0, false));
    case 'unknown':
      return encodeDer(contextTag(2, false));
    case 'revoked':
      return encodeDer(contextTag(1), derGeneralizedTime(status.revokedAt), ...(status.reason === undefined ? [] : [derExplicit(0, derEnumerated(status.reason))]));
  }
}
