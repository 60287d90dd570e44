#!/usr/bin/env node
// Latency and CPU of the forwarding loop under named option sets, compared side by side.
//
//   node tools/latency-probe.mjs --rate 20000,50000 --seconds 3 --repeats 3 \
//     --variant 'fixed300={"coalesceMicros":300}' --variant 'zero={"coalesceMicros":0}' --variant 'default={}'
//     [--variant kernel]
//
// Sets up the lab's chain (src ns -> relay ns -> sink ns) once, then for every repeat, rate and
// variant (interleaved: rung by rung, so drift in the shared machine's load hits every variant
// alike) starts a DataPlaneWorker with those options in the relay namespace (test/fixtures/agent.mjs),
// paces mcr-send at the rate (1000 B), reads mcr-recv's latency p50/p99 and the worker process's CPU
// (sum of its threads' schedstat run time, /proc/PID/task/*/schedstat) over the sending window, and
// tears everything down (the namespaces too, even on failure). The variant named `kernel` is the
// in-kernel reference instead (the lab's smcroute relay, same stream, path primed before counting;
// its forwarding runs in the sender's softirq, so it has no CPU figure). Prints one JSON line per run and a
// table of medians with min..max at the end. Needs root and the built package (nx run relay-native:build).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { KernelMfcRelay as KernelRelay, chain, inNetns, runSender, startReceiver, uniquePrefix, up } from '@mcr/netns-lab';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '20000,50000' },
    seconds: { type: 'string', default: '3' },
    repeats: { type: 'string', default: '3' },
    size: { type: 'string', default: '1000' },
    variant: { type: 'string', multiple: true, default: ['default={}'] },
  },
});
const rates = values.rate.split(',').map(Number);
const seconds = Number(values.seconds);
const repeats = Number(values.repeats);
const size = Number(values.size);
const variants = values.variant.map((text) => {
  if (text === 'kernel') return { name: 'kernel', kernel: true };
  const at = text.indexOf('=');
  if (at < 1) throw new TypeError(`--variant must be NAME=JSON or kernel, received ${JSON.stringify(text)}`);
  return { name: text.slice(0, at), options: JSON.parse(text.slice(at + 1)) };
});

const agentPath = fileURLToPath(new URL('../test/fixtures/agent.mjs', import.meta.url));
const IN = { group: '239.1.1.1', port: 5001 };
const OUT = { group: '239.9.9.1', port: 6001 };

class Agent {
  constructor(ns) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, agentPath], { stdio: 'pipe' });
    this.pending = [];
    this.stderr = '';
    this.child.stderr.on('data', (chunk) => (this.stderr += chunk));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line);
      const waiter = this.pending.shift();
      if (reply.ok) waiter?.resolve(reply.value);
      else waiter?.reject(new Error(`${reply.error.message} (${reply.error.code ?? reply.error.name})`));
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
  }
  call(op, args = {}) {
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ op, ...args })}\n`);
    });
  }
  /** Nanoseconds on CPU of every thread of the agent (the worker thread included). */
  cpuNs() {
    let total = 0;
    const dir = `/proc/${this.child.pid}/task`;
    for (const task of readdirSync(dir)) {
      try {
        total += Number(readFileSync(`${dir}/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended between readdir and read
      }
    }
    return total;
  }
  /** Voluntary context switches of every thread: how often the loop slept or blocked. */
  switches() {
    let total = 0;
    const dir = `/proc/${this.child.pid}/task`;
    for (const task of readdirSync(dir)) {
      try {
        total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`${dir}/${task}/status`, 'utf8'))[1]);
      } catch {
        // a thread that ended between readdir and read
      }
    }
    return total;
  }
  async close() {
    this.child.stdin.end();
    await this.exited;
  }
}

