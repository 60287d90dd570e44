import { describe, expect, it } from 'vitest';
import { addressAt, addressesOf, familyOf, isLinkScopeIpv6, isMulticastAddress, rangeSize } from '../../src/net/ip-address.js';

describe('ip-address', () => {
  it('tells the family, and refuses what is neither', () => {
    expect(familyOf('239.1.1.1')).toBe('ipv4');
    expect(familyOf('ff3e::1:2')).toBe('ipv6');
    expect(() => familyOf('239.1.1')).toThrow(/not an IPv4 or IPv6 address/);
  });

  it('expands ranges of both families in order, canonical text', () => {
    expect(rangeSize('239.1.0.0', 24)).toBe(256n);
    expect(addressesOf('239.1.0.0', 30)).toEqual(['239.1.0.0', '239.1.0.1', '239.1.0.2', '239.1.0.3']);
    expect(addressesOf('239.1.0.254', 31)).toEqual(['239.1.0.254', '239.1.0.255']);
    expect(addressesOf('ff3e::1:0', 126)).toEqual(['ff3e::1:0', 'ff3e::1:1', 'ff3e::1:2', 'ff3e::1:3']);
    expect(addressAt('ff3e::ffff', 1n)).toBe('ff3e::1:0');
    expect(addressAt('239.1.0.255', 1n)).toBe('239.1.1.0');
    expect(rangeSize('ff3e::', 16)).toBe(1n << 112n);
  });

  it('knows link-scope IPv6 destinations and multicast of both families', () => {
    expect(isLinkScopeIpv6('ff02::fb')).toBe(true);
    expect(isLinkScopeIpv6('ff12::1')).toBe(true);
    expect(isLinkScopeIpv6('ff01::1')).toBe(true);
    expect(isLinkScopeIpv6('fe80::1')).toBe(true);
    expect(isLinkScopeIpv6('ff3e::1')).toBe(false);
    expect(isLinkScopeIpv6('ff05::1')).toBe(false);
    expect(isLinkScopeIpv6('fd00::1')).toBe(false);
    expect(isLinkScopeIpv6('239.1.1.1')).toBe(false);
    expect(isMulticastAddress('ff3e::1')).toBe(true);
    expect(isMulticastAddress('fd00::1')).toBe(false);
    expect(isMulticastAddress('239.1.1.1')).toBe(true);
    expect(isMulticastAddress('10.1.1.1')).toBe(false);
  });
});
