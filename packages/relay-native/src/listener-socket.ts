// ListenerSocket: the router side of IGMP / MLD on one interface (native: listener_socket.hpp). It
// hears every IGMP (ipv4) or MLD (ipv6) packet that arrives there, and sends the messages it is
// given with the IP header a router puts on them.
import { callNative, runHandler, toNativeError } from './errors.js';
import { formatAddress, type AddressFamily } from './ip-address.js';
import { formatMac } from './ipv4.js';
import { native, type NativeListenerPacket, type NativeListenerSocket } from './native.js';
import { listenerSocketOptionsSchema } from './schema.js';
import type { ListenerCounters, ListenerPacket, ListenerSocketOptions } from './types.js';
import { check, normalizeListenerMessage } from './validate.js';

export class ListenerSocket {
  readonly #native: NativeListenerSocket;
  readonly #family: AddressFamily;
  readonly #onPacket: (packet: ListenerPacket) => void;
  readonly #onError: ((error: Error) => void) | undefined;
  #closed = false;

  /**
   * Opens the socket on `ifindex` and starts its reader; throws NativeError (ENODEV: no such
   * interface; EPERM: no CAP_NET_RAW). While open it keeps the event loop alive, and itself: the
   * native reader holds this object until close().
   */
  constructor(options: ListenerSocketOptions) {
    const o = check(listenerSocketOptionsSchema, 'options', options);
    this.#family = o.family;
    this.#onPacket = o.onPacket;
    this.#onError = o.onError;
    this.#native = callNative(
      () => new native.ListenerSocket(o.interfaceName, o.ifindex, o.family === 'ipv6', (packet, error) => this.#deliver(packet, error)),
    );
  }

  /**
   * Sends one IGMP (ipv4) or MLD (ipv6) message, `payload` with its checksum already in place. The
   * native side puts the IP header in front (IPv4: TOS 0xc0, DF, TTL 1, Router Alert, header
   * checksum; IPv6: hop limit 1, a Hop-by-Hop header with Router Alert value 0 and PadN, next header
   * 58) and the kernel the link header (the destination's multicast MAC, the interface's own as
   * source). Throws TypeError/RangeError naming the field, or NativeError (EAGAIN: the socket's
   * send buffer is full; EBADF: closed).
   */
  send(message: { source: string; destination: string; payload: Buffer }): void {
    const m = normalizeListenerMessage(this.#family, 'message', message);
    callNative(() => this.#native.send(m.source, m.destination, m.payload, m.destinationText));
  }

  /** Thread-safe snapshot (atomics), plus the kernel's drops accumulated across reads. */
  counters(): ListenerCounters {
    return this.#native.counters();
  }

  /**
   * Idempotent. Stops and joins the reader, closes the socket (the interface's ALLMULTI reference
   * goes with it) and releases the event loop; no callback runs after it returns.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }

  #deliver(packet: NativeListenerPacket | null, error: unknown): void {
    runHandler(() => {
      if (packet !== null) this.#onPacket(toListenerPacket(this.#family, packet));
      else this.#onError?.(toNativeError(error) as Error);
    });
  }
}

function toListenerPacket(family: AddressFamily, p: NativeListenerPacket): ListenerPacket {
  return {
    family,
    source: formatAddress(p.source),
    destination: formatAddress(p.destination),
    payload: p.payload,
    hopLimit: p.hopLimit,
    routerAlert: p.routerAlert,
    sourceMac: formatMac(p.sourceMac),
  };
}
