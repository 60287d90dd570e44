#!/usr/bin/env node
// Prints the "Failed Tests" sections vitest wrote into a captured test log, so that the end of a CI log
// (often all a CI viewer shows) names which test failed and why, not only which nx project did.
// Usage: node tools/test-failures.mjs LOG [MAX_LINES_PER_SECTION]
import { readFileSync } from 'node:fs';

const [logPath, maxArg] = process.argv.slice(2);
if (!logPath) {
  console.error('usage: node tools/test-failures.mjs LOG [MAX_LINES_PER_SECTION]');
  process.exit(2);
}
const maxLines = Number(maxArg ?? 60);
// eslint-disable-next-line no-control-regex
const lines = readFileSync(logPath, 'utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n');

const sections = [];
let current = null;
for (const line of lines) {
  if (/Failed Tests? \d+|Failed Suites? \d+|Unhandled Errors?/.test(line)) {
    current = [line];
    sections.push(current);
  } else if (current && /Test Files\s/.test(line)) {
    current.push(line);
    current = null;
  } else if (current) {
    current.push(line);
  }
}
// Failed test names also appear as "×" or "FAIL" lines in the run's progress; list them first.
const failedNames = [...new Set(lines.filter((l) => /\s(×|FAIL)\s/.test(l)).map((l) => l.trim()))];
console.log(`test failures in ${logPath}:`);
for (const name of failedNames.slice(0, 40)) console.log(`  ${name}`);
for (const section of sections) {
  console.log(section.slice(0, maxLines).join('\n'));
  if (section.length > maxLines) console.log(`  ... ${section.length - maxLines} more lines in the log`);
}
if (failedNames.length === 0 && sections.length === 0) console.log('  (no vitest failure found: see the log above)');
