// The progress line: rewritten in place on a terminal, one line per finished trial otherwise.
import type { ProgressEvent } from './search.js';
import { kpps } from './search.js';

export function progressText(e: ProgressEvent, prefix = ''): string {
  const head = `${prefix}[${e.rung === 0 ? 'confirm' : `rung ${e.rung}/${e.rungs}`}] ${e.relay} @ ${kpps(e.targetPps)}`;
  if (e.phase === 'start') return `${head} ...`;
  if (e.phase === 'error') return `${head} error: ${e.error?.split('\n')[0]}`;
  const r = e.record!;
  const v = r.verdict;
  const verdict = v.incorrect ? 'FAIL (duplicates/corrupt)' : v.ndrPass ? 'pass (zero loss)' : v.pdrPass ? 'pass (PDR)' : 'fail';
  return `${head}: achieved ${kpps(r.achievedPps)}, loss ${r.lossPct.toFixed(3)} %, dups ${r.duplicates} -> ${verdict}${v.senderBound ? ', sender-bound' : ''}`;
}

export function progressPrinter(stream: NodeJS.WriteStream = process.stderr, prefix = ''): (e: ProgressEvent) => void {
  const tty = stream.isTTY === true;
  return (e) => {
    const text = progressText(e, prefix);
    if (tty) {
      stream.write(`\r\x1b[K${text.slice(0, (stream.columns ?? 120) - 1)}`);
      if (e.phase !== 'start') stream.write('\n');
    } else if (e.phase !== 'start') {
      stream.write(text + '\n');
    }
  };
}
