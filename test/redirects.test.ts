// The redirect policy by itself: which address a redirect may lead to from which, with addresses only (no traffic).
import { describe, expect, it } from 'vitest';
import { addressScope, refusedAddress, refusedScheme } from '../http/redirects.js';

describe('address scopes', () => {
  it.each([
    ['127.0.0.1', 'loopback'], ['127.9.8.7', 'loopback'], ['::1', 'loopback'], ['0.0.0.0', 'loopback'],
    ['169.254.169.254', 'link-local'], ['fe80::1', 'link-local'], ['::ffff:169.254.169.254', 'link-local'],
    ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'], ['100.127.255.254', 'private'], ['fd00::5', 'private'], ['fc01::1', 'private'],
    ['203.0.113.7', 'public'], ['172.32.0.1', 'public'], ['100.128.0.1', 'public'], ['2001:db8::1', 'public'],
    ['[::1]', 'loopback'], ['crl.example', null],
  ])('%s is %s', (address, scope) => {
    expect(addressScope(address)).toBe(scope);
  });
});

describe('which redirects are refused', () => {
  it('refuses public → private, loopback or link-local, naming both ends', () => {
    expect(refusedAddress('203.0.113.7', '10.0.0.5')).toBe('10.0.0.5 is a private address, and the redirect came from 203.0.113.7, a public address');
    expect(refusedAddress('203.0.113.7', '127.0.0.1')).toBe('127.0.0.1 is a loopback address (this machine), and the redirect came from 203.0.113.7, a public address');
    expect(refusedAddress('203.0.113.7', '100.64.1.1')).toBe('100.64.1.1 is a private address, and the redirect came from 203.0.113.7, a public address');
    expect(refusedAddress('2001:db8::1', 'fd00::1')).toBe('fd00::1 is a private address, and the redirect came from 2001:db8::1, a public address');
  });

  it('refuses link-local from anywhere, loopback from a private address', () => {
    for (const source of ['127.0.0.1', '10.0.0.1', '203.0.113.7']) {
      expect(refusedAddress(source, '169.254.169.254')).toBe('169.254.169.254 is a link-local address (where cloud metadata services answer)');
    }
    expect(refusedAddress('10.0.0.1', '127.0.0.1')).toBe('127.0.0.1 is a loopback address (this machine), and the redirect came from 10.0.0.1, a private address');
  });

  it('follows outwards and sideways: any → public, loopback → loopback (a lab), private → private, loopback → private', () => {
    expect(refusedAddress('127.0.0.1', '203.0.113.7')).toBeNull();
    expect(refusedAddress('10.0.0.1', '203.0.113.7')).toBeNull();
    expect(refusedAddress('127.0.1.1', '127.0.1.2')).toBeNull();
    expect(refusedAddress('::1', '127.0.0.1')).toBeNull();
    expect(refusedAddress('10.0.0.1', '192.168.0.1')).toBeNull();
    expect(refusedAddress('127.0.0.1', '10.0.0.1')).toBeNull();
  });

  it('with the source unknown (a proxy connected), only a public target is followed', () => {
    expect(refusedAddress(null, '203.0.113.7')).toBeNull();
    expect(refusedAddress(null, '10.0.0.1')).toBe('10.0.0.1 is a private address, and the redirect did not come from one as close (a proxy connected for this machine)');
  });

  it('follows only http and https', () => {
    expect(refusedScheme(new URL('http://a/'))).toBeNull();
    expect(refusedScheme(new URL('https://a/'))).toBeNull();
    expect(refusedScheme(new URL('file:///etc/passwd'))).toBe('file is not http or https');
    expect(refusedScheme(new URL('ftp://a/x.crl'))).toBe('ftp is not http or https');
  });
});
