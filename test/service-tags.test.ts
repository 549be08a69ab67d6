// --service-tags: Microsoft's ServiceTags_Public_*.json read once, every resolved address annotated with the tags
// that contain it, and an address in no tag said to be in none.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../config/errors.js';
import { annotateServiceTags, serviceTagsByAddress } from '../model/annotate-service-tags.js';
import { loadServiceTags, parseServiceTags } from '../model/service-tags.js';
import { renderServiceTagsSection } from '../reporters/service-tags-console.js';
import { projectRoot } from './support/netns.js';
import { result } from './support/documents.js';

const fixture = path.join(projectRoot, 'test', 'fixtures', 'service-tags-small.json');

describe('service tags file', () => {
  const index = loadServiceTags(fixture);

  it('records where the tags came from', () => {
    expect(index.source).toEqual({ file: 'service-tags-small.json', cloud: 'Public', changeNumber: 412, tags: 4, prefixes: 11 });
  });

  it('names every tag whose prefixes contain an address, IPv4 and IPv6, sorted', () => {
    expect(index.tagsOf('127.0.1.4')).toEqual(['AzureActiveDirectory', 'AzureActiveDirectory.ServiceEndpoint', 'AzureCloud.westeurope']);
    expect(index.tagsOf('20.190.130.77')).toEqual(['AzureActiveDirectory', 'AzureActiveDirectory.ServiceEndpoint']);
    expect(index.tagsOf('2603:1006:2000::1')).toEqual(['AzureActiveDirectory']);
    expect(index.tagsOf('2620:1ec:bdf:1::5')).toEqual(['AzureFrontDoor.Frontend']);
    // An IPv4-mapped IPv6 address is its IPv4 address.
    expect(index.tagsOf('::ffff:13.107.246.10')).toEqual(['AzureFrontDoor.Frontend']);
  });

  it('says an address is in no tag ([]), and that a non-address is not one (null)', () => {
    expect(index.tagsOf('127.0.1.200')).toEqual([]);
    expect(index.tagsOf('::1')).toEqual([]);
    expect(index.tagsOf('not-an-address')).toBeNull();
  });

  it.each([
    ['{"values": [', /--service-tags bad\.json: not JSON/],
    ['{"changeNumber": 1}', /--service-tags bad\.json: not a service tags file: it has no "values" list/],
    ['{"values": [{"id": "x"}]}', /values\[0\] has no "name"/],
    ['{"values": [{"name": "AzureCloud", "properties": {}}]}', /values\[0\] \(AzureCloud\) has no "properties\.addressPrefixes" list/],
    ['{"values": [{"name": "AzureCloud", "properties": {"addressPrefixes": ["10.0.0.0/33"]}}]}', /values\[0\] \(AzureCloud\): "10\.0\.0\.0\/33" is not an address prefix/],
  ])('a file that is not a service tags file is one usage line: %s', (text, message) => {
    const parse = () => parseServiceTags(text, 'bad.json');
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });

  it('a missing file is a usage line naming it', () => {
    expect(() => loadServiceTags('/nonexistent/ServiceTags_Public.json')).toThrow('--service-tags /nonexistent/ServiceTags_Public.json: cannot read it: ENOENT');
  });

  it('reads a file saved with a byte order mark', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'tags-'));
    const file = path.join(dir, 'ServiceTags_Public_20261123.json');
    writeFileSync(file, `\uFEFF{"changeNumber": 1, "cloud": "Public", "values": [{"name": "AzureCloud", "properties": {"addressPrefixes": ["13.69.0.0/17"]}}]}`);
    expect(loadServiceTags(file).tagsOf('13.69.1.1')).toEqual(['AzureCloud']);
  });
});

describe('annotating results', () => {
  const index = loadServiceTags(fixture);
  const dns = result({
    id: 'dns:login.microsoftonline.com', check: 'dns', host: 'login.microsoftonline.com', status: 'pass', code: 'DNS_OK',
    evidence: { addresses: ['127.0.1.4', '::1'] },
  });
  const tcp = result({ id: 'tcp:login.microsoftonline.com@::1:443', check: 'tcp', host: 'login.microsoftonline.com', address: '::1', port: 443, status: 'pass', code: 'TCP_OK' });
  const sinkholed = result({ id: 'dns:www.microsoft.com', check: 'dns', host: 'www.microsoft.com', status: 'fail', code: 'DNS_SINKHOLE', evidence: { addresses: ['0.0.0.0'] } });
  const crl = result({ id: 'crl:http://crl3.digicert.com/x.crl', check: 'crl', host: 'crl3.digicert.com', port: 80, status: 'pass', code: 'CRL_OK' });

  it('dns evidence maps each address to its tags; a connection to an address carries that address\'s tags', () => {
    const [annotatedDns, annotatedTcp, annotatedSinkhole, annotatedCrl] = annotateServiceTags([dns, tcp, sinkholed, crl], index);
    expect(annotatedDns?.evidence['serviceTags']).toEqual({ '127.0.1.4': ['AzureActiveDirectory', 'AzureActiveDirectory.ServiceEndpoint', 'AzureCloud.westeurope'], '::1': [] });
    expect(annotatedTcp?.evidence['serviceTags']).toEqual([]);
    // A sinkhole's 0.0.0.0 is not the service's address, and a check without an address has nothing to annotate.
    expect(annotatedSinkhole).toBe(sinkholed);
    expect(annotatedCrl).toBe(crl);
  });

  it('the console section puts the addresses in no tag first and says what that means', () => {
    const annotated = annotateServiceTags([dns, tcp], index);
    expect(serviceTagsByAddress(annotated).get('::1')).toEqual([]);
    expect(renderServiceTagsSection(annotated, index.source, 140)).toBe([
      '',
      'Service tags: 1 of 2 addresses in a tag',
      '  from service-tags-small.json, cloud Public, change 412',
      '  ::1: in no service tag: a firewall built from the tags blocks it (login.microsoftonline.com)',
      '  127.0.1.4: AzureActiveDirectory, AzureActiveDirectory.ServiceEndpoint, AzureCloud.westeurope (login.microsoftonline.com)',
      '',
    ].join('\n'));
  });

  it('a hostile host name in the section is shown escaped', () => {
    const hostile = { ...tcp, host: 'evil\x1b[2J\u202e.example', address: '127.0.1.4', evidence: { serviceTags: ['AzureActiveDirectory'] } };
    const text = renderServiceTagsSection([hostile], index.source, 200);
    expect(text).not.toMatch(/[\x1b\u202e]/);
    expect(text).toContain('evil\\x1b[2J\\u202e.example');
  });
});
