// Tiny local helper: two namespaces joined by one veth pair, enough for the traffic tools' own
// tests. The lab's topology module will replace it; until then it stays deliberately small.
// Names: `mt` + 6 random hex chars, so parallel runs and leftovers never collide.
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export interface VethPair {
  prefix: string;
  /** Sender side: namespace, interface, address. */
  a: { netns: string; ifname: string; address: string };
  /** Receiver side. */
  b: { netns: string; ifname: string; address: string };
  destroy(): Promise<void>;
}

async function ip(args: string[]): Promise<void> {
  await execa('ip', args, { stdin: 'ignore' });
}

async function nsExec(netns: string, cmd: string, args: string[]): Promise<void> {
  await execa('ip', ['netns', 'exec', netns, cmd, ...args], { stdin: 'ignore' });
}

export async function createVethPair(subnet = '10.201.0'): Promise<VethPair> {
  const prefix = `mt${randomBytes(3).toString('hex')}`;
  const a = { netns: `${prefix}-a`, ifname: `${prefix}a`, address: `${subnet}.1` };
  const b = { netns: `${prefix}-b`, ifname: `${prefix}b`, address: `${subnet}.2` };
  const created: string[] = [];
  const destroy = async (): Promise<void> => {
    // Deleting a namespace deletes its veth end, and with it the peer.
    for (const ns of created.reverse()) await execa('ip', ['netns', 'del', ns], { reject: false });
  };
  try {
    for (const side of [a, b]) {
      await ip(['netns', 'add', side.netns]);
      created.push(side.netns);
    }
    await ip(['link', 'add', a.ifname, 'netns', a.netns, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.netns]);
    for (const side of [a, b]) {
      await ip(['-n', side.netns, 'link', 'set', 'lo', 'up']);
      await ip(['-n', side.netns, 'addr', 'add', `${side.address}/24`, 'dev', side.ifname]);
      await ip(['-n', side.netns, 'link', 'set', side.ifname, 'up']);
      // Multicast leaves and arrives on the veth, not on a default route that does not exist.
      await ip(['-n', side.netns, 'route', 'add', '224.0.0.0/4', 'dev', side.ifname]);
      await nsExec(side.netns, 'sysctl', [
        '-qw',
        'net.ipv4.conf.all.rp_filter=0',
        'net.ipv4.conf.default.rp_filter=0',
        `net.ipv4.conf.${side.ifname}.rp_filter=0`,
      ]);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { prefix, a, b, destroy };
}

/** Namespaces whose name starts with prefix (for the "nothing left behind" check). */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const { stdout } = await execa('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}
