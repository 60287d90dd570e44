// DatagramSocket: the UDP datagrams to one multicast group and port on one interface, heard and sent
// below the host's UDP stack (native: datagram_socket.hpp), for a discovery reflector. Each datagram
// arrives with its sender's address, port, TTL / hop limit and MAC; send() puts any unicast source
// address and port, a chosen TTL / hop limit and the socket's group and port on a payload.
import { callNative, runHandler, toNativeError } from './errors.js';
import { addressBytes, formatAddress, parseIpAddress, type AddressFamily } from './ip-address.js';
import { formatMac } from './ipv4.js';
import { native, type NativeDatagram, type NativeDatagramSocket } from './native.js';
import { datagramSocketOptionsSchema } from './schema.js';
import type { Datagram, DatagramCounters, DatagramSocketOptions } from './types.js';
import { check, normalizeDatagramMessage } from './validate.js';

export class DatagramSocket {
  readonly #native: NativeDatagramSocket;
  readonly #family: AddressFamily;
  readonly #onDatagram: (datagram: Datagram) => void;
  readonly #onError: ((error: Error) => void) | undefined;
  #closed = false;

  /**
   * Opens the socket on `ifindex` for `group` and `port` and starts its reader; throws NativeError
   * (ENODEV: no such interface; EPERM: no CAP_NET_RAW). While open it keeps the event loop alive.
   */
  constructor(options: DatagramSocketOptions) {
    const o = check(datagramSocketOptionsSchema, 'options', options);
    this.#family = o.family;
    this.#onDatagram = o.onDatagram;
    this.#onError = o.onError;
    const group = addressBytes(parseIpAddress(o.group)!);
    this.#native = callNative(
      () => new native.DatagramSocket(o.interfaceName, o.ifindex, o.family === 'ipv6', group, o.port, (d, error) => this.#deliver(d, error)),
    );
  }

  /**
   * Sends `payload` to the socket's group and port from `source`:`sourcePort` with `hopLimit` (IPv4
   * TTL / IPv6 hop limit). The native side builds the IP header (IPv4: no options, DF clear, header
   * checksum) and the UDP header with its checksum; the kernel puts the link header in front (the
   * group's MAC, the interface's own as source). Throws TypeError/RangeError naming the field, or
   * NativeError (EAGAIN: the send buffer is full; EBADF: closed; EMSGSIZE: past the link's MTU).
   */
  send(message: { source: string; sourcePort: number; hopLimit: number; payload: Buffer }): void {
    const m = normalizeDatagramMessage(this.#family, 'message', message);
    callNative(() => this.#native.send(m.source, m.sourcePort, m.hopLimit, m.payload));
  }

  /** Thread-safe snapshot (atomics), plus the kernel's drops accumulated across reads. */
  counters(): DatagramCounters {
    return this.#native.counters();
  }

  /** Idempotent. Stops and joins the reader, closes the socket and releases the event loop; no callback runs after it returns. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }

  #deliver(datagram: NativeDatagram | null, error: unknown): void {
    runHandler(() => {
      if (datagram !== null) this.#onDatagram(toDatagram(this.#family, datagram));
      else this.#onError?.(toNativeError(error) as Error);
    });
  }
}

function toDatagram(family: AddressFamily, d: NativeDatagram): Datagram {
  return {
    family,
    source: formatAddress(d.source),
    sourcePort: d.sourcePort,
    destination: formatAddress(d.destination),
    payload: d.payload,
    hopLimit: d.hopLimit,
    sourceMac: formatMac(d.sourceMac),
  };
}
