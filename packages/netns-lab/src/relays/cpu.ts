// CPU accounting from procfs, in seconds. Two views of one trial (field notes, "Latency, timers"):
// - the relay's own processes and their descendants (/proc/<pid>/stat utime + stime);
// - the whole machine (/proc/stat, all CPUs: user + nice + system + irq + softirq + steal), which also
//   charges what runs in softirq context on behalf of a relay, e.g. kernel forwarding, which on veth
//   runs in the sender's send path and no process accounts for.
// Both count in clock ticks of sysconf(_SC_CLK_TCK), asked of the system once (`getconf CLK_TCK`).
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

let ticksPerSecond: number | undefined;

/** sysconf(_SC_CLK_TCK) of this system, asked once. Throws if getconf is missing or answers nonsense. */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    const out = execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim();
    const v = Number(out);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`getconf CLK_TCK: expected a positive integer, got ${JSON.stringify(out)}`);
    ticksPerSecond = v;
  }
  return ticksPerSecond;
}

/** The busy fields of /proc/stat's aggregate `cpu` line (user nice system idle iowait irq softirq steal ...). */
export function busyTicks(procStat: string): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat: no aggregate "cpu" line');
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  if ([user, nice, system, irq, softirq, steal].some((v) => v === undefined || !Number.isFinite(v))) {
    throw new Error(`/proc/stat: cannot read the busy fields of ${JSON.stringify(line)}`);
  }
  return user! + nice! + system! + irq! + softirq! + steal!;
}

/** Busy CPU seconds of the whole machine (all CPUs) since boot. Namespaces do not scope /proc/stat. */
export async function machineBusySeconds(): Promise<number> {
  return busyTicks(await readFile('/proc/stat', 'utf8')) / clockTicksPerSecond();
}

async function statOf(pid: number): Promise<{ ppid: number; ticks: number } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

/**
 * Tracks CPU ticks of a set of root pids and all their descendants. Keeps the last value seen per
 * pid, so a process that has exited still counts what it used while it was observed.
 */
export class CpuMeter {
  private readonly last = new Map<number, number>();
  constructor(private readonly roots: () => number[]) {}

  async seconds(): Promise<number> {
    const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number);
    const stats = new Map<number, { ppid: number; ticks: number }>();
    await Promise.all(
      pids.map(async (p) => {
        const s = await statOf(p);
        if (s) stats.set(p, s);
      }),
    );
    const children = new Map<number, number[]>();
    for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
    const stack = [...this.roots()];
    const seen = new Set<number>();
    while (stack.length) {
      const p = stack.pop()!;
      if (seen.has(p)) continue;
      seen.add(p);
      const s = stats.get(p);
      if (s) this.last.set(p, Math.max(s.ticks, this.last.get(p) ?? 0));
      stack.push(...(children.get(p) ?? []));
    }
    let ticks = 0;
    for (const t of this.last.values()) ticks += t;
    return ticks / clockTicksPerSecond();
  }
}
