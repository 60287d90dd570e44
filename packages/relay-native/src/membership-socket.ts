// MembershipSocket: one UDP socket holding IP_ADD_MEMBERSHIP (ip_mreqn with imr_ifindex).
import { callNative } from './errors.js';
import { native, type NativeMembershipSocket } from './native.js';
import { integer, ipv4 } from './validate.js';

export class MembershipSocket {
  readonly #native: NativeMembershipSocket;
  #closed = false;

  constructor() {
    this.#native = callNative(() => new native.MembershipSocket());
  }

  /** EADDRINUSE when already joined on that ifindex; ENOBUFS past igmp_max_memberships. */
  join(ifindex: number, group: string, interfaceName?: string): void {
    this.#change('join', ifindex, group, interfaceName);
  }

  leave(ifindex: number, group: string, interfaceName?: string): void {
    this.#change('leave', ifindex, group, interfaceName);
  }

  /** Idempotent; the kernel drops the memberships. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }

  #change(what: 'join' | 'leave', ifindex: number, group: string, interfaceName: string | undefined): void {
    const index = integer('ifindex', ifindex, 1, 0x7fffffff);
    const address = ipv4('group', group, 'multicast');
    if (interfaceName !== undefined && typeof interfaceName !== 'string') {
      throw new TypeError(`interfaceName must be a string, received ${typeof interfaceName}`);
    }
    const name = interfaceName ?? '';
    callNative(() => this.#native[what](index, address, name, group));
  }
}
