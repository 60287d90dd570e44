// In-kernel reference that needs no multicast routing: on each input a clsact qdisc, and per stream a
// u32 match on its group and port whose actions mirror the frame to each output's egress.
//
//   tc qdisc add dev in0 clsact
//   tc filter add dev in0 ingress pref 1 protocol ip u32 match ip dst 239.1.0.1/32 match ip dport 5001 0xffff \
//      action mirred egress mirror dev out0 [action mirred egress mirror dev out1 ...]
//   IPv6: protocol ipv6 u32 match ip6 dst ff3e::1:1/128 match ip6 dport 5001 0xffff ...
//
// Like kernel multicast routing it forwards in the softirq that receives the frame (on veth: the
// sender's), so no process accounts for it (cpuSeconds() is null), and it rewrites nothing: frames
// leave with their group, port, TTL and MACs, so streams keep group and port (baselineRewrites). Unlike
// it, the TTL is not decremented. The original frame goes on into the relay namespace's own stack.
//
// Behind a snooping bridge the input groups must be joined: a membership holder (mcr-recv bound to
// the groups on the discard port 9, which no stream uses) joins them on the input and receives
// nothing, so it costs nothing per packet.
import { inNetns } from '../netns/index.js';
import type { Lab } from '../topology/index.js';
import { startReceiver, type ReceiverHandle } from '../traffic/index.js';
import { assertRelayAvailable } from './availability.js';
import { relayRole, resolveStreams } from './common.js';
import { relayTitle, type RelayStartOptions, type RelayUnderTest, type ResolvedStream, type StreamSpec } from './types.js';

/** The UDP port the membership holder binds: discard, never a stream's. */
const HOLDER_PORT = 9;
/** How long a membership holder may live at most (it is stopped with the relay). */
const HOLDER_BACKSTOP_SEC = 7 * 86_400;

/** Refuses a stream that changes group or port: a tc relay passes frames as they came. */
export function checkNoRewrite(relay: 'kernel-tc' | 'direct', streams: ResolvedStream[]): void {
  for (const s of streams) {
    if (s.outGroup !== s.group || s.outPort !== s.port) {
      throw new RangeError(`${relayTitle(relay)} cannot rewrite group/port: stream ${s.group}:${s.port} -> ${s.outGroup}:${s.outPort} (use outGroup == group and outPort == port)`);
    }
  }
}

/** `tc -batch` lines that install the streams' filters (one per stream and input). Pure. */
export function tcMirrorBatch(streams: ResolvedStream[]): string {
  checkNoRewrite('kernel-tc', streams);
  const inputs = [...new Set(streams.map((s) => s.inIfname))];
  const lines = inputs.map((i) => `qdisc add dev ${i} clsact`);
  streams.forEach((s, n) => {
    const match = s.family === 'ipv6' ? `protocol ipv6 u32 match ip6 dst ${s.group}/128 match ip6 dport ${s.port} 0xffff` : `protocol ip u32 match ip dst ${s.group}/32 match ip dport ${s.port} 0xffff`;
    const actions = s.outs.map((o) => `action mirred egress mirror dev ${o.ifname}`).join(' ');
    lines.push(`filter add dev ${s.inIfname} ingress pref ${n + 1} ${match} ${actions}`);
  });
  return lines.join('\n') + '\n';
}

/**
 * A relay made of tc filters on the inputs' clsact ingress: `batch` installs them, stopping deletes
 * the qdiscs (and with them the filters). Shared by kernel-tc and direct.
 */
export abstract class TcRelay implements RelayUnderTest {
  abstract readonly name: 'kernel-tc' | 'direct';
  abstract readonly label: string;
  /** The `tc -batch` text for the streams (throws RangeError for what the relay cannot do). */
  protected abstract batch(streams: ResolvedStream[]): string;
  private ns: string | undefined;
  private inputs: string[] = [];
  private holders: ReceiverHandle[] = [];

  async start(lab: Lab, streams: StreamSpec[], opts: RelayStartOptions = {}): Promise<void> {
    if (this.ns) throw new Error(`${this.label}: already started`);
    const role = relayRole(lab, opts);
    const resolved = resolveStreams(role, streams, opts.family);
    await assertRelayAvailable(this.name, resolved[0]!.family);
    const batch = this.batch(resolved);
    this.ns = role.ns;
    this.inputs = [...new Set(resolved.map((s) => s.inIfname))];
    try {
      await inNetns(role.ns, 'tc', ['-batch', '-'], { input: batch });
      if (opts.igmpJoin ?? lab.topo.switch !== undefined) {
        for (const input of this.inputs) {
          const groups = [...new Set(resolved.filter((s) => s.inIfname === input).map((s) => s.group))];
          this.holders.push(
            await startReceiver({ netns: role.ns, interface: input, streams: groups.map((group) => ({ group, port: HOLDER_PORT })), durationSec: HOLDER_BACKSTOP_SEC }),
          );
        }
      }
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const holders = this.holders;
    this.holders = [];
    await Promise.allSettled(holders.map((h) => h.stop()));
    const ns = this.ns;
    this.ns = undefined;
    if (ns) {
      // Deleting the clsact qdisc removes its filters with it.
      for (const input of this.inputs) await inNetns(ns, 'tc', ['qdisc', 'del', 'dev', input, 'clsact']).catch(() => {});
    }
    this.inputs = [];
  }

  /** Forwarding runs in softirq context of the sender's core: not attributable to a process. */
  async cpuSeconds(): Promise<null> {
    return null;
  }
}

export class KernelTcRelay extends TcRelay {
  readonly name = 'kernel-tc' as const;
  readonly label = relayTitle('kernel-tc');
  protected batch(streams: ResolvedStream[]): string {
    return tcMirrorBatch(streams);
  }
}
