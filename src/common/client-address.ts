import { BlockList, isIP, isIPv4 } from 'node:net';

/**
 * Which peers may say who the client is (`MODELGATE_TRUSTED_PROXIES`):
 * addresses and CIDRs, IPv4 or IPv6. An IPv4-mapped IPv6 peer
 * (`::ffff:10.0.0.1`, what a dual-stack socket reports) matches its IPv4
 * entry. Empty by default: then no forwarded header is believed.
 */
export class TrustedProxies {
  private readonly list = new BlockList();
  readonly size: number;

  constructor(entries: readonly string[]) {
    for (const e of entries) {
      const invalid = proxyEntryError(e);
      if (invalid) throw new Error(invalid);
      const [address, prefix] = e.split('/');
      const family = isIPv4(address) ? 'ipv4' : 'ipv6';
      if (prefix === undefined) this.list.addAddress(address, family);
      else this.list.addSubnet(address, Number(prefix), family);
    }
    this.size = entries.length;
  }

  has(address: string): boolean {
    if (this.size === 0) return false;
    const family = isIP(address);
    return family !== 0 && this.list.check(address, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** Why an entry of `MODELGATE_TRUSTED_PROXIES` is not an address or a CIDR, or undefined when it is one. */
export function proxyEntryError(entry: string): string | undefined {
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address or a CIDR`;
  if (prefix !== undefined && !(/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128))) return `"${entry}" has a bad prefix length`;
  return undefined;
}

/** `::ffff:1.2.3.4` as `1.2.3.4`; `[::1]:80` and `1.2.3.4:80` (ports some proxies add) without the port. */
function bare(address: string): string {
  let a = address.trim();
  if (a.startsWith('[')) a = a.slice(1, a.indexOf(']') > 0 ? a.indexOf(']') : undefined);
  else if (a.indexOf(':') > 0 && a.indexOf(':') === a.lastIndexOf(':')) a = a.slice(0, a.indexOf(':'));
  if (a.length > 7 && a.slice(0, 7).toLowerCase() === '::ffff:' && isIPv4(a.slice(7))) a = a.slice(7);
  return a;
}

/**
 * The address a call's failed authentications are counted against: the
 * socket's peer, unless that peer is a trusted proxy; then the right-most
 * `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy
 * appends the peer it saw, so entries to the left of the first untrusted one
 * are whatever the client chose to send). When every entry is a trusted
 * proxy, the left-most. The same walk as Fastify's `trustProxy`, which is
 * given `trusted.has` so `request.ip` agrees.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies): string | undefined {
  if (peer === undefined) return undefined;
  let address = bare(peer);
  if (forwardedFor === undefined || !trusted.has(address)) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = bare(hops[i]);
    if (hop === '') continue;
    address = hop;
    if (!trusted.has(hop)) return hop;
  }
  return address;
}

/** The address of a grpc-js peer string (`127.0.0.1:5000`, `::1:5000`, `::ffff:10.0.0.1:5000`; `unknown` without a socket). */
export function grpcPeerAddress(peer: string): string | undefined {
  // Always `address:port` over TCP; an IPv6 address is not bracketed, so the port is what follows the last colon.
  const colon = peer.lastIndexOf(':');
  if (colon <= 0 || !/^\d+$/.test(peer.slice(colon + 1))) return undefined;
  const address = peer.slice(0, colon);
  return isIP(address) ? address : undefined;
}
