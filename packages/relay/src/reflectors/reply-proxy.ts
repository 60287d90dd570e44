// The reply proxy of a `source: "relay"` reflector. A copy that leaves from the relay's own address
// gets its unicast answers at the relay, so for each requester (the member interface it was heard on,
// its address and port) the proxy holds an entry: one UDP socket per output interface, bound to the
// relay's address there (IPv4: the interface's first address; IPv6: its link-local one, scoped to the
// interface) and an ephemeral port. The copy to that output leaves from that port; whatever arrives at
// the socket while the entry is live is sent on to the requester (its address and port, from the
// relay's address on the requester's interface, scoped there for a link-local requester). Any sender
// is accepted: a device may answer from another address than the one the query reached.
//
// An entry lives for the protocol's answer window (protocols.ts), renewed by each query of its
// requester, then lingers REPLY_PROXY_LINGER_MS: an answer arriving then is counted (expired) and
// dropped; after that its sockets close and the kernel refuses the port. At most
// REPLY_PROXY_MAX_ENTRIES entries, live or lingering: a query past that is counted (full) and its
// copies go out without an entry (its answers are lost; an announcement still gets through).
//
// Node's dgram sockets, not the native DatagramSocket: answers are unicast to one of the relay's own
// addresses, which the host's UDP stack delivers to a bound socket; the native socket hears a
// multicast group below that stack and would only duplicate it. The copy itself still goes out through
// the reflector's native socket, with the entry's port as its source port.
import dgram from 'node:dgram';
import type { Logger } from '../log.js';
import { REPLY_PROXY_LINGER_MS, REPLY_PROXY_MAX_ENTRIES } from './protocols.js';
import type { ReflectorFamily } from './reflector-schema.js';

export interface Requester {
  /** The member interface the query was heard on. */
  interface: string;
  address: string;
  port: number;
}

export type ProxyEvent = 'proxied' | 'expired' | 'full';

export interface ReplyProxyOptions {
  family: ReflectorFamily;
  /** The relay's own address on `iface` (IPv4: first; IPv6: link-local, unscoped), or null when it has none. */
  localAddress: (iface: string) => string | null;
  /** Source port of the answers sent on to requesters (mDNS: 5353, which RFC 6762 §6 requires of answers); 0: any. */
  returnPort: number;
  /** Counts an event on an interface: proxied on the requester's, expired where it arrived, full on the requester's. */
  count: (iface: string, event: ProxyEvent) => void;
  log: Logger;
  lingerMs?: number;
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  requester: Requester;
  expiresAt: number;
  /** Output interface -> its bound socket (pending while binding). */
  sockets: Map<string, Promise<dgram.Socket>>;
}

/** Link-local addresses need the interface as scope; others are used as they are. */
export function scoped(address: string, iface: string): string {
  return /^fe[89ab][0-9a-f]:/i.test(address) ? `${address}%${iface}` : address;
}

/** What a `source: "relay"` copy or answer meets on an interface without the address it needs. */
export function noAddress(iface: string, family: ReflectorFamily): Error {
  return new Error(`${iface} has no ${family === 'ipv4' ? 'IPv4' : 'IPv6 link-local'} address to send from (source "relay")`);
}

export class ReplyProxy {
  private readonly entries = new Map<string, Entry>();
  /** Requester interface -> the socket answers are sent on to requesters from. */
  private readonly returns = new Map<string, Promise<dgram.Socket>>();
  private readonly now: () => number;
  private readonly lingerMs: number;
  private readonly maxEntries: number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(private readonly o: ReplyProxyOptions) {
    this.now = o.now ?? Date.now;
    this.lingerMs = o.lingerMs ?? REPLY_PROXY_LINGER_MS;
    this.maxEntries = o.maxEntries ?? REPLY_PROXY_MAX_ENTRIES;
  }

