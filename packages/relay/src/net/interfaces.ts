import { readFileSync, existsSync } from 'node:fs';
import { isValidInterfaceName } from '@mcr/relay-native';

export { isValidInterfaceName };

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

/** Whether the interface is administratively and operationally up. */
export function interfaceIsUp(name: string): boolean {
  try {
    const flags = Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim());
    return (flags & 0x1) !== 0; // IFF_UP
  } catch {
    return false;
  }
}
