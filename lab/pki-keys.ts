// Key material for the lab PKI: key pairs made once per role and reused (WebCrypto RSA generation is the slow
// part), the signing key and algorithm for a digest (SHA-256, or SHA-1 for weak chains), PKCS#8 PEM, serials.
import { webcrypto } from 'node:crypto';

export type KeyAlgorithm = 'rsa' | 'ecdsa';

/** The digest an issuer signs with: SHA-256 as CAs do today, SHA-1 as weak or legacy chains still do. */
export type SignatureHash = 'SHA-256' | 'SHA-1';

const SIGNING_ALGORITHMS: Record<KeyAlgorithm, webcrypto.Algorithm | webcrypto.EcdsaParams> = {
  rsa: { name: 'RSASSA-PKCS1-v1_5' },
  ecdsa: { name: 'ECDSA', hash: 'SHA-256' },
};
const KEY_ALGORITHMS: Record<KeyAlgorithm, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams> = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 },
  ecdsa: { name: 'ECDSA', namedCurve: 'P-256' },
};

/**
 * The key and algorithm for a signature over `hash`. WebCrypto binds an RSA key to one hash at import, so a SHA-1
 * signature needs the same key imported again for SHA-1 (the SHA-256 key would sign over SHA-256 under a SHA-1 OID).
 */
export async function signingWith(keys: webcrypto.CryptoKeyPair, keyAlgorithm: KeyAlgorithm, hash: SignatureHash): Promise<{ signingKey: webcrypto.CryptoKey; signingAlgorithm: webcrypto.Algorithm | webcrypto.EcdsaParams }> {
  if (hash === 'SHA-256') return { signingKey: keys.privateKey, signingAlgorithm: SIGNING_ALGORITHMS[keyAlgorithm] };
  if (keyAlgorithm === 'ecdsa') return { signingKey: keys.privateKey, signingAlgorithm: { name: 'ECDSA', hash } };
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const signingKey = await webcrypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash }, false, ['sign']);
  return { signingKey, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash } as webcrypto.Algorithm };
}

/** 16 random bytes, positive (high bit clear) and without a leading zero byte, as RFC 5280 wants. */
export function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return Buffer.from(bytes).toString('hex');
}

const keyPairs = new Map<string, Promise<webcrypto.CryptoKeyPair>>();

export function keyPair(role: string, algorithm: KeyAlgorithm, rsaBits = 2048): Promise<webcrypto.CryptoKeyPair> {
  const bits = algorithm === 'rsa' ? rsaBits : null;
  const key = `${algorithm} ${bits ?? ''} ${role}`;
  let pending = keyPairs.get(key);
  if (!pending) {
    const params = algorithm === 'rsa' ? { ...KEY_ALGORITHMS.rsa, modulusLength: rsaBits } : KEY_ALGORITHMS[algorithm];
    pending = webcrypto.subtle.generateKey(params, true, ['sign', 'verify']) as Promise<webcrypto.CryptoKeyPair>;
    keyPairs.set(key, pending);
  }
  return pending;
}

export async function privateKeyPem(privateKey: webcrypto.CryptoKey): Promise<string> {
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', privateKey)).toString('base64');
  return `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END PRIVATE KEY-----\n`;
}