  /** Entries held (live or lingering). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The source port for the copy of a query by `requester` to `output`: its entry opened or renewed
   * for `windowMs`. null: the table is full (counted). Rejects when no socket can be bound there (no
   * address on the output, or the kernel refused) with an Error naming the interface.
   */
  portFor(requester: Requester, output: string, windowMs: number): Promise<number> | null {
    const now = this.now();
    this.sweep(now);
    const key = `${requester.interface}\0${requester.address}\0${requester.port}`;
    let entry = this.entries.get(key);
    if (!entry) {
      if (this.entries.size >= this.maxEntries) {
        this.o.count(requester.interface, 'full');
        return null;
      }
      this.entries.set(key, (entry = { requester, expiresAt: now + windowMs, sockets: new Map() }));
      this.schedule();
    }
    entry.expiresAt = Math.max(entry.expiresAt, now + windowMs);
    let socket = entry.sockets.get(output);
    if (!socket) {
      const e = entry;
      socket = this.bind(output, 0, false).then((s) => {
        s.on('message', (payload) => this.onReply(e, output, payload));
        return s;
      });
      entry.sockets.set(output, socket);
      socket.catch(() => entry!.sockets.delete(output)); // the next query tries again
    }
    return socket.then((s) => s.address().port);
  }

  /** Idempotent: every socket closed, nothing counted after it returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const entry of this.entries.values()) closeAll(entry.sockets.values());
    closeAll(this.returns.values());
    this.entries.clear();
    this.returns.clear();
  }

  private onReply(entry: Entry, arrivedOn: string, payload: Buffer): void {
    if (this.closed) return;
    if (this.now() >= entry.expiresAt) {
      this.o.count(arrivedOn, 'expired');
      return;
    }
    const { requester } = entry;
    let back = this.returns.get(requester.interface);
    if (!back) {
      back = this.bind(requester.interface, this.o.returnPort, this.o.returnPort !== 0);
      this.returns.set(requester.interface, back);
      back.catch(() => this.returns.delete(requester.interface));
    }
    back.then(
      (s) =>
        s.send(payload, requester.port, scoped(requester.address, requester.interface), (err) => {
          if (err) this.o.log.debug(`reply proxy: cannot send an answer to ${requester.address} port ${requester.port} on ${requester.interface}: ${err.message}`);
          else if (!this.closed) this.o.count(requester.interface, 'proxied');
        }),
      (err: Error) => this.o.log.debug(`reply proxy: ${err.message}`),
    );
  }

  /** A UDP socket bound to the relay's address on `iface`. */
  private bind(iface: string, port: number, reuseAddr: boolean): Promise<dgram.Socket> {
    const address = this.o.localAddress(iface);
    if (address === null) return Promise.reject(noAddress(iface, this.o.family));
    const socket = dgram.createSocket({ type: this.o.family === 'ipv4' ? 'udp4' : 'udp6', reuseAddr });
    return new Promise((resolve, reject) => {
      const refused = (err: Error) => {
        socket.close();
        reject(new Error(`cannot bind ${scoped(address, iface)} port ${port}: ${err.message}`, { cause: err }));
      };
      socket.once('error', refused);
      socket.bind({ address: scoped(address, iface), port }, () => {
        socket.off('error', refused);
        socket.on('error', (err) => this.o.log.debug(`reply proxy socket on ${iface}: ${err.message}`));
        socket.unref();
        if (!this.closed) return resolve(socket);
        socket.close();
        reject(new Error('the reply proxy is closed'));
      });
    });
  }

  /** Closes the entries whose window and linger are over. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now < entry.expiresAt + this.lingerMs) continue;
      closeAll(entry.sockets.values());
      this.entries.delete(key);
    }
    if (this.entries.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.sweep(this.now()), 500);
    this.timer.unref();
  }
}

function closeAll(sockets: Iterable<Promise<dgram.Socket>>): void {
  for (const s of sockets) {
    s.then(
      (socket) => {
        try {
          socket.close();
        } catch {
          // closed already
        }
      },
      () => undefined,
    );
  }
}
