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

/** HEAD and whether the work tree has uncommitted changes (null: not a git checkout). */
export function gitHead(cwd: string): { commit: string | null; dirty: boolean | null } {
  const status = git(['status', '--porcelain'], cwd);
  return { commit: git(['rev-parse', 'HEAD'], cwd), dirty: status === null ? null : status.length > 0 };
}

export function environment(cwd: string): Environment {
  const cpus = os.cpus();
  const head = gitHead(cwd);
  return {
    hostname: os.hostname(),
    kernel: os.release(),
    os: `${os.type()} ${os.version()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    memoryBytes: os.totalmem(),
    node: process.version,
    gitCommit: head.commit,
    gitDirty: head.dirty,
  };
}
