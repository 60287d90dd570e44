import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { addressesDiffer, interfaceAddresses } from '../../src/net/interface-facts.js';

const v4 = (address: string): NetworkInterfaceInfo => ({ address, family: 'IPv4', netmask: '255.255.255.0', mac: '02:00:00:00:00:01', internal: false, cidr: null });
const v6 = (address: string, scopeid = 0): NetworkInterfaceInfo => ({ address, family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff::', mac: '02:00:00:00:00:01', internal: false, cidr: null, scopeid });

describe('interface addresses', () => {
  it('takes the first IPv4, the first global IPv6 and the fe80:: address, whatever their order', () => {
    const addresses = { out0: [v6('fe80::1', 3), v4('10.2.0.1'), v6('fd00:0:0:2::1'), v6('2001:db8::1'), v4('10.2.0.9')] };
    expect(interfaceAddresses('out0', addresses)).toEqual({ ipv4: '10.2.0.1', ipv6: 'fd00:0:0:2::1', ipv6LinkLocal: 'fe80::1' });
    expect(interfaceAddresses('ll0', { ll0: [v6('fe80::2', 4)] })).toEqual({ ipv4: null, ipv6: null, ipv6LinkLocal: 'fe80::2' });
    expect(interfaceAddresses('gone', addresses)).toEqual({ ipv4: null, ipv6: null, ipv6LinkLocal: null });
  });

  it('an address change of either family is a change', () => {
    const a = { ipv4: '10.0.0.1', ipv6: 'fd00::1', ipv6LinkLocal: 'fe80::1' };
    expect(addressesDiffer(a, { ...a })).toBe(false);
    expect(addressesDiffer(a, { ...a, ipv6: 'fd00::2' })).toBe(true);
    expect(addressesDiffer(a, { ...a, ipv6LinkLocal: null })).toBe(true);
    expect(addressesDiffer(a, { ...a, ipv4: null })).toBe(true);
  });
});
