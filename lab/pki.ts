// Certificates made at test time for the lab: a look-alike of Microsoft's public hierarchy (same names, the lab's
// own keys, trusted only through --ca-file), the CAs of inspecting devices, and leaves with every defect the tls
// check names. Keys are made once per process and reused: WebCrypto RSA key generation is the slow part.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { keyPair, privateKeyPem, type KeyAlgorithm, type SignatureHash } from './pki-keys.js';
import { authorityExtensions, labCertificate, leafExtensions, nameKey, signCertificate, toName, type LabCertificate, type NameSpec, type RevocationUrls, type Signer, type Validity } from './pki-signing.js';

export type { KeyAlgorithm, SignatureHash } from './pki-keys.js';
export type { LabCertificate, NameSpec, RevocationUrls, Validity } from './pki-signing.js';

x509.cryptoProvider.set(webcrypto);

/** Weak variants of a certificate: an RSA key of other than 2048 bits, a signature over SHA-1. */
export interface Strength {
  /** RSA modulus length; default 2048. Ignored for ECDSA. */
  rsaBits?: number;
  /** The digest of the issuer's signature on this certificate; default SHA-256. */
  signedWith?: SignatureHash;
}

export interface AuthorityOptions extends Strength {
  name: NameSpec;
  keyAlgorithm?: KeyAlgorithm;
  /** URLs placed in this authority's own certificate (those its issuer publishes). */
  revocation?: RevocationUrls;
  /** URLs placed in the leaves this authority issues, unless a leaf names its own. */
  leafRevocation?: RevocationUrls;
}

export interface LeafOptions extends Strength {
  /** DNS names or IP literals for the subjectAltName; the first is the default CN. */
  hosts: readonly string[];
  /** Default: CN = the first host. An empty name is valid with a (then critical) subjectAltName, RFC 5280 4.1.2.6. */
  subject?: NameSpec;
  validity?: Validity;
  revocation?: RevocationUrls;
}

/** A server's certificate with its private key and the authorities above it. */
export interface LabIdentity {
  readonly leaf: LabCertificate;
  /** null for a self-signed leaf. */
  readonly issuer: LabAuthority | null;
  /** PKCS#8 PEM, as node:tls and nginx read it. */
  readonly keyPem: string;
}

/** What a server sends after its leaf: real servers send the intermediates, some the root too, broken ones nothing. */
export interface ChainToSend {
  intermediates: boolean;
  root: boolean;
}


export class LabAuthority {
  private constructor(
    readonly certificate: LabCertificate,
    private readonly signer: Signer,
    /** The authority that signed this one; null for a root. */
    readonly parent: LabAuthority | null,
    private readonly leafRevocation: RevocationUrls | undefined,
  ) {}

  static async root(options: AuthorityOptions): Promise<LabAuthority> {
    const keyAlgorithm = options.keyAlgorithm ?? 'rsa';
    const keys = await keyPair(`authority ${nameKey(options.name)}`, keyAlgorithm, options.rsaBits);
    const self: Signer = { name: toName(options.name), keys, keyAlgorithm };
    const issued = await signCertificate(self, self.name, keys.publicKey, 'current', 'authority', await authorityExtensions(keys.publicKey, options.revocation), options.signedWith);
    return new LabAuthority(labCertificate(issued), self, null, options.leafRevocation);
  }

  get keyAlgorithm(): KeyAlgorithm {
    return this.signer.keyAlgorithm;
  }

  /** An intermediate authority signed by this one. */
  async subordinate(options: AuthorityOptions): Promise<LabAuthority> {
    const keyAlgorithm = options.keyAlgorithm ?? this.keyAlgorithm;
    const keys = await keyPair(`authority ${nameKey(options.name)}`, keyAlgorithm, options.rsaBits);
    const name = toName(options.name);
    const issued = await signCertificate(this.signer, name, keys.publicKey, 'current', 'authority', await authorityExtensions(keys.publicKey, options.revocation), options.signedWith);
    return new LabAuthority(labCertificate(issued), { name, keys, keyAlgorithm }, this, options.leafRevocation);
  }

