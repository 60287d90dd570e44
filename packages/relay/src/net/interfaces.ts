import { readFileSync, existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';

/** What the data plane needs to know about an interface to send on it and join groups on it. */
export interface InterfaceInfo {
  name: string;
  ifindex: number;
  mac: string;
  /** First IPv4 address, used as the source address of rewritten packets. */
  ipv4: string | null;
}

export class InterfaceError extends Error {
  constructor(
    message: string,
    readonly interfaceName: string,
  ) {
    super(message);
    this.name = 'InterfaceError';
  }
}

const IFNAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

export function isValidInterfaceName(name: string): boolean {
  return IFNAME.test(name) && name !== '.' && name !== '..';
}

export function interfaceExists(name: string): boolean {
  return isValidInterfaceName(name) && existsSync(`/sys/class/net/${name}`);
}

const ARPHRD_ETHER = 1;

/** Whether the interface carries Ethernet frames with a 6-byte MAC (sysfs `type` 1, `addr_len` 6). */
export function isEthernetInterface(name: string): boolean {
  if (!interfaceExists(name)) return false;
  try {
    const sys = `/sys/class/net/${name}`;
    return Number(readFileSync(`${sys}/type`, 'utf8').trim()) === ARPHRD_ETHER && Number(readFileSync(`${sys}/addr_len`, 'utf8').trim()) === 6;
  } catch {
    return false; // removed between the reads
  }
}

/** Reads the interface from sysfs of the current network namespace. */
export function interfaceInfo(name: string): InterfaceInfo {
  if (!interfaceExists(name)) {
    throw new InterfaceError(`interface "${name}" does not exist in this network namespace`, name);
  }
  const sys = `/sys/class/net/${name}`;
  const ifindex = Number(readFileSync(`${sys}/ifindex`, 'utf8').trim());
  const mac = readFileSync(`${sys}/address`, 'utf8').trim();
  const ipv4 = networkInterfaces()[name]?.find((a) => a.family === 'IPv4')?.address ?? null;
  return { name, ifindex, mac, ipv4 };
}

/** Whether the interface is administratively and operationally up. */
export function interfaceIsUp(name: string): boolean {
  try {
    const flags = Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim());
    return (flags & 0x1) !== 0; // IFF_UP
  } catch {
    return false;
  }
}
