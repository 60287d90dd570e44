// The `switch` topology's bridge forwards nothing to the relay port for ~10 s after creation
// (field notes: 10.4-11.1 s measured, whatever the query intervals): until its own querier is
// established it would flood, and flooding is off on that port. `awaitSnooping` joins a probe
// group behind the port and sends probes from the source until one arrives.
import { execa } from 'execa';
import { run } from '../netns/index.js';
import type { Lab } from './realise.js';

export interface SnoopingProbe {
  /** Probe group and port; default 239.255.77.77:5999 (keep it out of your test's groups). */
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

/** Resolves with the milliseconds waited once a probe passes the bridge; throws after the timeout. */
export async function awaitSnooping(lab: Lab, probe: SnoopingProbe = {}): Promise<number> {
  const group = probe.group ?? '239.255.77.77';
  const port = probe.port ?? 5999;
  const ns = probe.ns ?? lab.topo.relay.ns;
  const ifname = probe.ifname ?? lab.topo.relay.inputs[0]!.ifname;
  const timeoutMs = probe.timeoutMs ?? 30_000;
  const src = lab.topo.source;
  const t0 = Date.now();
  // The receiver's join sends an unsolicited IGMP report; the bridge's querier later asks again.
  const receiver = execa('ip', ['netns', 'exec', ns, 'socat', '-u',
    `UDP4-RECV:${port},bind=${group},ip-add-membership=${group}:${ifname},reuseaddr`, 'STDOUT'], { reject: false, stdin: 'ignore' });
  let arrived = false;
  receiver.stdout?.on('data', () => {
    arrived = true;
  });
  try {
    while (!arrived) {
      if (receiver.exitCode !== null) throw new Error(`awaitSnooping: probe receiver exited: ${(await receiver).stderr}`);
      if (Date.now() - t0 > timeoutMs) {
        throw new Error(`awaitSnooping: probe ${group}:${port} did not reach ${ns}/${ifname} within ${timeoutMs} ms`);
      }
      await run('ip', ['netns', 'exec', src.ns, 'socat', '-u', 'STDIN',
        `UDP4-SENDTO:${group}:${port},ip-multicast-if=${src.ip},ip-multicast-ttl=8`], { input: 'probe\n' });
      await sleep(probe.intervalMs ?? 250);
    }
    return Date.now() - t0;
  } finally {
    receiver.kill('SIGTERM');
    await receiver;
  }
}
