import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { parseConfig } from '../../src/config/config-schema.js';

const lookups = { interfaceExists: (name: string) => name.startsWith('eth'), isEthernet: () => true };
const issues = (value: unknown) => {
  try {
    parseConfig(value, lookups);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.message}`);
    throw err;
  }
  return [];
};

describe('reflectors config', () => {
  it('takes the section as docs/config.md writes it: both families and source original by default', () => {
    const c = parseConfig({ reflectors: [{ id: 'home', protocol: 'mdns', interfaces: ['eth0', 'eth1', { name: 'eth2', deny: ['_googlecast._tcp'] }] }] }, lookups);
    expect(c.reflectors).toEqual([
      {
        id: 'home',
        protocol: 'mdns',
        endpoint: { group: '224.0.0.251', group6: 'ff02::fb', port: 5353, hopLimit: 255, dns: true, replyWindow: { kind: 'fixed', ms: 3000 } },
        interfaces: [{ name: 'eth0' }, { name: 'eth1' }, { name: 'eth2', deny: ['_googlecast._tcp'] }],
        families: ['ipv4', 'ipv6'],
        source: 'original',
      },
    ]);
    const relay = parseConfig({ reflectors: [{ id: 'w', protocol: 'wsd', interfaces: ['eth0', 'eth1'], source: 'relay' }] }, lookups);
    expect(relay.reflectors[0]).toMatchObject({ source: 'relay', endpoint: { replyWindow: { kind: 'fixed', ms: 4000 } } });
    const custom = parseConfig({ reflectors: [{ id: 'x', protocol: { group6: 'FF05::1:3', port: 547 }, interfaces: ['eth0', 'eth1'], families: ['ipv6'] }] }, lookups);
    expect(custom.reflectors[0]).toMatchObject({ protocol: 'custom', endpoint: { group6: 'ff05::1:3', port: 547, hopLimit: 'keep', dns: false }, families: ['ipv6'] });
  });

  it('names every problem with its path', () => {
    expect(
      issues({
        reflectors: [
          { id: 'a', protocol: 'ssdp', interfaces: ['eth0'], deny: ['_ipp._tcp'] },
          { id: 'b', protocol: 'bonjour', interfaces: ['eth0'] },
          { id: 'c', protocol: { group: 'ff02::fb', port: 5353 }, interfaces: ['eth0', 'eth1'], allow: ['ipp'] },
          { id: 'd', protocol: 'wsd', interfaces: ['eth0', 'eth1'], source: 'proxy' },
        ],
      }),
    ).toEqual([
      'reflectors[0].protocol: allow and deny lists are DNS-SD service types: only protocol "mdns" takes them',
      'reflectors[0].interfaces: must have at least 2 element(s)',
      'reflectors[1].protocol: must be one of mdns | ssdp | wsd or { group, group6, port }, got "bonjour"',
      'reflectors[1].interfaces: must have at least 2 element(s)',
      'reflectors[2].protocol: allow and deny lists are DNS-SD service types: only protocol "mdns" takes them',
      'reflectors[2].protocol.group: must be an IPv4 group, got "ff02::fb"',
      'reflectors[2].allow[0]: must be a DNS-SD service type like "_ipp._tcp", got "ipp"',
      'reflectors[3].source: must be one of original | relay, got "proxy"',
    ]);
    // Checked once the fields are right: interfaces that exist, once each; ids once each.
    expect(issues({ reflectors: [{ id: 'a', protocol: 'mdns', interfaces: ['eth0', 'eth0', 'wlan9'] }, { id: 'a', protocol: 'ssdp', interfaces: ['eth0', 'eth1'] }] })).toEqual([
      'reflectors[0].interfaces[1]: repeats interface "eth0"',
      'reflectors[0].interfaces[2]: unknown interface "wlan9"',
      'reflectors[1].id: repeats the id "a"',
    ]);
  });
});
