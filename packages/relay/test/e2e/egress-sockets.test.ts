import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inNetns, runSender, type Lab } from '@mcr/netns-lab';
import { RelayProcess, ruleFor, sleep, streamPlan, useChainLab, waitFor } from './harness.js';

// A worker opens an egress socket per output interface when a table first sends on it. Outputs come and
// go with rules and interfaces (a tunnel or container link re-created gets a new ifindex each time):
// the sockets of outputs no table uses any more must be closed, or a long-lived worker runs out of
// descriptors.

const CYCLES = 200;
const TX = 'mcrtx0';
const CYCLE_GROUP = '239.1.200.1';
const CYCLE_PORT = 5999;

describe('egress sockets of outputs that went away', () => {
  let lab: Lab;
  useChainLab((l) => (lab = l));

  it(`closes them: a worker's descriptors stay flat over ${CYCLES} add/remove cycles on a re-created interface, which it sends on`, async () => {
    const [s0] = streamPlan(1);
    const ns = lab.topo.relay.ns;
    const relay = await RelayProcess.start(ns, { rules: [ruleFor(s0!, lab)] });
    try {
      const pid: number = (await relay.result('stats')).workers[0].pid;
      const fds = async () => {
        // A table the forwarding thread may still read keeps its sockets: it loads the current table
        // within 200 ms even when idle, and the next counter read frees what it left behind.
        await sleep(300);
        await relay.result('stats');
        return readdirSync(`/proc/${pid}/fd`).length;
      };
      const counts: number[] = [];
      for (let i = 0; i <= CYCLES; i++) {
        if (i % 50 === 0) counts.push(await fds());
        if (i === CYCLES) break;
        // A fresh interface under the same name (a veth pair; its peer goes with it): a new ifindex every cycle.
        await inNetns(ns, 'ip', ['-batch', '-'], { input: `link add ${TX} type veth peer name ${TX}p\nlink set ${TX} up\nlink set ${TX}p up\naddr add 10.250.0.1/24 dev ${TX}\n` });
        await relay.result('add', {
          rule: { id: `cycle${i}`, join: false, input: { interface: 'in0', group: CYCLE_GROUP, port: CYCLE_PORT }, outputs: [{ interface: TX, group: '239.9.200.1', port: CYCLE_PORT }] },
        });
        if (i % 10 === 0) {
          // Now and then the rule carries traffic: it goes out of this cycle's interface, not a dead one.
          const src = lab.topo.source;
          await runSender({ netns: src.ns, interface: src.ifname, streams: [{ group: CYCLE_GROUP, port: CYCLE_PORT }], count: 5, rate: 1000, ttl: 8 });
          const output = async () => (await relay.result('stats')).rules.find((r: { id: string }) => r.id === `cycle${i}`).outputs[0];
          await waitFor(`cycle ${i}: 5 packets through`, async () => {
            const o = await output();
            return o.packets + o.txErrors >= 5;
          }, 3000).catch(() => undefined);
          expect(await output(), `cycle ${i}`).toMatchObject({ packets: 5, txErrors: 0 });
        }
        await relay.result('remove', { id: `cycle${i}` });
        await inNetns(ns, 'ip', ['link', 'del', TX]);
      }
      // The same worker throughout (no restart), with as many descriptors every 50 cycles as before the first.
      const stats = await relay.result('stats');
      expect(stats.workers[0]).toMatchObject({ pid, restarts: 0 });
      console.log(`worker ${pid}: open descriptors every 50 cycles: ${counts.join(', ')}`);
      expect(counts.every((n) => n === counts[0]), `descriptors every 50 cycles: ${counts.join(', ')}`).toBe(true);
    } finally {
      await inNetns(ns, 'ip', ['link', 'del', TX]).catch(() => undefined);
      expect(await relay.stop()).toBe(0);
    }
  });
});
