import { describe, expect, it } from 'vitest';
import { hostBitsAreZero, networkOf, parseIpAddress, rangesOverlap, rangeSize, reachesLinkLocalGroups, splitPrefix } from '../src/ip-address.js';
import { canonicalIpv6, formatIpv6, multicastScope6, parseIpv6, unsendableUnicast6 } from '../src/ipv6.js';

const range = (text: string) => {
  const { address, prefixLength } = splitPrefix(text)!;
  const base = parseIpAddress(address)!;
  return { base, prefixLength: prefixLength ?? (base.family === 'ipv4' ? 32 : 128) };
};

describe('IPv6 text', () => {
  it('is canonical RFC 5952: lower case, the longest zero run compressed, no zone', () => {
    expect(canonicalIpv6('FF3E:0000:0:0:0:0:0001:0002')).toBe('ff3e::1:2');
    expect(canonicalIpv6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIpv6('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIpv6('fe80::1%eth0')).toBeNull();
    expect(canonicalIpv6('239.1.1.1')).toBeNull();
    expect(canonicalIpv6('ff3e::1::2')).toBeNull();
  });

  it('round-trips through its 128-bit value', () => {
    for (const text of ['::', '::1', 'ff3e::1:2', 'fd00:0:0:1::1', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']) expect(formatIpv6(parseIpv6(text)!)).toBe(text);
    expect(parseIpv6('ff3e::1:2')).toBe((0xff3en << 112n) | 0x10002n);
    expect(multicastScope6(parseIpv6('ff15::1')!)).toBe(5);
    expect(unsendableUnicast6(parseIpv6('::ffff:10.0.0.1')!)).toMatch(/IPv4-mapped/);
    expect(unsendableUnicast6(parseIpv6('fd00::1')!)).toBeNull();
  });
});

describe('address ranges', () => {
  it('have a size, a network and host bits', () => {
    expect(rangeSize(range('239.1.0.0/24'))).toBe(256n);
    expect(rangeSize(range('ff3e::/104'))).toBe(1n << 24n);
    expect(hostBitsAreZero(range('239.1.0.7/24'))).toBe(false);
    expect(networkOf(range('239.1.0.7/24')).text).toBe('239.1.0.0');
    expect(networkOf(range('ff3e::1:7/120')).text).toBe('ff3e::1:0');
  });

  it('overlap when one contains the other, within one family', () => {
    expect(rangesOverlap(range('239.1.0.0/16'), range('239.1.5.0/24'))).toBe(true);
    expect(rangesOverlap(range('239.1.0.0/24'), range('239.1.1.0/24'))).toBe(false);
    expect(rangesOverlap(range('239.1.0.0/24'), range('239.1.0.9'))).toBe(true);
    expect(rangesOverlap(range('ff3e::/16'), range('239.1.0.0/24'))).toBe(false);
  });

  it('reach link-local groups: 224.0.0.0/24 and IPv6 scopes 1 and 2', () => {
    expect(reachesLinkLocalGroups(range('224.0.0.0/8'))).toBe(true);
    expect(reachesLinkLocalGroups(range('224.0.0.251'))).toBe(true);
    expect(reachesLinkLocalGroups(range('224.0.1.0/24'))).toBe(false);
    expect(reachesLinkLocalGroups(range('ff02::/112'))).toBe(true);
    expect(reachesLinkLocalGroups(range('ff31::1'))).toBe(true);
    expect(reachesLinkLocalGroups(range('ff35::1'))).toBe(false);
  });
});

describe('addresses as the data plane takes them (bytes in network order)', () => {
  it('round-trips both families through addressBytes and addressFromBytes', async () => {
    const { addressBytes, addressFromBytes, formatAddress } = await import('../src/ip-address.js');
    for (const text of ['239.1.2.3', '10.0.0.1', 'ff3e::1:2', 'fd00:0:0:1::1', '::']) {
      const a = parseIpAddress(text)!;
      const bytes = addressBytes(a);
      expect(bytes.length).toBe(a.family === 'ipv4' ? 4 : 16);
      expect(addressFromBytes(bytes)).toEqual(a);
      expect(formatAddress(bytes)).toBe(a.text);
    }
    expect([...addressBytes(parseIpAddress('239.1.2.3')!)]).toEqual([239, 1, 2, 3]);
  });
});
