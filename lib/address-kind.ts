// What kind of address an IP is: only `public` ones are reachable destinations for a tenant's
// repository. Everything else (loopback, private, link-local, carrier-grade NAT, unique-local,
// unspecified, multicast, broadcast, reserved and documentation ranges) is the platform's own
// network or no real destination, and IPv6 forms that embed an IPv4 address (mapped,
// IPv4-compatible, NAT64, 6to4) are judged by the address they embed.
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export type AddressKind =
  'public' | 'loopback' | 'private' | 'link-local' | 'carrier-grade NAT' | 'unique-local' | 'unspecified' | 'multicast' | 'broadcast' | 'reserved';

/** "it is a private address", "it is the unspecified address", ... */
export function describeKind(kind: AddressKind): string {
  if (kind === 'unspecified' || kind === 'broadcast') return `the ${kind} address`;
  return `a${/^[aeiou]/.test(kind) ? 'n' : ''} ${kind} address`;
}

const IPV4_RANGES: [AddressKind, string, number][] = [
  ['broadcast', '255.255.255.255', 32],
  // 0.0.0.0/8 "this network": Linux connects 0.0.0.0 to the local host.
  ['unspecified', '0.0.0.0', 8],
  ['private', '10.0.0.0', 8],
  ['carrier-grade NAT', '100.64.0.0', 10],
  ['loopback', '127.0.0.0', 8],
  ['link-local', '169.254.0.0', 16],
  ['private', '172.16.0.0', 12],
  ['reserved', '192.0.0.0', 24],
  ['reserved', '192.0.2.0', 24],
  ['reserved', '192.88.99.0', 24],
  ['private', '192.168.0.0', 16],
  ['reserved', '198.18.0.0', 15],
  ['reserved', '198.51.100.0', 24],
  ['reserved', '203.0.113.0', 24],
  ['multicast', '224.0.0.0', 4],
  ['reserved', '240.0.0.0', 4],
];

const ipv4Lists = IPV4_RANGES.map(([kind, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, 'ipv4');
  return { kind, list };
});

function ipv4Kind(address: string): AddressKind {
  return ipv4Lists.find(({ list }) => list.check(address, 'ipv4'))?.kind ?? 'public';
}

/** The 128 bits of an IPv6 address, from the WHATWG URL parser's canonical form (no dotted tail). */
function ipv6Bits(address: string): bigint {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = canonical.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((bits, group) => (bits << 16n) | BigInt(parseInt(group, 16)), 0n);
}

const v4Of = (bits: bigint) => [24n, 16n, 8n, 0n].map((shift) => Number((bits >> shift) & 0xffn)).join('.');
const inPrefix = (bits: bigint, network: bigint, prefix: number) => bits >> BigInt(128 - prefix) === network >> BigInt(128 - prefix);

function ipv6Kind(address: string): AddressKind {
  const bits = ipv6Bits(address);
  if (bits === 0n) return 'unspecified';
  if (bits === 1n) return 'loopback';
  const low32 = bits & 0xffffffffn;
  // ::ffff:a.b.c.d is a.b.c.d itself (the socket API connects to the IPv4 address).
  if (inPrefix(bits, 0xffffn << 32n, 96)) return ipv4Kind(v4Of(low32));
  // NAT64 (64:ff9b::/96) is how an IPv6-only network reaches public IPv4: judged by what it embeds.
  if (inPrefix(bits, 0x64ff9bn << 96n, 96)) return ipv4Kind(v4Of(low32));
  // IPv4-compatible (::a.b.c.d, deprecated) and 6to4 (2002:aabb:ccdd::/48): never a real
  // destination today; named after the embedded address when that is not public.
  if (inPrefix(bits, 0n, 96)) return notPublicOr(ipv4Kind(v4Of(low32)));
  if (inPrefix(bits, 0x2002n << 112n, 16)) return notPublicOr(ipv4Kind(v4Of((bits >> 80n) & 0xffffffffn)));
  if (inPrefix(bits, 0xfc00n << 112n, 7)) return 'unique-local';
  if (inPrefix(bits, 0xfe80n << 112n, 10)) return 'link-local';
  if (inPrefix(bits, 0xff00n << 112n, 8)) return 'multicast';
  // Global unicast is 2000::/3, minus the IETF protocol block (Teredo, ORCHID, ...) and documentation.
  if (!inPrefix(bits, 0x2000n << 112n, 3)) return 'reserved';
  if (inPrefix(bits, 0x2001n << 112n, 23) || inPrefix(bits, 0x20010db8n << 96n, 32) || inPrefix(bits, 0x3fffn << 112n, 20)) return 'reserved';
  return 'public';
}

const notPublicOr = (kind: AddressKind): AddressKind => (kind === 'public' ? 'reserved' : kind);

/** The kind of an IP address (as `net.isIP` accepts it), or undefined when it is not one. */
export function addressKind(address: string): AddressKind | undefined {
  if (isIPv4(address)) return ipv4Kind(address);
  // A zone index (fe80::1%eth0) only exists on scoped, i.e. link-local, addresses.
  if (isIPv6(address)) return address.includes('%') ? 'link-local' : ipv6Kind(address);
  return undefined;
}
