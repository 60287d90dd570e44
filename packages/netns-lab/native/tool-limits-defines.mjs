// Prints native/tool-limits.json as compiler defines, one word each, for binding.gyp's <!@(...):
// {"timerMicros": {"min": 1}} becomes MCR_TIMER_MICROS_MIN=1. tool_limits.hpp names the ones it needs.
import { readFileSync } from 'node:fs';

const limits = JSON.parse(readFileSync(new URL('./tool-limits.json', import.meta.url), 'utf8'));
const macro = (name) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
const defines = Object.entries(limits).flatMap(([tool, values]) => Object.entries(values).map(([k, v]) => `MCR_${macro(tool)}_${macro(k)}=${v}`));
process.stdout.write(defines.join(' '));