  /** A server certificate for `hosts`, signed by this authority, with a key shared by all lab leaves of the algorithm. */
  async issueLeaf(options: LeafOptions): Promise<LabIdentity> {
    const keys = await keyPair('leaf', this.keyAlgorithm, options.rsaBits);
    const extensions = await leafExtensions(options.hosts, this.keyAlgorithm, keys.publicKey, options.revocation ?? this.leafRevocation, options.subject?.length === 0);
    const issued = await signCertificate(this.signer, leafSubject(options), keys.publicKey, options.validity ?? 'current', 'leaf', extensions, options.signedWith);
    return { leaf: labCertificate(issued), issuer: this, keyPem: await privateKeyPem(keys.privateKey) };
  }

  /** This authority and those above it, this one first. */
  get lineage(): LabCertificate[] {
    return [this.certificate, ...(this.parent?.lineage ?? [])];
  }

  keyPem(): Promise<string> {
    return privateKeyPem(this.signer.keys.privateKey);
  }
}


/** A leaf that signed itself, as appliances and captive portals present one. */
export async function selfSignedIdentity(options: LeafOptions): Promise<LabIdentity> {
  const keys = await keyPair('self-signed leaf', 'rsa');
  const self: Signer = { name: leafSubject(options), keys, keyAlgorithm: 'rsa' };
  const issued = await signCertificate(self, self.name, keys.publicKey, options.validity ?? 'current', 'leaf', await leafExtensions(options.hosts, 'rsa', keys.publicKey, options.revocation));
  return { leaf: labCertificate(issued), issuer: null, keyPem: await privateKeyPem(keys.privateKey) };
}

/** Leaf, then what `send` asks for from the authorities above it, as one PEM text (what a server configures). */
export function chainPem(identity: LabIdentity, send: ChainToSend): string {
  return chainCertificates(identity, send).map((c) => c.pem).join('');
}

export function chainCertificates(identity: LabIdentity, send: ChainToSend): LabCertificate[] {
  const above = identity.issuer?.lineage ?? [];
  const intermediates = above.slice(0, -1);
  const root = above.slice(-1);
  return [identity.leaf, ...(send.intermediates ? intermediates : []), ...(send.root ? root : [])];
}

/** Files for a real server (nginx ssl_certificate / ssl_certificate_key); returns their paths. */
export async function writeServerFiles(identity: LabIdentity, directory: string, basename: string, send: ChainToSend): Promise<{ certificateFile: string; keyFile: string }> {
  await mkdir(directory, { recursive: true });
  const certificateFile = path.join(directory, `${basename}.crt`);
  const keyFile = path.join(directory, `${basename}.key`);
  await writeFile(certificateFile, chainPem(identity, send));
  await writeFile(keyFile, identity.keyPem, { mode: 0o600 });
  return { certificateFile, keyFile };
}

/** PEM files of an authority: its certificate (for --ca-file), its key, and both in one file (mitmproxy's confdir format). */
export async function writeAuthorityFiles(authority: LabAuthority, directory: string, basename: string): Promise<{ certificateFile: string; keyFile: string; combinedFile: string }> {
  await mkdir(directory, { recursive: true });
  const keyPem = await authority.keyPem();
  const certificateFile = path.join(directory, `${basename}.crt`);
  const keyFile = path.join(directory, `${basename}.key`);
  const combinedFile = path.join(directory, `${basename}.pem`);
  await writeFile(certificateFile, authority.certificate.pem);
  await writeFile(keyFile, keyPem, { mode: 0o600 });
  await writeFile(combinedFile, keyPem + authority.certificate.pem, { mode: 0o600 });
  return { certificateFile, keyFile, combinedFile };
}

/** Text that breaks naive XML, terminals and log parsers: the hostile certificate's names are made of it. */
export const HOSTILE_NAME_TEXT = 'Evil\x00\x07\x1b[31m CA ]]> <script>&amp; & "double" \'single\' \x7f\u202e';

/** The lab's standard hierarchy, made once per process. */
export interface LabPki {
  /** Named as DigiCert Global Root G2, the lab's own key. */
  publicRoot: LabAuthority;
  /** Microsoft Azure RSA TLS Issuing CA 04 under publicRoot, with DigiCert's CRL and OCSP URLs; its leaves carry Microsoft's. */
  publicIssuing: LabAuthority;
  /** Named as DigiCert Global Root G3 (ECDSA). */
  eccRoot: LabAuthority;
  /** Microsoft Azure ECC TLS Issuing CA 04 under eccRoot (ECDSA). */
  eccIssuing: LabAuthority;
  zscalerRoot: LabAuthority;
  /** Zscaler Intermediate Root CA under zscalerRoot: what re-signs intercepted leaves. */
  zscalerIntermediate: LabAuthority;
  /** A corporate CA no vendor pattern knows. */
  corporateRoot: LabAuthority;
  /** O=mitmproxy, CN=mitmproxy, as mitmproxy makes its CA. */
  mitmproxy: LabAuthority;
  /** A CA whose name is HOSTILE_NAME_TEXT. */
  hostile: LabAuthority;
  /** PEM of the roots a lab run trusts through --ca-file: the look-alike public roots, nothing else. */
  trustedRootsPem: string;
}

