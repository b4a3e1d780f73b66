import { describe, expect, it } from 'vitest';
import { clientAddress, grpcPeerAddress, proxyEntryError, TrustedProxies } from './client-address.js';

const none = new TrustedProxies([]);
const ingress = new TrustedProxies(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);

describe('clientAddress', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For claims', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.9', none)).toBe('127.0.0.1');
    expect(clientAddress('::ffff:127.0.0.1', '203.0.113.9, 10.1.1.1', none)).toBe('127.0.0.1');
  });

  it('is the socket peer when the peer is not a trusted proxy', () => {
    expect(clientAddress('198.51.100.4', '203.0.113.9', ingress)).toBe('198.51.100.4');
  });

  it('is the right-most forwarded entry that is not a trusted proxy when the peer is one', () => {
    expect(clientAddress('10.2.3.4', '203.0.113.9', ingress)).toBe('203.0.113.9');
    // A client that sends its own X-Forwarded-For cannot choose the entry the proxy appended.
    expect(clientAddress('10.2.3.4', '1.1.1.1, 2.2.2.2, 203.0.113.9', ingress)).toBe('203.0.113.9');
    // Two proxies in a row: the inner one is skipped too.
    expect(clientAddress('::ffff:10.2.3.4', ['1.1.1.1, 203.0.113.9', '192.168.1.7'], ingress)).toBe('203.0.113.9');
    expect(clientAddress('fd00::5', '2001:db8::1, fd00::6', ingress)).toBe('2001:db8::1');
  });

  it('takes the left-most entry when every entry is a trusted proxy, and the peer without a header', () => {
    expect(clientAddress('10.2.3.4', '10.9.9.9, 192.168.1.7', ingress)).toBe('10.9.9.9');
    expect(clientAddress('10.2.3.4', undefined, ingress)).toBe('10.2.3.4');
    expect(clientAddress('10.2.3.4', ' , ', ingress)).toBe('10.2.3.4');
  });

  it('drops the ports some proxies add to forwarded entries', () => {
    expect(clientAddress('10.2.3.4', '203.0.113.9:51234', ingress)).toBe('203.0.113.9');
    expect(clientAddress('10.2.3.4', '[2001:db8::1]:443', ingress)).toBe('2001:db8::1');
  });
});

describe('TrustedProxies', () => {
  it('matches addresses and CIDRs of both families, and IPv4-mapped peers', () => {
    expect(ingress.has('10.255.0.1')).toBe(true);
    expect(ingress.has('::ffff:10.255.0.1')).toBe(true);
    expect(ingress.has('192.168.1.7')).toBe(true);
    expect(ingress.has('192.168.1.8')).toBe(false);
    expect(ingress.has('fd12::1')).toBe(true);
    expect(ingress.has('not an address')).toBe(false);
  });

  it('refuses entries that are not addresses or CIDRs', () => {
    expect(proxyEntryError('10.0.0.0/8')).toBeUndefined();
    expect(proxyEntryError('::1')).toBeUndefined();
    expect(proxyEntryError('10.0.0.0/33')).toMatch(/prefix/);
    expect(proxyEntryError('fd00::/129')).toMatch(/prefix/);
    expect(proxyEntryError('ingress.local')).toMatch(/not an IP/);
    expect(proxyEntryError('10.0.0.0/8/1')).toMatch(/not an IP/);
    expect(() => new TrustedProxies(['10.0.0.0/x'])).toThrow(/prefix/);
  });
});

describe('grpcPeerAddress', () => {
  it('reads the address of the peer strings grpc-js gives', () => {
    expect(grpcPeerAddress('127.0.0.1:50123')).toBe('127.0.0.1');
    expect(grpcPeerAddress('::1:50123')).toBe('::1');
    expect(grpcPeerAddress('::ffff:10.0.0.1:50123')).toBe('::ffff:10.0.0.1');
    expect(grpcPeerAddress('unknown')).toBeUndefined();
  });
});
