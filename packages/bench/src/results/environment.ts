// Where a run happened: machine, kernel, CPU, Node, git commit.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { Environment } from './schema.js';

function git(args: string[], cwd: string): string | null {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function environment(cwd: string): Environment {
  const cpus = os.cpus();
  const status = git(['status', '--porcelain'], cwd);
  return {
    hostname: os.hostname(),
    kernel: os.release(),
    os: `${os.type()} ${os.version()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    gitCommit: git(['rev-parse', 'HEAD'], cwd),
    gitDirty: status === null ? null : status.length > 0,
  };
}
