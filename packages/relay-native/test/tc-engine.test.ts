// The tc engine on real namespaces (src ns -> relay ns -> sink ns, the lab's chain): the program
// attached to the relay's input forwards every packet of a UDP sender once, rewritten so that the
// sink's kernel accepts it (checksums included), counts it in the packet engine's shape, and goes
// with its owner: a relay process killed with SIGKILL leaves no program on the interface.
// Traffic: run under `flock /tmp/mcr-traffic.lock`.
import { execFileSync, spawn } from 'node:child_process';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startReceiver, udpFrame } from '@mcr/netns-lab';

import type { TcCounters } from '../src/index.js';
import { TcEngine } from '../src/tc-engine.js';
import { fixture } from './helpers/agent.js';
import { ChainBed, IN_GROUP, IN_PORT, OUT_GROUP, OUT_PORT } from './helpers/chain-bed.js';
import { waitFor } from './helpers/lab.js';

const N = 1000;

function why(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (namespaces, CAP_BPF, CAP_NET_ADMIN)';
  const support = TcEngine.probe();
  if (!support.clsBpf || !support.helpers) return `kernel lacks: ${support.missing.join(', ')}`;
  if (!support.tcx) return 'no tcx links on this kernel (the SIGKILL guarantee needs them)';
  return null;
}
const skipReason = why();
if (skipReason !== null) console.warn(`tc engine namespace tests skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('TcEngine (src -> relay -> sink namespaces)', () => {
  const bed = new ChainBed();

  beforeAll(async () => {
    await bed.up();
  }, 60_000);
  afterEach(async () => {
    await bed.cleanup();
  });
  afterAll(async () => {
    await bed.down();
  });

  it('forwards every packet once through a tcx link, rewritten so the sink accepts it, and counts it', async () => {
    const sink = await startReceiver({ netns: bed.ns.sink, interface: bed.dev.sink, streams: [{ group: OUT_GROUP, port: OUT_PORT }], expect: N, idleMs: 1500, durationSec: 60 });
    bed.onCleanup(() => sink.stop());
    const agent = bed.agent();
    await agent.call('tc.new', { id: 't', options: { interface: bed.dev.relayIn, ifindex: bed.inIfindex } });
    expect(await agent.call('tc.attach', { id: 't' })).toBe('tcx');
    expect(await agent.call('tc.programs', { ifindex: bed.inIfindex })).toBe(1);
    await agent.call('tc.setRules', { id: 't', rules: [bed.rule('r1', [bed.output()])], context: { ownMacs: [bed.mac.relayIn, bed.mac.relayOut] } });
    await bed.send(N);
    const report = (await sink.result).streams[0]!;
    expect(report).toMatchObject({ received: N, unique: N, duplicates: 0, missing: 0, corrupt: 0, foreign: 0 });
    const counters = await waitFor(
      () => agent.call<TcCounters>('tc.counters', { id: 't' }),
      (c) => c.forwarded >= N,
    );
    expect(counters).toMatchObject({ matched: N, forwarded: N, txErrors: 0, rewriteErrors: 0 });
    expect(counters.rules[0]).toMatchObject({ id: 'r1', matched: N, bytes: N * 64 });
    expect(counters.rules[0]!.outputs[0]).toMatchObject({ packets: N, bytes: N * (42 + 64), txErrors: 0 });
    await agent.call('tc.close', { id: 't' });
    expect(await agent.call('tc.programs', { ifindex: bed.inIfindex })).toBe(0);
  }, 60_000);

  it('shares an input with the packet engine: each frame of a fast-path rule is sent once, by one of them', async () => {
    const sink = await startReceiver({ netns: bed.ns.sink, interface: bed.dev.sink, streams: [{ group: OUT_GROUP, port: OUT_PORT }], expect: N, idleMs: 1500, durationSec: 60 });
    bed.onCleanup(() => sink.stop());
    const rules = [bed.rule('r1', [bed.output()])];
    const context = { ownMacs: [bed.mac.relayIn, bed.mac.relayOut], fastPathRules: ['r1'] };
    const worker = await bed.worker(rules, context);
    await worker.agent.call('tc.new', { id: 't', options: { interface: bed.dev.relayIn, ifindex: bed.inIfindex } });
    await worker.agent.call('tc.attach', { id: 't' });
    await worker.agent.call('tc.setRules', { id: 't', rules, context });
    await bed.send(N);
    // IPv4 options: a layout the program does not rewrite in place; the packet engine sends these.
    const options = Buffer.from([1, 1, 1, 0]);
    await bed.inject(Array.from({ length: 5 }, () => udpFrame({ group: IN_GROUP, port: IN_PORT, ipOptions: options })));
    const report = (await sink.result).streams[0]!;
    // The five option frames carry no sequence number: the sink counts each as corrupt, once.
    expect(report).toMatchObject({ unique: N, duplicates: 0, missing: 0, corrupt: 5 });
    // The ring's filter keeps the program's frames out: the worker reads the five option frames only.
    const w = await worker.waitFor((c) => c.forwarded >= 5);
    expect(w).toMatchObject({ framesSeen: 5, fastPath: 0, matched: 5, forwarded: 5 });
    const t = await worker.agent.call<TcCounters>('tc.counters', { id: 't' });
    expect(t).toMatchObject({ matched: N, forwarded: N });
    expect(t.deferred).toBeGreaterThanOrEqual(5);
  }, 60_000);

  /** An agent in its own process in the relay namespace, to be killed: `call` sends its n-th request. */
  function killableAgent() {
    // `ip netns exec` execs in place: the child's pid is the node process that holds the link.
    const child = spawn('ip', ['netns', 'exec', bed.ns.relay, process.execPath, fixture('agent.mjs')], { stdio: 'pipe' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const replies: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => replies.push(...chunk.toString().split('\n').filter(Boolean)));
    const call = async (line: object, n: number) => {
      child.stdin.write(`${JSON.stringify(line)}\n`);
      await waitFor(async () => replies.length, (length) => length >= n);
      const reply = JSON.parse(replies[n - 1]!) as { ok: boolean; value?: unknown };
      expect(reply.ok).toBe(true);
      return reply.value;
    };
    const kill = async () => {
      child.kill('SIGKILL');
      await exited;
    };
    return { call, kill };
  }

  /** The BPF filters on the relay input's clsact ingress, as tc lists them. */
  async function ingressFilters(): Promise<number> {
    const out = execFileSync('ip', ['netns', 'exec', bed.ns.relay, 'tc', 'filter', 'show', 'dev', bed.dev.relayIn, 'ingress'], { encoding: 'utf8' });
    // tc prints a filter's priority line, then one line per handle: count the handles.
    return out.split('\n').filter((line) => / bpf .*handle /.test(line)).length;
  }

  it('without tcx links (TEST-ONLY testOnlyNoTcx) attaches a clsact filter, which outlives a killed owner; the next owner replaces it, and each frame is sent once', async () => {
    const options = { interface: bed.dev.relayIn, ifindex: bed.inIfindex, testOnlyNoTcx: true };
    const rules = [bed.rule('r1', [bed.output()])];
    const context = { ownMacs: [bed.mac.relayIn, bed.mac.relayOut] };
    const first = killableAgent();
    await first.call({ op: 'tc.new', id: 't', options }, 1);
    expect(await first.call({ op: 'tc.attach', id: 't' }, 2)).toBe('cls_bpf');
    await first.call({ op: 'tc.setRules', id: 't', rules, context }, 3);
    await first.kill();
    // What the kernel cannot guarantee without tcx: the dead owner's program stays, and would forward.
    expect(await ingressFilters()).toBe(1);
    const sink = await startReceiver({ netns: bed.ns.sink, interface: bed.dev.sink, streams: [{ group: OUT_GROUP, port: OUT_PORT }], expect: N, idleMs: 1500, durationSec: 60 });
    bed.onCleanup(() => sink.stop());
    const agent = bed.agent();
    await agent.call('tc.new', { id: 't', options });
    expect(await agent.call('tc.attach', { id: 't' })).toBe('cls_bpf');
    expect(await ingressFilters()).toBe(1);
    await agent.call('tc.setRules', { id: 't', rules, context });
    await bed.send(N);
    // Two programs on the ingress would send each packet twice.
    expect((await sink.result).streams[0]).toMatchObject({ unique: N, duplicates: 0, missing: 0 });
    await agent.call('tc.close', { id: 't' });
    expect(await ingressFilters()).toBe(0);
  }, 60_000);

  it('leaves nothing attached when its process is killed with SIGKILL', async () => {
    const owner = killableAgent();
    const call = owner.call;
    await call({ op: 'tc.new', id: 't', options: { interface: bed.dev.relayIn, ifindex: bed.inIfindex } }, 1);
    expect(await call({ op: 'tc.attach', id: 't' }, 2)).toBe('tcx');
    const observer = bed.agent();
    expect(await observer.call('tc.programs', { ifindex: bed.inIfindex })).toBe(1);
    await owner.kill();
    const after = await waitFor(
      () => observer.call<number>('tc.programs', { ifindex: bed.inIfindex }),
      (count) => count === 0,
    );
    expect(after).toBe(0);
  }, 60_000);
});
