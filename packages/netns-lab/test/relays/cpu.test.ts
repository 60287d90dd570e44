// CPU accounting from procfs: the busy fields of /proc/stat, the system's clock tick.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { busyTicks, clockTicksPerSecond, machineBusySeconds } from '../../src/relays/index.js';

describe('CPU accounting', () => {
  it('counts user+nice+system+irq+softirq+steal of the aggregate line, not idle or iowait', () => {
    const stat = 'cpu  100 2 30 9999 777 4 5 6 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n';
    expect(busyTicks(stat)).toBe(100 + 2 + 30 + 4 + 5 + 6);
    expect(() => busyTicks('intr 1 2 3\n')).toThrow(/no aggregate "cpu" line/);
  });

  it('takes the clock tick from the system', () => {
    expect(clockTicksPerSecond()).toBe(Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' })));
  });

  it('reads the machine busy time, which only grows', async () => {
    const a = await machineBusySeconds();
    let x = 0;
    for (let i = 0; i < 3e7; i++) x += i;
    const b = await machineBusySeconds();
    expect(x).toBeGreaterThan(0);
    expect(b).toBeGreaterThanOrEqual(a);
  });
});
