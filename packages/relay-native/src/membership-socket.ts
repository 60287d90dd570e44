// MembershipSocket: holds multicast memberships with the family-independent API (MCAST_JOIN_GROUP,
// MCAST_JOIN_SOURCE_GROUP), on an AF_INET and/or an AF_INET6 socket opened when first needed.
import { callNative } from './errors.js';
import { native, type NativeMembershipSocket } from './native.js';
import { addressBytes, parseIpAddress } from './ip-address.js';
import { membershipSchema } from './schema.js';
import { check } from './validate.js';

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
    const m = check(membershipSchema, '', { ifindex, group, source, interfaceName });
    const bytes = (text: string | undefined) => (text === undefined ? Buffer.alloc(0) : addressBytes(parseIpAddress(text)!));
    callNative(() => this.#native[what](m.ifindex, bytes(m.group), bytes(m.source), m.interfaceName ?? '', group));
  }
}
