import { describe, expect, it } from 'vitest';
import { classifyAddress, defaultAddressPolicy } from './address-policy.js';

describe('address classes', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:0808:0808::1', 'public'],
    ['fd00::1', 'unique-local'],
    ['fc12:3456::1', 'unique-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['not-an-ip', 'reserved'],
    ['1.2.3', 'reserved'],
  ])('%s is %s', (ip, cls) => {
    expect(classifyAddress(ip)).toBe(cls);
  });

  it('the default policy allows public only; ALLOW_PRIVATE_URLS adds private ranges but never unspecified/multicast', () => {
    const strict = defaultAddressPolicy(false);
    const open = defaultAddressPolicy(true);
    expect(['8.8.8.8', '2606:4700:4700::1111'].every(strict)).toBe(true);
    expect(['127.0.0.1', '10.0.0.1', '169.254.169.254', 'fd00::1', '::ffff:127.0.0.1'].some(strict)).toBe(false);
    expect(['127.0.0.1', '10.0.0.1', 'fd00::1'].every(open)).toBe(true);
    expect(['0.0.0.0', '224.0.0.1', '::'].some(open)).toBe(false);
  });
});
