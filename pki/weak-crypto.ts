// Weak cryptography in a completed handshake: finite-field keys (RSA, DSA, DH) under 2048 bits, elliptic curves under
// 224 bits, and SHA-1 or MD5 signatures on any certificate below the root (a root's signature on itself vouches for
// nothing, so its digest does not matter). Thresholds are NIST SP 800-57's 112-bit floor, which is also where
// CAs and Microsoft's endpoints stand. Pure: observed certificates and key exchange in, named weaknesses out.
import { certificateLabel, type CertificateEvidence } from './certificate.js';

export interface Weakness {
  kind: 'key' | 'signature' | 'key-exchange';
  /** Where and what, for a message: 'the leaf "login.example" has a 1024-bit RSA key'. */
  text: string;
  /** The certificate it concerns; null for the key exchange. */
  sha256: string | null;
  /** The certificate is the leaf (OpenSSL says "EE" for it, "CA" for the others). */
  leaf: boolean;
}

export interface KeyExchange {
  type: string;
  name: string | null;
  bits: number | null;
}

const MIN_FINITE_FIELD_BITS = 2048;
const MIN_CURVE_BITS = 224;
const FINITE_FIELD_KEYS: Readonly<Record<string, string>> = { rsa: 'RSA', 'rsa-pss': 'RSA-PSS', dsa: 'DSA', dh: 'DH' };
const WEAK_DIGESTS: Readonly<Record<string, string>> = { md2: 'MD2', md4: 'MD4', md5: 'MD5', sha1: 'SHA-1' };

export function weakCryptoOf(chain: readonly CertificateEvidence[], keyExchange: KeyExchange | null): Weakness[] {
  const weaknesses: Weakness[] = [];
  chain.forEach((certificate, index) => {
    if (certificate.unreadable !== null) return;
    const role = index === 0 ? 'leaf' : isSelfIssuedTop(chain, index) ? 'root' : 'intermediate';
    const where = `the ${role} "${certificateLabel(certificate)}"`;
    const at = { sha256: certificate.sha256, leaf: index === 0 };
    const keyName = FINITE_FIELD_KEYS[certificate.keyType];
    if (keyName && certificate.keyBits !== null && certificate.keyBits < MIN_FINITE_FIELD_BITS) {
      weaknesses.push({ kind: 'key', text: `${where} has a ${certificate.keyBits}-bit ${keyName} key`, ...at });
    } else if (certificate.keyType === 'ec' && certificate.keyBits !== null && certificate.keyBits < MIN_CURVE_BITS) {
      weaknesses.push({ kind: 'key', text: `${where} has a ${certificate.keyBits}-bit EC key (${certificate.curve ?? 'unknown curve'})`, ...at });
    }
    const digest = certificate.signatureDigest === null ? undefined : WEAK_DIGESTS[certificate.signatureDigest];
    if (digest && !isSelfIssuedTop(chain, index)) {
      weaknesses.push({ kind: 'signature', text: `${where} is signed with ${digest} (${certificate.signatureAlgorithm ?? 'unknown algorithm'})`, ...at });
    }
  });
  const exchange = keyExchangeWeakness(keyExchange);
  if (exchange) weaknesses.push({ kind: 'key-exchange', text: exchange, sha256: null, leaf: false });
  return weaknesses;
}

function keyExchangeWeakness(keyExchange: KeyExchange | null): string | null {
  if (!keyExchange || keyExchange.bits === null) return null;
  if (keyExchange.type === 'DH' && keyExchange.bits < MIN_FINITE_FIELD_BITS) return `the server's DHE key exchange uses a ${keyExchange.bits}-bit group`;
  if (keyExchange.type === 'ECDH' && keyExchange.bits < MIN_CURVE_BITS) return `the server's ECDHE key exchange uses ${keyExchange.name ?? 'a curve'} (${keyExchange.bits} bits)`;
  return null;
}

/**
 * The top of the chain signed itself when it names itself as its issuer (the trust store's root, one the server
 * sent, or a lone self-signed leaf): that signature vouches for nothing, so its digest does not matter.
 */
function isSelfIssuedTop(chain: readonly CertificateEvidence[], index: number): boolean {
  const certificate = chain[index];
  return index === chain.length - 1 && certificate !== undefined && certificate.subject !== '' && certificate.subject === certificate.issuer;
}
