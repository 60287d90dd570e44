// bench:micro: tinybench over the native hot path. Measuring nothing is a failure (exit 1), with the reason.
import { runMicro } from '../micro/micro.js';
import { finishResult, makeResult, publish, startClock } from '../output.js';
import { textTable } from '../report/table.js';
import type { Settings } from '../settings.js';

export async function runMicroTarget(s: Settings, cwd: string): Promise<number> {
  const clock = startClock();
  const result = makeResult(s, clock, cwd);
  const micro = await runMicro(s.size, s.long ? 5000 : 1000);
  result.micro = micro;
  finishResult(result, clock);
  if (micro.skipped) {
    process.stderr.write(`bench micro: skipped: ${micro.skipped}\n`);
    result.notes.push(`skipped: ${micro.skipped}`);
  } else {
    const out = s.json ? process.stderr : process.stdout;
    out.write(
      textTable(
        ['task', 'rules', 'frames/call', 'ns/packet', 'Mpps (1 core)', 'call mean ms', 'call p99 ms'],
        micro.tasks.map((t) => [t.name, String(t.rules), String(t.frames), t.nsPerPacket.toFixed(1), (1000 / t.nsPerPacket).toFixed(2), t.callMeanMs.toFixed(3), t.callP99Ms.toFixed(3)]),
      ),
    );
  }
  await publish(result, s);
  if (micro.skipped || micro.tasks.length === 0) {
    process.stderr.write(`bench micro: FAILED: nothing was measured${micro.skipped ? ` (${micro.skipped})` : ''}\n`);
    return 1;
  }
  return 0;
}
