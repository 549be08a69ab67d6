// The certificates a server presented, as plain data that crosses threads: fingerprints always, each DER only the
// first time its certificate reaches the thread that judges it. A handshake in a probe thread reads the chain there;
// the run's ChainTrust, in the main thread, judges it once per distinct chain. Light on purpose: probe threads load
// this, never the PKI code behind ChainTrust.
import type { X509Certificate } from 'node:crypto';

/**
 * The longest chain followed, by the tls probe through the issuers Node reports and by the path builder: OpenSSL's
 * default verify depth. Real chains have three or four certificates, but a shorter limit than OpenSSL's made a valid
 * 30-certificate chain pass tls (OpenSSL verified it) and look inspected (the path ran out).
 */
export const MAX_CHAIN_DEPTH = 100;

export interface PresentedChain {
  /** SHA-256 fingerprints as X509Certificate.fingerprint256 writes them, leaf first, in the order presented. */
  fingerprints: string[];
  /** Each certificate's DER, or null where the receiver already has it (sent earlier on the same channel). */
  ders: Array<Uint8Array | null>;
}

/**
 * The chain Node reports for a session: the leaf, then its issuers while the peer sent them. `known` says which
 * certificates the receiver already holds; their DER is left out (copying it out of OpenSSL is most of the cost).
 */
export function readPresentedChain(leaf: X509Certificate, known: (fingerprint: string) => boolean): PresentedChain {
  const fingerprints: string[] = [];
  const ders: Array<Uint8Array | null> = [];
  const seen = new Set<string>();
  for (let current: X509Certificate | undefined = leaf; current && fingerprints.length < MAX_CHAIN_DEPTH; current = current.issuerCertificate) {
    const fingerprint = current.fingerprint256;
    // A self-signed certificate is its own issuer: stop rather than loop.
    if (seen.has(fingerprint)) break;
    seen.add(fingerprint);
    fingerprints.push(fingerprint);
    ders.push(known(fingerprint) ? null : current.raw);
  }
  return { fingerprints, ders };
}

/** The DER of every certificate a run's handshakes presented, by fingerprint: what the judging thread holds. */
export class PresentedCertificates {
  private readonly ders = new Map<string, Uint8Array>();

  has(fingerprint: string): boolean {
    return this.ders.has(fingerprint);
  }

  /** Keeps the DERs `chain` carries. Called as each message arrives, in order, before anything reads it. */
  learn(chain: PresentedChain): void {
    chain.fingerprints.forEach((fingerprint, index) => {
      const der = chain.ders[index];
      if (der && !this.ders.has(fingerprint)) this.ders.set(fingerprint, der);
    });
  }

  /** The DER behind `fingerprint`; it was learnt with the chain that first named it. */
  derOf(fingerprint: string): Uint8Array {
    const der = this.ders.get(fingerprint);
    if (!der) throw new Error(`certificate ${fingerprint} was named before its DER arrived`);
    return der;
  }
}
