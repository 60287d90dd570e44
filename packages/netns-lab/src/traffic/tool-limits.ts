// The limits and defaults of the native tools' flags that the TypeScript validation checks too,
// stated once in native/tool-limits.json: binding.gyp compiles them into mcr-send, mcr-recv and
// mcr-probe (native/tool_limits.hpp), and this module reads the same file (from src/traffic or
// dist/traffic alike).
import { readFileSync } from 'node:fs';
import { z } from 'zod';

const limit = z
  .strictObject({ min: z.int(), max: z.int(), default: z.int() })
  .refine((l) => l.min <= l.default && l.default <= l.max, 'expected min <= default <= max');

export const TOOL_LIMITS = z
  .strictObject({ payload: limit, senders: limit, timerMicros: limit, timerCount: limit })
  .parse(JSON.parse(readFileSync(new URL('../../native/tool-limits.json', import.meta.url), 'utf8')));
