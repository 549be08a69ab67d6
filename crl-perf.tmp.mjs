import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
x509.cryptoProvider.set(globalThis.crypto);
const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1,0,1]), modulusLength: 2048 };
const keys = await crypto.subtle.generateKey(alg, true, ['sign','verify']);
const n = Number(process.argv[2] ?? 50000);
let t = performance.now();
const entries = Array.from({ length: n }, (_, i) => ({ serialNumber: (0x100000 + i).toString(16).padStart(32, '4'), revocationDate: new Date(), reason: x509.X509CrlReason.keyCompromise }));
const crl = await x509.X509CrlGenerator.create({ issuer: 'CN=Test CA', thisUpdate: new Date(), nextUpdate: new Date(Date.now()+86400e3), entries, signingKey: keys.privateKey, signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5' } });
console.log('gen', performance.now() - t, 'bytes', crl.rawData.byteLength);
const der = Buffer.from(crl.rawData);
t = performance.now();
try {
  const parsed = new x509.X509Crl(der);
  console.log('parse default', performance.now() - t, parsed.thisUpdate);
  t = performance.now();
  console.log('find', parsed.findRevoked((0x100000 + 5).toString(16).padStart(32, '4'))?.reason, performance.now() - t);
  t = performance.now();
  console.log('entries', parsed.entries.length, performance.now() - t);
} catch (e) { console.log('default failed', e.message, performance.now() - t); }
t = performance.now();
const parsed2 = new x509.X509Crl(der, { berOptions: { maxNodes: der.length, maxContentLength: der.length } });
console.log('parse big', performance.now() - t);
t = performance.now();
console.log('find', parsed2.findRevoked((0x100000 + n - 1).toString(16).padStart(32, '4'))?.reason, performance.now() - t);
t = performance.now();
console.log('verify', await parsed2.verify({ publicKey: keys.publicKey }), performance.now() - t);
console.log('rss', process.memoryUsage().rss / 1e6);
