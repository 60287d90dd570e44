// bench:join-leave (RFC 3918 group join/leave delay) through the snooping switch: a `switch` bed
// whose mcr does not join (igmpJoin false), a sender offering stream 0 for the whole run, and a
// probe in the relay namespace (started through the trial's `during` hook) that joins and leaves
// the group with relay-native's MembershipSocket and times the switch's forwarding.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { JoinLeaveResult, JoinLeaveRound } from '../results/schema.js';
import { loadBed, type BedLoader, type OpenBed } from '../lab.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { median } from '../search/spread.js';
import type { Settings } from '../settings.js';

const GROUP = '239.1.0.1'; // stream 0 of a bed (docs/architecture.md)
const RATE = 5_000;


export function summarise(group: string, ratePps: number, method: string, rounds: JoinLeaveRound[]): JoinLeaveResult {
  const joins = rounds.map((r) => r.joinMs).filter((v): v is number => v !== null);
  const leaves = rounds.map((r) => r.leaveMs).filter((v): v is number => v !== null);
  const r1 = (v: number | null): number | null => (v === null ? null : Math.round(v * 10) / 10);
  return {
    group, ratePps, method, rounds,
    joinMs: { median: r1(median(joins)), max: r1(joins.length ? Math.max(...joins) : null) },
    leaveMs: { median: r1(median(leaves)), max: r1(leaves.length ? Math.max(...leaves) : null) },
  };
}

/** `injected` replaces the lab's openBed (development against a stand-in). */
export async function runJoinLeave(s: Settings, cwd: string, injected?: OpenBed): Promise<number> {
  const loaded: BedLoader = injected ? { openBed: injected } : await loadBed();
  if ('unavailable' in loaded) {
    process.stderr.write(`bench join-leave: the lab is not available: ${loaded.unavailable}\n`);
    return 1;
  }
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  process.stderr.write('bench join-leave: opening a switch bed (the bridge needs ~10 s before it snoops)\n');
  const bed = await loaded.openBed({
    relay: 'mcr',
    topology: 'switch',
    streams: 1,
    igmpJoin: false,
    onProgress: (line) => process.stderr.write(`bench join-leave: ${line}\n`),
  });
  try {
    const input = bed.lab.topo.relay.inputs[0]!;
    const probe = fileURLToPath(new URL('./join-probe.js', import.meta.url));
    const args = ['netns', 'exec', input.ns, process.execPath, probe, '--ifname', input.ifname, '--ip', input.ip, '--group', GROUP, '--rounds', String(s.rounds)];
    let child: { exitCode: number; stdout: string; stderr: string } | undefined;
    // The sender offers stream 0 for the whole probe; `during` runs the probe once the receivers are ready.
    const perRoundSec = 4;
    await bed
      .trial({
        rate: RATE,
        durationSec: Math.ceil(s.rounds * perRoundSec + 5),
        size: 200,
        prime: false,
        during: async () => {
          child = await new Promise((resolve) => {
            execFile('ip', args, { timeout: (s.rounds * 35 + 10) * 1000, encoding: 'utf8' }, (err, stdout, stderr) =>
              resolve({ exitCode: err ? Number((err as NodeJS.ErrnoException).code ?? 1) || 1 : 0, stdout, stderr }),
            );
          });
        },
      })
      .catch((err: unknown) => result.notes.push(`background traffic: ${(err as Error).message.split('\n')[0]}`));
    if (!child) throw new Error('join probe did not run');
    const lines = child.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const method = String(lines.find((l) => 'method' in l)?.method ?? 'unknown');
    const rounds = lines.filter((l) => 'round' in l) as unknown as JoinLeaveRound[];
    if (child.exitCode !== 0) result.notes.push(`join probe exited with ${child.exitCode}: ${child.stderr.split('\n').slice(-3).join(' ')}`);
    result.joinLeave = summarise(GROUP, RATE, method, rounds);
  } finally {
    await bed.close();
  }
  finishResult(result, clock);
  const j = result.joinLeave!;
  process.stdout.write(
    `join delay: median ${j.joinMs.median ?? '-'} ms (max ${j.joinMs.max ?? '-'}); leave delay: median ${j.leaveMs.median ?? '-'} ms (max ${j.leaveMs.max ?? '-'}); ${j.rounds.length} rounds via ${j.method}\n`,
  );
  await publish(result, s);
  return j.rounds.length > 0 ? 0 : 1;
}
