// `preflight allowlist`: every name of every chain, the suffixes, the addresses and ports, and which endpoint needed
// each; text for external dynamic lists, csv, json; forged names never reach the list.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildAllowList } from '../model/allowlist.js';
import { readResultDocument } from '../model/read-document.js';
import { loadServiceTags } from '../model/service-tags.js';
import { renderAllowList } from '../reporters/allowlist.js';
import { projectRoot } from './support/netns.js';
import { result } from './support/documents.js';

const fixtures = path.join(projectRoot, 'test', 'fixtures');
const meta = { toolVersion: '0.1.0', sources: ['a.json'], serviceTags: null };

const chain = (host: string, hops: Array<[string, string, string]>, addresses: string[], status: 'pass' | 'fail' = 'pass') => result({
  id: `dns:${host}`, check: 'dns', host, status, code: status === 'pass' ? 'DNS_OK' : 'DNS_SINKHOLE',
  evidence: { chain: hops.map(([name, type, value]) => ({ name, type, value, ttl: 300 })), addresses },
});

const login = chain('login.microsoftonline.com', [
  ['login.microsoftonline.com', 'CNAME', 'login.mso.msidentity.com'],
  ['login.mso.msidentity.com', 'CNAME', 'ak.privatelink.msidentity.com'],
  ['ak.privatelink.msidentity.com', 'A', '20.190.130.5'],
], ['20.190.130.5']);
const loginTcp = result({ id: 'tcp:login.microsoftonline.com@20.190.130.5:443', check: 'tcp', host: 'login.microsoftonline.com', address: '20.190.130.5', port: 443, status: 'pass', code: 'TCP_OK' });
const crl = result({ id: 'crl:http://crl3.digicert.com/G2.crl', check: 'crl', host: 'crl3.digicert.com', url: 'http://crl3.digicert.com/G2.crl', port: 80, status: 'pass', code: 'CRL_OK' });
const sinkholed = chain('www.microsoft.com', [['www.microsoft.com', 'CNAME', 'www.microsoft.com-c-3.edgekey.net'], ['www.microsoft.com-c-3.edgekey.net', 'A', '0.0.0.0']], ['0.0.0.0'], 'fail');

