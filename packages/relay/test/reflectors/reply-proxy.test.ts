// The reply proxy with real UDP sockets on loopback: an answer to an entry's port reaches the
// requester, whoever sends it; an entry is renewed, not duplicated; an answer after the window is
// counted and dropped; a full table is counted; an interface without an address is refused by name.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { replyWindowMs, REFLECTOR_PROTOCOLS } from '../../src/reflectors/protocols.js';
import { ReplyProxy, scoped, type ProxyEvent } from '../../src/reflectors/reply-proxy.js';

const log = createLogger('error', () => undefined);
const opened: Array<{ close(): void }> = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

async function udp(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket & { next(ms?: number): Promise<Buffer | null> }> {
  const s = dgram.createSocket(type);
  await new Promise<void>((resolve) => s.bind(0, address, resolve));
  opened.push(s);
  const queue: Buffer[] = [];
  s.on('message', (m) => queue.push(m));
  return Object.assign(s, {
    async next(ms = 500): Promise<Buffer | null> {
      const until = Date.now() + ms;
      while (queue.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      return queue.shift() ?? null;
    },
  });
}

function proxyOn(family: 'ipv4' | 'ipv6', address: string | null, extra: { maxEntries?: number; now?: () => number } = {}) {
  const events: Array<[string, ProxyEvent]> = [];
  const proxy = new ReplyProxy({ family, localAddress: () => address, returnPort: 0, count: (i, e) => events.push([i, e]), log, lingerMs: 1000, ...extra });
  opened.push(proxy);
  return { proxy, events };
}

describe('ReplyProxy', () => {
  for (const [family, type, address] of [['ipv4', 'udp4', '127.0.0.1'], ['ipv6', 'udp6', '::1']] as const) {
    it(`${family}: an answer to the entry's port reaches the requester, from any sender; the entry is renewed, not duplicated`, async () => {
      const { proxy, events } = proxyOn(family, address);
      const requester = await udp(type, address);
      const device = await udp(type, address);
      const other = await udp(type, address);
      const who = { interface: 'lo', address, port: requester.address().port };
      const port = await proxy.portFor(who, 'lo', 3000)!;
      expect(port).toBeGreaterThan(0);
      expect(await proxy.portFor(who, 'lo', 3000)!).toBe(port);
      expect(proxy.size).toBe(1);
      device.send(Buffer.from('answer one'), port, address);
      expect((await requester.next())?.toString()).toBe('answer one');
      other.send(Buffer.from('answer two'), port, address);
      expect((await requester.next())?.toString()).toBe('answer two');
      expect(events).toEqual([['lo', 'proxied'], ['lo', 'proxied']]);
    });
  }

  it('an answer after the window is counted (expired) and dropped; after the linger the entry is gone', async () => {
    let t = 1_000_000;
    const { proxy, events } = proxyOn('ipv4', '127.0.0.1', { now: () => t });
    const requester = await udp('udp4', '127.0.0.1');
    const device = await udp('udp4', '127.0.0.1');
    const port = await proxy.portFor({ interface: 'lo', address: '127.0.0.1', port: requester.address().port }, 'lo', 2000)!;
    t += 2000;
    device.send(Buffer.from('late'), port, '127.0.0.1');
    expect(await requester.next(300)).toBeNull();
    expect(events).toEqual([['lo', 'expired']]);
    t += 1000; // the linger is over: the next use sweeps it
    expect(await proxy.portFor({ interface: 'lo', address: '127.0.0.1', port: 1 }, 'lo', 2000)).toBeGreaterThan(0);
    expect(proxy.size).toBe(1);
  });

  it('a full table is counted on the requester interface and gives no port', async () => {
    const { proxy, events } = proxyOn('ipv4', '127.0.0.1', { maxEntries: 1 });
    await proxy.portFor({ interface: 'lo', address: '127.0.0.1', port: 40001 }, 'lo', 3000);
    expect(proxy.portFor({ interface: 'lo', address: '127.0.0.1', port: 40002 }, 'lo', 3000)).toBeNull();
    expect(events).toEqual([['lo', 'full']]);
  });

  it('an output without an address is refused, naming the interface', async () => {
    const { proxy } = proxyOn('ipv6', null);
    await expect(proxy.portFor({ interface: 'lo', address: '::1', port: 40001 }, 'eth9', 3000)!).rejects.toThrow(/eth9 has no IPv6 link-local address/);
  });

  it('link-local addresses carry the interface as scope', () => {
    expect(scoped('fe80::1', 'in0')).toBe('fe80::1%in0');
    expect(scoped('2001:db8::1', 'in0')).toBe('2001:db8::1');
    expect(scoped('10.0.0.1', 'in0')).toBe('10.0.0.1');
  });

  it("SSDP's window is MX seconds, 1..5, plus a second; the others are fixed", () => {
    const search = (mx: string) => Buffer.from(`M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n${mx}ST: ssdp:all\r\n\r\n`);
    expect(replyWindowMs(REFLECTOR_PROTOCOLS.ssdp.replyWindow, search('MX: 2\r\n'))).toBe(3000);
    expect(replyWindowMs(REFLECTOR_PROTOCOLS.ssdp.replyWindow, search('MX: 120\r\n'))).toBe(6000);
    expect(replyWindowMs(REFLECTOR_PROTOCOLS.ssdp.replyWindow, search(''))).toBe(4000);
    expect(replyWindowMs(REFLECTOR_PROTOCOLS.mdns.replyWindow, Buffer.alloc(12))).toBe(3000);
    expect(replyWindowMs(REFLECTOR_PROTOCOLS.wsd.replyWindow, Buffer.alloc(12))).toBe(4000);
  });
});
