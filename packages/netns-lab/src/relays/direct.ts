// The machine's own ceiling: a plain bridge in the relay namespace in place of a relay, its ports
// the relay's inputs and outputs.
//
//   ip link add dbr0 type bridge mcast_snooping 0
//   ip link set in0 master dbr0; ip link set out0 master dbr0 ...; ip link set dbr0 up
//
// Without snooping it floods every multicast frame to every other port, unchanged: what sender and
// receivers alone sustain, and their latency with nothing in between. Like the in-kernel references
// it works in the sender's softirq (no process accounts for it) and rewrites nothing, so streams keep
// group and port. Stopping deletes the bridge; its ports go back to the relay namespace as they were.
import { inNetns } from '../netns/index.js';
import type { Lab } from '../topology/index.js';
import { relayRole, resolveStreams } from './common.js';
import { relayTitle, type RelayStartOptions, type RelayUnderTest, type StreamSpec } from './types.js';

/** The bridge's name in the relay namespace (no topology uses it). */
export const DIRECT_BRIDGE = 'dbr0';

/** The `ip -batch` lines that put `ports` on the direct bridge. Pure. */
export function directBridgeBatch(ports: string[]): string {
  return [
    `link add ${DIRECT_BRIDGE} type bridge mcast_snooping 0`,
    ...ports.map((p) => `link set ${p} master ${DIRECT_BRIDGE}`),
    `link set ${DIRECT_BRIDGE} up`,
  ].join('\n') + '\n';
}

export class DirectRelay implements RelayUnderTest {
  readonly name = 'direct' as const;
  readonly label = relayTitle('direct');
  private ns: string | undefined;

  async start(lab: Lab, streams: StreamSpec[], opts: RelayStartOptions = {}): Promise<void> {
    if (this.ns) throw new Error(`${this.label}: already started`);
    const role = relayRole(lab, opts);
    const resolved = resolveStreams(role, streams, opts.family);
    for (const s of resolved) {
      if (s.outGroup !== s.group || s.outPort !== s.port) {
        throw new RangeError(`${this.label} cannot rewrite group/port: stream ${s.group}:${s.port} -> ${s.outGroup}:${s.outPort}`);
      }
    }
    const ports = [...new Set(resolved.flatMap((s) => [s.inIfname, ...s.outs.map((o) => o.ifname)]))];
    this.ns = role.ns;
    try {
      await inNetns(role.ns, 'ip', ['-batch', '-'], { input: directBridgeBatch(ports) });
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const ns = this.ns;
    this.ns = undefined;
    if (ns) await inNetns(ns, 'ip', ['link', 'del', DIRECT_BRIDGE]).catch(() => {});
  }

  async cpuSeconds(): Promise<null> {
    return null;
  }
}