async function link(ns, ifname) {
  const { stdout } = await inNetns(ns, 'ip', ['-j', 'link', 'show', 'dev', ifname]);
  const [info] = JSON.parse(stdout);
  return { ifindex: info.ifindex, mac: info.address };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One line of the report: the sender's and receiver's facts, and the relay's. */
function runResult(variant, rate, sent, report, relay) {
  const { p50, p99, max } = report.latencyUs;
  return { variant, rate, achievedPps: Math.round(sent.achievedPps), p50, p99, max, missing: report.missing, ...relay };
}

/** The in-kernel reference (smcroute) on the same chain: the stream keeps its group and port. */
async function runKernel(bed, rate) {
  const relay = new KernelRelay();
  await relay.start(bed.lab, [{ ...IN, outGroup: IN.group, outPort: IN.port }]);
  try {
    // (*,G) becomes (S,G) on the first packets: prime the path before the counted run.
    await runSender({ netns: bed.ns.src, interface: bed.dev.src, streams: [IN], count: 50, size, ttl: 8, rate: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const count = Math.round(rate * seconds);
    const sink = await startReceiver({ netns: bed.ns.sink, interface: bed.dev.sink, streams: [IN], expect: count, idleMs: 1000, durationSec: seconds + 30 });
    const sent = await runSender({ netns: bed.ns.src, interface: bed.dev.src, streams: [IN], count, size, ttl: 8, rate });
    const report = (await sink.result).streams[0];
    return runResult('kernel', rate, sent, report, { cpuUsPerPacket: NaN, wakeupsPerPacket: NaN, forwarded: report.unique });
  } finally {
    await relay.stop();
  }
}

async function runOnce(bed, variant, rate) {
  if (variant.kernel) return runKernel(bed, rate);
  const agent = new Agent(bed.ns.relay);
  try {
    const options = { interface: bed.dev.relayIn, ifindex: bed.inIfindex, fanout: { mode: 'hash' }, ...variant.options };
    await agent.call('worker.new', { id: 'w', options });
    await agent.call('worker.setRules', { id: 'w', rules: [bed.rule] });
    await agent.call('worker.start', { id: 'w' });
    const count = Math.round(rate * seconds);
    const sink = await startReceiver({
      netns: bed.ns.sink,
      interface: bed.dev.sink,
      streams: [OUT],
      expect: count,
      idleMs: 1000,
      durationSec: seconds + 30,
    });
    const cpuBefore = agent.cpuNs();
    const switchesBefore = agent.switches();
    const sent = await runSender({ netns: bed.ns.src, interface: bed.dev.src, streams: [IN], count, size, ttl: 8, rate });
    const cpuAfter = agent.cpuNs();
    const switchesAfter = agent.switches();
    const report = (await sink.result).streams[0];
    const counters = await agent.call('worker.counters', { id: 'w' });
    const forwarded = Math.max(1, counters.forwarded);
    return runResult(variant.name, rate, sent, report, {
      cpuUsPerPacket: (cpuAfter - cpuBefore) / 1000 / forwarded,
      wakeupsPerPacket: (switchesAfter - switchesBefore) / forwarded,
      forwarded: counters.forwarded,
    });
  } finally {
    await agent.close();
  }
}

const lab = await up(chain({ prefix: uniquePrefix() }));
const results = [];
try {
  const { source, relay, sinks } = lab.topo;
  const bed = {
    lab,
    ns: { src: source.ns, relay: relay.ns, sink: sinks[0].ns },
    dev: { src: source.ifname, relayIn: relay.inputs[0].ifname, relayOut: relay.outputs[0].ifname, sink: sinks[0].ifname },
  };
  bed.inIfindex = (await link(bed.ns.relay, bed.dev.relayIn)).ifindex;
  const out = await link(bed.ns.relay, bed.dev.relayOut);
  bed.rule = {
    id: 'probe',
    ...IN,
    outputs: [{ interface: bed.dev.relayOut, ifindex: out.ifindex, ...OUT, ttl: 8, sourceAddress: relay.outputs[0].ip, sourceMac: out.mac }],
  };
  for (let r = 0; r < repeats; ++r) {
    for (const rate of rates) {
      // Rotate the order each repeat: no variant always runs first (or right after another's load).
      for (let v = 0; v < variants.length; ++v) {
        const variant = variants[(v + r) % variants.length];
        const result = { repeat: r, ...(await runOnce(bed, variant, rate)) };
        results.push(result);
        console.log(JSON.stringify(result));
      }
    }
  }
} finally {
  await lab.down();
}

const fmt = (xs, digits = 0) =>
  xs.some(Number.isNaN) ? '-' : `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}..${Math.max(...xs).toFixed(digits)})`;
console.log(`\n| rate | variant | p50 us | p99 us | CPU us/pkt | wake-ups/pkt | missing |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const rate of rates) {
  for (const variant of variants) {
    const rs = results.filter((x) => x.rate === rate && x.variant === variant.name);
    console.log(
      `| ${rate / 1000} kpps | ${variant.name} | ${fmt(rs.map((x) => x.p50))} | ${fmt(rs.map((x) => x.p99))} | ${fmt(rs.map((x) => x.cpuUsPerPacket), 2)} | ${fmt(rs.map((x) => x.wakeupsPerPacket), 2)} | ${rs.map((x) => x.missing).join(',')} |`,
    );
  }
}
