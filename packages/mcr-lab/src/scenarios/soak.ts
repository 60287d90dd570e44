// soak: mcr carries the bed's streams for --duration seconds while a rule is added or removed every
// second (a fresh id each time, as an operator's tooling would). Checked: loss over the whole run
// (default 0.01 %), no duplicate, resident memory flat after warm-up, no file-descriptor growth.
// Memory and descriptors are read from /proc for the supervisor and every worker (pids from mcr stats).
import { readdir, readFile } from 'node:fs/promises';
import { mcrEndpoint } from '../bed/index.js';
import { LAB_TTL, type AddressFamily } from '@mcr/netns-lab';
import type { ScenarioOptions } from './options.js';
import { checkTrial, makeReport, trialTotals, streamRows, STREAM_COLUMNS, type ScenarioReport, type Violation } from './report.js';
import { bedOptions, sleep, withBed } from './common.js';

const SAMPLE_EVERY_MS = 5000;
/** Memory is compared from the end of warm-up on: allocators and JIT settle in the first minutes. */
const WARMUP_FRACTION = 0.2;
/** Growth tolerated from the post-warm-up level to the end: GC noise, not a trend. */
const RSS_SLACK_BYTES = 8 * 1024 * 1024;
const RSS_SLACK_FRACTION = 0.1;
/** Descriptors held briefly by control connections while we sample. */
const FD_SLACK = 4;

interface Sample {
  atSec: number;
  rssBytes: number;
  fds: number;
  processes: number;
}

async function sampleProcesses(pids: number[], atSec: number): Promise<Sample> {
  let rssBytes = 0;
  let fds = 0;
  let processes = 0;
  for (const pid of pids) {
    try {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
      rssBytes += kb * 1024;
      fds += (await readdir(`/proc/${pid}/fd`)).length;
      processes++;
    } catch {
      // the process ended between stats and /proc: a worker restart shows in the worker counters
    }
  }
  return { atSec, rssBytes, fds, processes };
}

/** The k-th churned rule's input group and the one output group, outside the stream plan. */
const soakGroups = (k: number, family: AddressFamily): [string, string] =>
  family === 'ipv6' ? [`ff3e::3:${((k % 60000) + 1).toString(16)}`, 'ff3e::7:1'] : [`239.3.${Math.floor(k / 250) % 250}.${(k % 250) + 1}`, '239.7.0.1'];

/** How often the soak adds or removes a rule, milliseconds. */
export const SOAK_RULE_CHANGE_EVERY_MS = 1000;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function soak(o: ScenarioOptions): Promise<ScenarioReport> {
  const n = o.streams[0]!;
  o.onProgress(`soak: mcr, ${n} streams at ${o.rate} pps aggregate for ${o.durationSec} s, a rule added or removed every second`);
  return withBed(bedOptions(o, n), async (bed) => {
    const mcr = bed.mcr!;
    const topo = bed.lab.topo;
    const in0 = topo.relay.inputs[0]!.ifname;
    const samples: Sample[] = [];
    const violations: Violation[] = [];
    let changes = 0;
    let restarts = 0;
    const started = Date.now();

    const r = await bed.trial({
      rate: o.rate,
      durationSec: o.durationSec,
      size: o.size,
      during: async (signal) => {
        let k = 0;
        let present: string | undefined;
        let nextSample = 0;
        while (!signal.aborted) {
          const tick = Date.now();
          try {
            if (present) {
              await mcr.remove(present);
              present = undefined;
            } else {
              present = `soak-${k}`;
              const [group, outGroup] = soakGroups(k, o.family);
              await mcr.add({ id: present, input: mcrEndpoint(in0, group, 9001 + (k % 1000)), outputs: topo.relay.outputs.map((x) => mcrEndpoint(x.ifname, outGroup, 9001, LAB_TTL)) });
              k++;
            }
            changes++;
          } catch (err) {
            violations.push({ metric: 'controlError', value: 1, threshold: 0, message: `rule change ${changes + 1} failed: ${(err as Error).message}` });
            return;
          }
          if (tick >= nextSample) {
            nextSample = tick + SAMPLE_EVERY_MS;
            const stats = await mcr.stats();
            restarts = stats.totals.workerRestarts;
            const pids = [stats.pid, ...stats.workers.map((w) => w.pid).filter((p): p is number => typeof p === 'number')];
            const s = await sampleProcesses(pids, Math.round((Date.now() - started) / 1000));
            samples.push(s);
            o.onProgress(`soak: ${s.atSec} s, ${changes} rule changes, rss ${(s.rssBytes / 2 ** 20).toFixed(1)} MiB, fds ${s.fds}`);
          }
          await sleep(Math.max(0, SOAK_RULE_CHANGE_EVERY_MS - (Date.now() - tick)));
        }
      },
    });

    violations.push(...checkTrial(r, o, 'soak streams'));
    const afterWarmup = samples.filter((s) => s.atSec >= o.durationSec * WARMUP_FRACTION);
    let rssGrowth = 0;
    let fdGrowth = 0;
    if (afterWarmup.length >= 2) {
      const head = afterWarmup.slice(0, Math.min(3, Math.ceil(afterWarmup.length / 2)));
      const tail = afterWarmup.slice(-Math.min(3, Math.floor(afterWarmup.length / 2)));
      rssGrowth = mean(tail.map((s) => s.rssBytes)) - mean(head.map((s) => s.rssBytes));
      const allowed = Math.max(RSS_SLACK_BYTES, RSS_SLACK_FRACTION * mean(head.map((s) => s.rssBytes)));
      if (rssGrowth > allowed) {
        violations.push({ metric: 'rssGrowthBytes', value: Math.round(rssGrowth), threshold: Math.round(allowed), message: `resident memory grew ${(rssGrowth / 2 ** 20).toFixed(1)} MiB after warm-up (allowed ${(allowed / 2 ** 20).toFixed(1)} MiB)` });
      }
      fdGrowth = Math.max(...tail.map((s) => s.fds)) - Math.min(...head.map((s) => s.fds));
      if (fdGrowth > FD_SLACK) {
        violations.push({ metric: 'fdGrowth', value: fdGrowth, threshold: FD_SLACK, message: `open file descriptors grew by ${fdGrowth} after warm-up` });
      }
    } else {
      violations.push({ metric: 'samples', value: afterWarmup.length, threshold: 2, message: `too few samples after warm-up to judge memory (raise --duration above ${Math.ceil(SAMPLE_EVERY_MS / 1000 / (1 - WARMUP_FRACTION)) * 2} s)` });
    }
    if (restarts > 0) violations.push({ metric: 'workerRestarts', value: restarts, threshold: 0, message: `${restarts} worker restart(s) during the soak` });

    const totals = trialTotals(r);
    return makeReport(o, {
      violations,
      columns: STREAM_COLUMNS,
      rows: streamRows(r),
      summary: [
        `${changes} rule changes in ${o.durationSec} s; ${samples.length} samples of supervisor + worker memory and descriptors`,
        `rss after warm-up ${afterWarmup[0] ? (afterWarmup[0].rssBytes / 2 ** 20).toFixed(1) : '-'} MiB, growth to the end ${(rssGrowth / 2 ** 20).toFixed(2)} MiB; fd growth ${fdGrowth}`,
        `sent ${r.sent}, unique ${r.unique}, duplicates ${r.duplicates}, loss ${r.lossPct.toFixed(4)} %`,
      ],
      details: { trial: totals, changes, samples, rssGrowthBytes: rssGrowth, fdGrowth, workerRestarts: restarts },
    });
  });
}
