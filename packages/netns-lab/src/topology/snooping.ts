// The `switch` topology's bridge forwards nothing to the relay port for ~10 s after creation
// (field notes: 10.4-11.1 s measured, whatever the query intervals): until its own querier is
// established it would flood, and flooding is off on that port. `awaitSnooping` joins a probe
// group behind the port and sends probes from the source until one arrives. IGMP and MLD are
// separate machines in the bridge: wait with the family the traffic will use.
import { execa } from 'execa';
import { run } from '../netns/index.js';
import { endpointIp } from './address-plan.js';
import type { Lab } from './realise.js';
import type { AddressFamily } from './types.js';

/** Default probe groups, outside the stream plan (ff3e::1:*, ff3e::9:*, 239.1.*, 239.9.*). */
export const SNOOPING_PROBE_GROUP: Record<AddressFamily, string> = { ipv4: '239.255.77.77', ipv6: 'ff3e::ff:7777' };

/** socat addresses of the probe receiver (joined on `ifname`) and sender (out of the source's interface). */
function probeAddresses(family: AddressFamily, group: string, port: number, ifname: string, src: { ifname: string; ip: string }): [string, string] {
  if (family === 'ipv6') {
    return [
      `UDP6-RECV:${port},bind=[${group}],ipv6-join-group=[${group}]:${ifname},reuseaddr`,
      // socat 1.7.4 has no ipv6-multicast-if/-hops: SO_BINDTODEVICE, IPV6_MULTICAST_HOPS (41:18) = 8.
      `UDP6-SENDTO:[${group}]:${port},so-bindtodevice=${src.ifname},setsockopt-int=41:18:8`,
    ];
  }
  return [
    `UDP4-RECV:${port},bind=${group},ip-add-membership=${group}:${ifname},reuseaddr`,
    `UDP4-SENDTO:${group}:${port},ip-multicast-if=${src.ip},ip-multicast-ttl=8`,
  ];
}

export interface SnoopingProbe {
  /** IGMP (ipv4, the default) or MLD (ipv6) snooping. */
  family?: AddressFamily;
  /** Probe group and port; default SNOOPING_PROBE_GROUP[family]:5999 (keep it out of your test's groups). */
  group?: string;
  port?: number;
  /** Where the probe receiver joins; default the relay's first input. */
  ns?: string;
  ifname?: string;
  /** Give up after this long; default 30 s. */
  timeoutMs?: number;
  /** Time between probes; default 250 ms. */
  intervalMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The bridge forwards after ~10.5 s when its querier works. Past this, an IPv6 wait restarts the
 * querier once (off, on): the field notes' remedy for an MLD querier that queried without a usable
 * address. up() starts it late to avoid that; this is the backstop (seen once in a dozen runs on a
 * busy machine).
 */
const QUERIER_RESTART_AFTER_MS = 15_000;

/** Resolves with the milliseconds waited once a probe passes the bridge; throws after the timeout. */
export async function awaitSnooping(lab: Lab, probe: SnoopingProbe = {}): Promise<number> {
  const family = probe.family ?? 'ipv4';
  const group = probe.group ?? SNOOPING_PROBE_GROUP[family];
  const port = probe.port ?? 5999;
  const ns = probe.ns ?? lab.topo.relay.ns;
  const ifname = probe.ifname ?? lab.topo.relay.inputs[0]!.ifname;
  const timeoutMs = probe.timeoutMs ?? 30_000;
  const src = lab.topo.source;
  const [recvAddress, sendAddress] = probeAddresses(family, group, port, ifname, { ifname: src.ifname, ip: endpointIp(src, family) });
  const t0 = Date.now();
  // The receiver's join sends an unsolicited IGMP / MLD report; the bridge's querier later asks again.
  const receiver = execa('ip', ['netns', 'exec', ns, 'socat', '-u', recvAddress, 'STDOUT'], { reject: false, stdin: 'ignore' });
  let arrived = false;
  receiver.stdout?.on('data', () => {
    arrived = true;
  });
  const sw = lab.topo.switch;
  let querierRestarted = family !== 'ipv6' || !sw;
  try {
    while (!arrived) {
      if (!querierRestarted && Date.now() - t0 > QUERIER_RESTART_AFTER_MS) {
        querierRestarted = true;
        for (const v of ['0', '1']) await run('ip', ['-n', sw!.ns, 'link', 'set', sw!.bridge, 'type', 'bridge', 'mcast_querier', v]);
      }
      if (receiver.exitCode !== null) throw new Error(`awaitSnooping: probe receiver exited: ${(await receiver).stderr}`);
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`awaitSnooping: ${family} probe ${group}:${port} did not reach ${ns}/${ifname} within ${timeoutMs} ms`);
      }
      await run('ip', ['netns', 'exec', src.ns, 'socat', '-u', 'STDIN', sendAddress], { input: 'probe\n' });
      await sleep(probe.intervalMs ?? 250);
    }
    return Date.now() - t0;
  } finally {
    receiver.kill('SIGTERM');
    await receiver;
  }
}
