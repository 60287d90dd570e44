#!/usr/bin/env node
// How fast mcr-send can send, and what its way of sending costs the relay a bed measures.
//
// Default: the sender's ceiling through a direct path: mcr-send unthrottled (--rate 0) from the
// chain's source (eth0) across one veth to mcr-recv in the relay namespace (in0), nothing
// forwarding in between. Each way of sending (UDP socket, --raw, --senders 2, both) with 1 and 10
// streams, repeated, interleaved trial by trial (the order rotates every repeat) so drift of the
// shared machine hits all alike.
//
// --through-mcr: paced trials through an mcr relay in the lab's bed (chain topology, one bed per
// way of sending, interleaved the same way) at --rates, with --streams: what a way of sending
// does to the loss, latency and CPU of the relay under test on a 2-core machine.
//
// Prints one JSON line per trial on stderr and a summary (median, min-max) as JSON on stdout.
// Run as root, alone on the machine's traffic lock, after `npx nx run mcr-lab:build`:
//   flock /tmp/mcr-traffic.lock node packages/mcr-lab/tools/sender-ceiling.mjs [--duration 3] [--repeats 3] [--size 1000] [--out FILE]
//   flock /tmp/mcr-traffic.lock node packages/mcr-lab/tools/sender-ceiling.mjs --through-mcr --rates 100000,150000,200000 [--streams 10] [--modes udp,raw]
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { integerValue, numberValue, optionsHelp, parseFlags, reportUsageError, UsageError } from '@mcr/cli-kit';
import { chain, DEFAULT_PAYLOAD, MAX_PAYLOAD, MAX_STREAMS, MIN_PAYLOAD, runSender, startReceiver, uniquePrefix, up } from '@mcr/netns-lab';
import { openBed } from '../dist/index.js';

const MODE_OPTIONS = {
  udp: { raw: false, senders: 1 },
  raw: { raw: true, senders: 1 },
  senders2: { raw: false, senders: 2 },
  'raw+senders2': { raw: true, senders: 2 },
};
/** "a,b": some of `known`, in the order given. */
const listOf = (known) =>
  z.string().transform((text, ctx) => {
    const list = text.split(',').map((x) => x.trim()).filter(Boolean);
    for (const x of list) if (!known.includes(x)) ctx.addIssue(`unknown ${JSON.stringify(x)} (expected some of ${known.join(',')})`);
    return list;
  });
/** "100000,150000" (one rate comes as a number: the command line passes number text as one). */
const rateList = z.union([z.number(), z.string()]).transform((given, ctx) => {
  const list = String(given).split(',').map((x) => Number(x.trim()));
  if (list.some((x) => !Number.isInteger(x) || x < 1)) ctx.addIssue(`expected positive integer rates such as 100000,150000, got ${JSON.stringify(given)}`);
  return list;
});

const DIRECT_SECONDS = 3;
const THROUGH_MCR_SECONDS = 2;
const FLAGS = {
  duration: { value: 'SEC', schema: numberValue(0.2, 3600), help: 'seconds per trial', defaults: `default ${DIRECT_SECONDS}, --through-mcr ${THROUGH_MCR_SECONDS}` },
  repeats: { value: 'N', schema: integerValue(1, 100).default(3), help: 'trials of every way of sending, interleaved' },
  size: { value: 'BYTES', schema: integerValue(MIN_PAYLOAD, MAX_PAYLOAD).default(DEFAULT_PAYLOAD), help: 'UDP payload' },
  out: { value: 'FILE', schema: z.string(), help: 'also write every trial and the summary as JSON' },
  'through-mcr': { help: 'paced trials through an mcr relay in a bed instead of the direct path' },
  rates: { value: 'LIST', schema: rateList.prefault('100000,150000,200000,250000'), help: '--through-mcr: aggregate rates, pps' },
  streams: { value: 'N', schema: integerValue(1, MAX_STREAMS).default(10), help: '--through-mcr: streams' },
  modes: { value: 'LIST', schema: listOf(Object.keys(MODE_OPTIONS)).prefault('udp,raw,senders2,raw+senders2'), help: 'ways of sending' },
};