/** Revocation URLs as Microsoft's leaves and DigiCert's intermediates carry them (the crl/ocsp checks follow them). */
export const LAB_REVOCATION = {
  issuingCa: {
    crl: ['http://crl3.digicert.com/DigiCertGlobalRootG2.crl', 'http://crl4.digicert.com/DigiCertGlobalRootG2.crl'],
    ocsp: ['http://ocsp.digicert.com'],
    caIssuers: ['http://cacerts.digicert.com/DigiCertGlobalRootG2.crt'],
  },
  leaf: {
    crl: ['http://www.microsoft.com/pkiops/crl/Microsoft%20Azure%20RSA%20TLS%20Issuing%20CA%2004.crl'],
    ocsp: ['http://oneocsp.microsoft.com/ocsp'],
    caIssuers: ['http://www.microsoft.com/pkiops/certs/Microsoft%20Azure%20RSA%20TLS%20Issuing%20CA%2004%20-%20xsign.crt'],
  },
} as const satisfies Record<string, RevocationUrls>;

const DIGICERT_NAME = [['C', 'US'], ['O', 'DigiCert Inc'], ['OU', 'www.digicert.com']] as const;
const MICROSOFT_NAME = [['C', 'US'], ['O', 'Microsoft Corporation']] as const;

let standardPki: Promise<LabPki> | undefined;

export function labPki(): Promise<LabPki> {
  return (standardPki ??= createLabPki());
}

async function createLabPki(): Promise<LabPki> {
  const [publicRoot, eccRoot, zscalerRoot, corporateRoot, mitmproxy, hostile] = await Promise.all([
    LabAuthority.root({ name: [...DIGICERT_NAME, ['CN', 'DigiCert Global Root G2']] }),
    LabAuthority.root({ name: [...DIGICERT_NAME, ['CN', 'DigiCert Global Root G3']], keyAlgorithm: 'ecdsa' }),
    LabAuthority.root({ name: [['C', 'US'], ['ST', 'California'], ['L', 'San Jose'], ['O', 'Zscaler Inc.'], ['OU', 'Zscaler Inc.'], ['CN', 'Zscaler Root CA']] }),
    LabAuthority.root({ name: [['C', 'NL'], ['O', 'Contoso Corporation'], ['OU', 'Network Security'], ['CN', 'Contoso Egress Inspection CA']] }),
    LabAuthority.root({ name: [['O', 'mitmproxy'], ['CN', 'mitmproxy']] }),
    LabAuthority.root({ name: [['O', HOSTILE_NAME_TEXT], ['CN', HOSTILE_NAME_TEXT]] }),
  ]);
  const [publicIssuing, eccIssuing, zscalerIntermediate] = await Promise.all([
    publicRoot.subordinate({ name: [...MICROSOFT_NAME, ['CN', 'Microsoft Azure RSA TLS Issuing CA 04']], revocation: LAB_REVOCATION.issuingCa, leafRevocation: LAB_REVOCATION.leaf }),
    eccRoot.subordinate({ name: [...MICROSOFT_NAME, ['CN', 'Microsoft Azure ECC TLS Issuing CA 04']] }),
    zscalerRoot.subordinate({ name: [['C', 'US'], ['ST', 'California'], ['O', 'Zscaler Inc.'], ['OU', 'Zscaler Inc.'], ['CN', 'Zscaler Intermediate Root CA (zscaler.net) (t)']] }),
  ]);
  return {
    publicRoot, publicIssuing, eccRoot, eccIssuing, zscalerRoot, zscalerIntermediate, corporateRoot, mitmproxy, hostile,
    trustedRootsPem: publicRoot.certificate.pem + eccRoot.certificate.pem,
  };
}

/** The leaf's subject: as given, else CN = its first host. */
function leafSubject(options: LeafOptions): x509.Name {
  const [firstHost] = options.hosts;
  if (firstHost === undefined) throw new Error('a lab leaf needs at least one host');
  return toName(options.subject ?? [['CN', firstHost]]);
}
