// What @peculiar/x509 reads of a certificate beyond Node's X509Certificate: the names as attributes (raw values,
// for vendor patterns and display) and the extensions reports show (subjectAltName, CRL distribution points,
// Authority Information Access). Each extension is read on its own: one that does not parse hides no other.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { describeError } from '../model/evidence-text.js';

export interface NameAttribute {
  /** Short name (CN, O, OU, C, …) or the dotted OID when there is none. */
  type: string;
  value: string;
}

export type ExtensionFields = {
  /** "DNS:host", "IP:address", "URI:…", "email:…". */
  subjectAltNames: string[];
  /** CRL Distribution Points (full names that are URIs). */
  crlUrls: string[];
  /** Authority Information Access: OCSP responders. */
  ocspUrls: string[];
  /** Authority Information Access: where the issuer's certificate can be fetched. */
  caIssuersUrls: string[];
  /** Extensions that could not be read, with the reason: the fields above then lack what they held. */
  unreadableExtensions: string[];
};

export interface Structure {
  subjectAttributes: NameAttribute[];
  issuerAttributes: NameAttribute[];
  extensions: ExtensionFields;
}

export function readStructure(der: Buffer): Structure {
  try {
    const structured = new x509.X509Certificate(der);
    return { subjectAttributes: nameAttributes(structured.subjectName), issuerAttributes: nameAttributes(structured.issuerName), extensions: readExtensions(structured) };
  } catch (error) {
    // OpenSSL accepted the certificate, @peculiar/x509 did not: names then match only by Node's text.
    return { subjectAttributes: [], issuerAttributes: [], extensions: { ...noExtensions(), unreadableExtensions: [`all: ${describeError(error)}`] } };
  }
}

function nameAttributes(name: x509.Name): NameAttribute[] {
  return name.toJSON().flatMap((rdn) => Object.entries(rdn).flatMap(([type, values]) => values.map((value) => ({ type, value }))));
}

const GENERAL_NAME_PREFIX: Readonly<Record<string, string>> = { dns: 'DNS', ip: 'IP', url: 'URI', email: 'email', upn: 'UPN', guid: 'GUID', dn: 'DirName', id: 'RID' };

export function noExtensions(): ExtensionFields {
  return { subjectAltNames: [], crlUrls: [], ocspUrls: [], caIssuersUrls: [], unreadableExtensions: [] };
}

function readExtensions(cert: x509.X509Certificate): ExtensionFields {
  const fields = noExtensions();
  // Each extension on its own: one that does not parse must not hide the others.
  const read = (label: string, extract: () => void): void => {
    try {
      extract();
    } catch (error) {
      fields.unreadableExtensions.push(`${label}: ${describeError(error)}`);
    }
  };
  read('subjectAltName', () => {
    const names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
    fields.subjectAltNames = names.map((name) => `${GENERAL_NAME_PREFIX[name.type] ?? name.type}:${name.value}`);
  });
  read('crlDistributionPoints', () => {
    const points = cert.getExtension(x509.CRLDistributionPointsExtension)?.distributionPoints ?? [];
    fields.crlUrls = points.flatMap((point) => point.distributionPoint?.fullName ?? []).flatMap((name) => (name.uniformResourceIdentifier ? [name.uniformResourceIdentifier] : []));
  });
  read('authorityInfoAccess', () => {
    const access = cert.getExtension(x509.AuthorityInfoAccessExtension);
    const urls = (names: readonly x509.GeneralName[] | undefined) => (names ?? []).filter((name) => name.type === 'url').map((name) => name.value);
    fields.ocspUrls = urls(access?.ocsp);
    fields.caIssuersUrls = urls(access?.caIssuers);
  });
  return fields;
}
