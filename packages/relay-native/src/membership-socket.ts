// MembershipSocket: holds multicast memberships with the family-independent API (MCAST_JOIN_GROUP,
// MCAST_JOIN_SOURCE_GROUP), on an AF_INET and/or an AF_INET6 socket opened when first needed.
import { callNative } from './errors.js';
import { native, type NativeMembershipSocket } from './native.js';
import { integer, ipAddress } from './validate.js';

export class MembershipSocket {
  readonly #native: NativeMembershipSocket;
  #closed = false;

  constructor() {
    this.#native = callNative(() => new native.MembershipSocket());
  }

  /**
   * Joins `group` (IPv4 or IPv6) on `ifindex`: any-source (IGMP/MLD exclude mode, MCAST_JOIN_GROUP),
   * or with `source` (same family) source-specific (IGMPv3/MLDv2 include mode,
   * MCAST_JOIN_SOURCE_GROUP). Errors keep the kernel's errno: EADDRINUSE when the group is already
   * joined any-source on that ifindex; EADDRNOTAVAIL when that source is already joined; ENOBUFS past
   * the per-socket limits (net.ipv4.igmp_max_memberships, igmp_max_msf / net.ipv6.mld_max_msf).
   */
  join(ifindex: number, group: string, interfaceName?: string, source?: string): void {
    this.#change('join', ifindex, group, interfaceName, source);
  }

  /** Undoes the join made with the same arguments (MCAST_LEAVE_GROUP / MCAST_LEAVE_SOURCE_GROUP). */
  leave(ifindex: number, group: string, interfaceName?: string, source?: string): void {
    this.#change('leave', ifindex, group, interfaceName, source);
  }

  /** Idempotent; the kernel drops the memberships. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }

  #change(what: 'join' | 'leave', ifindex: number, group: string, interfaceName: string | undefined, source: string | undefined): void {
    const index = integer('ifindex', ifindex, 1, 0x7fffffff);
    const address = ipAddress('group', group, 'multicast');
    const from = source === undefined ? null : ipAddress('source', source, 'any', address.family, 'group');
    if (interfaceName !== undefined && typeof interfaceName !== 'string') {
      throw new TypeError(`interfaceName must be a string, received ${typeof interfaceName}`);
    }
    const name = interfaceName ?? '';
    callNative(() => this.#native[what](index, address.bytes, from?.bytes ?? Buffer.alloc(0), name, group));
  }
}