describe('allow-list', () => {
  const list = buildAllowList([login, loginTcp, crl, sinkholed]);

  it('every hop of every chain, with its suffix, ports and the endpoint that needed it', () => {
    expect(list.names).toEqual([
      { name: 'ak.privatelink.msidentity.com', suffix: 'msidentity.com', ports: [443], endpoints: ['login.microsoftonline.com'] },
      { name: 'crl3.digicert.com', suffix: 'digicert.com', ports: [80], endpoints: ['crl3.digicert.com'] },
      { name: 'login.microsoftonline.com', suffix: 'microsoftonline.com', ports: [443], endpoints: ['login.microsoftonline.com'] },
      { name: 'login.mso.msidentity.com', suffix: 'msidentity.com', ports: [443], endpoints: ['login.microsoftonline.com'] },
      // A sinkholed lookup's hops still have to be allowed: they are what the filter must stop blocking.
      { name: 'www.microsoft.com', suffix: 'microsoft.com', ports: [], endpoints: ['www.microsoft.com'] },
      // edgekey.net is itself a public suffix (the list's private section, as the dns check reads it).
      { name: 'www.microsoft.com-c-3.edgekey.net', suffix: 'com-c-3.edgekey.net', ports: [], endpoints: ['www.microsoft.com'] },
    ]);
    expect(list.suffixes.map((s) => [s.suffix, s.names.length])).toEqual([
      ['com-c-3.edgekey.net', 1], ['digicert.com', 1], ['microsoft.com', 1], ['microsoftonline.com', 1], ['msidentity.com', 2],
    ]);
  });

  it('addresses with their ports, the name that resolved to them and the endpoint; a sinkhole\'s 0.0.0.0 is not one', () => {
    expect(list.addresses).toEqual([
      { address: '20.190.130.5', family: 4, ports: [443], names: ['ak.privatelink.msidentity.com'], endpoints: ['login.microsoftonline.com'], serviceTags: null },
    ]);
    expect(list.endpoints.find((e) => e.host === 'crl3.digicert.com')).toEqual({ host: 'crl3.digicert.com', urls: ['http://crl3.digicert.com/G2.crl'], ports: [80], names: ['crl3.digicert.com'], addresses: [] });
  });

  it('text: one FQDN per line, sorted, unique, nothing else', () => {
    expect(renderAllowList(buildAllowList([login, login, loginTcp, crl]), 'text', meta)).toBe(
      'ak.privatelink.msidentity.com\ncrl3.digicert.com\nlogin.microsoftonline.com\nlogin.mso.msidentity.com\n',
    );
  });

  it('csv: a header, a row per name, suffix and address, service tags from the tags file', () => {
    const tags = loadServiceTags(path.join(fixtures, 'service-tags-small.json'));
    const csv = renderAllowList(buildAllowList([login, loginTcp], tags), 'csv', meta);
    expect(csv.split('\n')).toEqual([
      'type,value,ports,endpoints,names,service_tags',
      'name,ak.privatelink.msidentity.com,443,login.microsoftonline.com,,',
      'name,login.microsoftonline.com,443,login.microsoftonline.com,,',
      'name,login.mso.msidentity.com,443,login.microsoftonline.com,,',
      'suffix,microsoftonline.com,,login.microsoftonline.com,login.microsoftonline.com,',
      'suffix,msidentity.com,,login.microsoftonline.com,ak.privatelink.msidentity.com login.mso.msidentity.com,',
      'address,20.190.130.5,443,login.microsoftonline.com,ak.privatelink.msidentity.com,AzureActiveDirectory AzureActiveDirectory.ServiceEndpoint',
      '',
    ]);
  });

  it('an address in no tag says so; without a tags file, the annotation the results carry is used', () => {
    const tags = loadServiceTags(path.join(fixtures, 'service-tags-small.json'));
    const outside = { ...loginTcp, address: '192.0.2.10', id: 'tcp:x@192.0.2.10:443' };
    expect(buildAllowList([outside], tags).addresses[0]?.serviceTags).toEqual([]);
    expect(renderAllowList(buildAllowList([outside], tags), 'csv', meta)).toContain('address,192.0.2.10,443,login.microsoftonline.com,,(none)\n');
    const recorded = { ...loginTcp, evidence: { serviceTags: ['AzureCloud'] } };
    expect(buildAllowList([recorded]).addresses[0]?.serviceTags).toEqual(['AzureCloud']);
  });

  it('json: the entries, the sources and the tags file, documented shape', () => {
    const parsed = JSON.parse(renderAllowList(list, 'json', meta)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['tool', 'sources', 'serviceTags', 'names', 'suffixes', 'addresses', 'endpoints']);
    expect(parsed['sources']).toEqual(['a.json']);
  });

  it('a forged name (a newline would add a line to an external dynamic list) is left out and reported', () => {
    const forged = chain('login.microsoftonline.com', [['login.microsoftonline.com', 'CNAME', 'evil.example\nallow-everything.example'], ['x', 'CNAME', '=cmd|calc!A1']], []);
    const built = buildAllowList([forged]);
    expect(built.rejected).toEqual(['=cmd|calc!A1', 'evil.example\nallow-everything.example']);
    expect(renderAllowList(built, 'text', meta)).toBe('login.microsoftonline.com\nx\n');
  });

  it('the union of several documents, a merged one among them', () => {
    const v2 = readResultDocument(path.join(fixtures, 'result-v2-lab.json'));
    const v1 = readResultDocument(path.join(fixtures, 'result-v1-lab.json'));
    const union = buildAllowList([...v2.results, ...v1.results, login]);
    const names = union.names.map((n) => n.name);
    for (const hop of ['fdfb15b6.privatelink.lab-identity.net', 'fdfb15b6.tm.lab-edge.trafficmanager.net', '33bc2266.tm.lab-edge.trafficmanager.net', 'ak.privatelink.msidentity.com']) {
      expect(names).toContain(hop);
    }
    expect(new Set(names).size).toBe(names.length);
  });
});
