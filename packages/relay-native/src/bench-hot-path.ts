// benchHotPath: parse + match + header rewrite (no send) timed in native code, for packages/bench.
import { native } from './native.js';
import type { BenchHotPathOptions, BenchHotPathResult } from './types.js';
import { boolean, integer } from './schema.js';
import { check, normalizeRules } from './validate.js';

export function benchHotPath(options: BenchHotPathOptions): BenchHotPathResult {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`options must be an object, received ${String(options)}`);
  }
  const frames = options.frames;
  if (!Array.isArray(frames) || !frames.every((frame) => Buffer.isBuffer(frame))) {
    throw new TypeError('options.frames must be an array of Buffers');
  }
  const rules = normalizeRules('options.rules', options.rules);
  const iterations = check(integer(1, Number.MAX_SAFE_INTEGER), 'options.iterations', options.iterations);
  const partialChecksum = check(boolean().default(false), 'options.partialChecksum', options.partialChecksum);
  return native.benchHotPath(frames, rules, iterations, partialChecksum);
}