let values;
try {
  ({ values } = parseFlags(process.argv.slice(2), { ...FLAGS, help: { short: 'h' } }));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.exit(reportUsageError(err, 'sender-ceiling', `options:\n${optionsHelp(FLAGS)}`));
}
if (values.help) {
  console.log(`usage: node packages/mcr-lab/tools/sender-ceiling.mjs [options]\noptions:\n${optionsHelp(FLAGS)}`);
  process.exit(0);
}
// An absent flag takes its schema's default, the one the help states (prefault: a list's text, split as given text is).
const flag = (name) => values[name] ?? FLAGS[name].schema.parse(undefined);
const throughMcr = values['through-mcr'] === true;
const durationSec = values.duration ?? (throughMcr ? THROUGH_MCR_SECONDS : DIRECT_SECONDS);
const repeats = flag('repeats');
const size = flag('size');
const modes = flag('modes').map((name) => ({ name, options: MODE_OPTIONS[name] }));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stat = (ts, k) => ({ median: median(ts.map((t) => t[k])), min: Math.min(...ts.map((t) => t[k])), max: Math.max(...ts.map((t) => t[k])) });

async function direct() {
  const lab = await up(chain({ prefix: uniquePrefix() }));
  const src = lab.topo.source;
  const dst = lab.topo.relay.inputs[0];
  const trials = [];
  try {
    for (let r = 0; r < repeats; r++) {
      for (const nStreams of [1, 10]) {
        const streams = Array.from({ length: nStreams }, (_, i) => ({ group: `239.202.0.${i + 1}`, port: 6000 + i }));
        for (let m = 0; m < modes.length; m++) {
          const mode = modes[(m + r) % modes.length];
          const receiver = await startReceiver({ netns: dst.ns, interface: dst.ifname, streams, idleMs: 1000, durationSec: durationSec + 60 });
          let sent;
          try {
            sent = await runSender({ netns: src.ns, interface: src.ifname, streams, rate: 0, durationSec, size, ...mode.options });
          } finally {
            await receiver.result.catch(() => {});
          }
          const t = (await receiver.stop()).totals;
          const trial = {
            repeat: r,
            streams: nStreams,
            mode: mode.name,
            sent: sent.sent,
            achievedPps: Math.round(sent.achievedPps),
            sendErrors: sent.errors,
            unique: t.unique,
            receivedPps: Math.round(t.unique / (sent.elapsedNs / 1e9)),
            lossPct: sent.sent > 0 ? ((sent.sent - t.unique) / sent.sent) * 100 : 0,
            duplicates: t.duplicates,
            corrupt: t.corrupt,
            foreign: t.foreign,
          };
          trials.push(trial);
          console.error(JSON.stringify(trial));
          await sleep(500);
        }
      }
    }
  } finally {
    await lab.down();
  }
  const summary = [1, 10].flatMap((nStreams) =>
    modes.map((mode) => {
      const ts = trials.filter((t) => t.streams === nStreams && t.mode === mode.name);
      return { streams: nStreams, mode: mode.name, achievedPps: stat(ts, 'achievedPps'), receivedPps: stat(ts, 'receivedPps'), lossPct: stat(ts, 'lossPct'), trials: ts.length };
    }),
  );
  return { path: 'chain src eth0 -> rly in0 (one veth, nothing forwarding)', trials, summary };
}

async function mcrBeds() {
  const rates = flag('rates');
  const nStreams = flag('streams');
  const beds = [];
  const trials = [];
  try {
    for (const mode of modes) beds.push({ mode, bed: await openBed({ relay: 'mcr', streams: nStreams, sender: mode.options }) });
    for (let r = 0; r < repeats; r++) {
      for (const rate of rates) {
        for (let i = 0; i < beds.length; i++) {
          const { mode, bed } = beds[(i + r) % beds.length];
          const t = await bed.trial({ rate, durationSec, size });
          const trial = {
            repeat: r,
            rate,
            mode: mode.name,
            sender: t.sender,
            achievedPps: Math.round(t.achievedPps),
            lossPct: t.lossPct,
            duplicates: t.duplicates,
            relayCpuPerPacketUs: t.relayCpuPerPacketUs,
            machineCpuPerPacketUs: t.machineCpuPerPacketUs,
            p50Us: t.latencyUs.p50,
            p99Us: t.latencyUs.p99,
          };
          trials.push(trial);
          console.error(JSON.stringify(trial));
        }
      }
    }
  } finally {
    for (const { bed } of beds) await bed.close();
  }
  const summary = rates.flatMap((rate) =>
    modes.map((mode) => {
      const ts = trials.filter((t) => t.rate === rate && t.mode === mode.name);
      return { rate, mode: mode.name, achievedPps: stat(ts, 'achievedPps'), lossPct: stat(ts, 'lossPct'), p50Us: stat(ts, 'p50Us'), machineCpuPerPacketUs: stat(ts, 'machineCpuPerPacketUs'), trials: ts.length };
    }),
  );
  return { path: `bed: chain, relay mcr (1 worker), ${nStreams} streams, paced`, trials, summary };
}

const result = { durationSec, repeats, size, ...(throughMcr ? await mcrBeds() : await direct()) };
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify(result.summary, null, 1));
