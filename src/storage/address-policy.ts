/**
 * @module Which IP addresses a user-supplied URL may reach. Pure: parses addresses itself so that
 * every spelling (IPv4-mapped, NAT64 and 6to4 IPv6 embedding an IPv4, `::` compression) is judged
 * by the IPv4 it really reaches. The WHATWG URL parser has already turned decimal/hex/octal IPv4
 * spellings (`http://2130706433/`, `http://0x7f.1/`) into dotted quads before this runs.
 */
import { isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'unique-local' | 'unspecified' | 'multicast' | 'reserved';

type V4Rule = [base: number, bits: number, cls: AddressClass];

const v4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

const V4_RULES: V4Rule[] = [
  [v4(0, 0, 0, 0), 8, 'unspecified'],
  [v4(10, 0, 0, 0), 8, 'private'],
  [v4(100, 64, 0, 0), 10, 'private'], // carrier-grade NAT
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(169, 254, 0, 0), 16, 'link-local'], // cloud metadata services live here
  [v4(172, 16, 0, 0), 12, 'private'],
  [v4(192, 0, 0, 0), 24, 'reserved'],
  [v4(192, 0, 2, 0), 24, 'reserved'],
  [v4(192, 88, 99, 0), 24, 'reserved'],
  [v4(192, 168, 0, 0), 16, 'private'],
  [v4(198, 18, 0, 0), 15, 'reserved'],
  [v4(198, 51, 100, 0), 24, 'reserved'],
  [v4(203, 0, 113, 0), 24, 'reserved'],
  [v4(224, 0, 0, 0), 4, 'multicast'],
  [v4(240, 0, 0, 0), 4, 'reserved'], // includes 255.255.255.255
];

function classifyV4(n: number): AddressClass {
  for (const [base, bits, cls] of V4_RULES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === base) return cls;
  }
  return 'public';
}

function parseV4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n >>> 0;
}

/** 8 groups of 16 bits; handles `::` and a trailing dotted quad. */
function parseV6(text: string): number[] | undefined {
  let s = text.replace(/^\[|\]$/g, '').split('%')[0] ?? '';
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad?.[1]) {
    const n = parseV4(quad[1]);
    if (n === undefined) return undefined;
    s = `${s.slice(0, -quad[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const groups = [...head, ...Array<string>(fill).fill('0'), ...tail];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return groups.map((g) => parseInt(g, 16));
}

function classifyV6(g: number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = ((g6 << 16) | g7) >>> 0;
  const zero5 = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (zero5 && g5 === 0 && g6 === 0 && g7 === 0) return 'unspecified';
  if (zero5 && g5 === 0 && g6 === 0 && g7 === 1) return 'loopback';
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (compatible, deprecated) reach an IPv4 address.
  if (zero5 && (g5 === 0xffff || g5 === 0)) return classifyV4(embedded);
  // 64:ff9b::/96 (NAT64) embeds the IPv4 in the last 32 bits.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyV4(embedded);
  // 2002::/16 (6to4) embeds it in bits 16..47.
  if (g0 === 0x2002) return classifyV4(((g1 << 16) | g2) >>> 0);
  if ((g0 & 0xfe00) === 0xfc00) return 'unique-local';
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard
  return 'public';
}

/** The class of an IP address; anything that does not parse is `reserved` (never reachable). */
export function classifyAddress(ip: string): AddressClass {
  const bare = ip.replace(/^\[|\]$/g, '');
  const kind = isIP(bare.split('%')[0] ?? '');
  if (kind === 4) {
    const n = parseV4(bare);
    return n === undefined ? 'reserved' : classifyV4(n);
  }
  if (kind === 6) {
    const g = parseV6(bare);
    return g === undefined ? 'reserved' : classifyV6(g);
  }
  return 'reserved';
}

/** Decides whether a resolved address may be connected to. Injected so tests can widen it. */
export type AddressPolicy = (ip: string) => boolean;

export function defaultAddressPolicy(allowPrivate: boolean): AddressPolicy {
  return (ip) => {
    const cls = classifyAddress(ip);
    if (cls === 'public') return true;
    // Even with ALLOW_PRIVATE_URLS, multicast/reserved/unspecified addresses make no sense to fetch.
    return allowPrivate && (cls === 'loopback' || cls === 'private' || cls === 'link-local' || cls === 'unique-local');
  };
}
