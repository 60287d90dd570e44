import { fstatSync, lstatSync, mkdirSync, readFileSync, readlinkSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FileLock } from '@mcr/relay-native';

/** What a relay holds once it has claimed its control socket path. */
export interface SocketPathClaim {
  /** `<socket>.lock`, locked for the process's lifetime. */
  lock: FileLock;
  /** The group to give the socket, resolved. */
  gid?: number;
  /** Set by withdrawSocketPath(): the relay is stopping, the socket must not be opened any more. */
  withdrawn?: boolean;
}

/** The paths this process has claimed: a path is claimed once, and its lock held until exit. */
const claimed = new Map<string, SocketPathClaim>();

/**
 * Everything that can refuse a control socket path, done before the relay starts anything (`mcr run`
 * claims it first; the control server's listen() then finds the claim made):
 * - the group resolves;
 * - nobody but root and the relay's user can change what the directory's path leads to: the
 *   directory and every directory above it (and every symlink on the way) is owned by the relay's uid
 *   or root, and nobody else can write to any of them unless it is sticky (like /tmp: others cannot
 *   remove or rename our entries); so nobody can swap the socket, its directory or a directory above
 *   it between our checks and our chown/chmod/unlink, which go by path;
 * - `<socket>.lock` is locked (flock): a second relay on the path is refused even when the first is
 *   stopped or too busy to accept a connection, and the kernel drops the lock on any exit;
 * - with the lock held, a socket file at the path is a crashed relay's leftover and is removed; a
 *   symlink or anything that is not a socket is refused.
 */
/** The mode the socket's directory is created with when it is missing. */
export const SOCKET_DIR_MODE = 0o755;

export function claimSocketPath(path: string, group: string | undefined): SocketPathClaim {
  const held = claimed.get(path);
  if (held?.withdrawn) throw new Error(`the relay is stopping: control socket ${path} not opened`);
  if (held) return held;
  const gid = group === undefined ? undefined : groupId(group);
  const dir = dirname(path);
  checkPathChain(dir, 'existing'); // before creating anything under it
  mkdirSync(dir, { recursive: true, mode: SOCKET_DIR_MODE });
  checkPathChain(dir, 'whole');
  const lock = lockFor(path);
  try {
    removeStaleSocket(path);
  } catch (err) {
    lock.release();
    throw err;
  }
  const claim = { lock, ...(gid === undefined ? {} : { gid }) };
  claimed.set(path, claim);
  return claim;
}

/**
 * A stop that comes during start-up: the start-up, still running, must not open the socket after all.
 * The lock stays held until the process exits.
 */
export function withdrawSocketPath(path: string): void {
  const held = claimed.get(path);
  if (held) held.withdrawn = true;
}

const STICKY = 0o1000;
/** Symlinks followed on one path before it counts as a loop (the kernel's own limit). */
const MAX_SYMLINKS = 40;

/**
 * Walks `dir` from / as the kernel resolves it, symlinks included, and refuses the first entry that
 * someone other than root or the relay's user could change: an entry (directory or symlink) owned by
 * another uid, or a directory others can write to without the sticky bit. `existing`: stops quietly
 * at the first component that does not exist (or is not a directory: mkdir then says why).
 */
function checkPathChain(dir: string, scope: 'existing' | 'whole'): void {
  const uid = process.getuid?.() ?? 0;
  const refuse = (why: string) => new Error(`control socket directory ${dir}: ${why}`);
  const check = (entry: string, st: Stats) => {
    if (st.uid !== uid && st.uid !== 0) {
      throw refuse(`${entry} is owned by uid ${st.uid}, not by this relay (uid ${uid}) or root; refusing to use it: its owner could put something else in its place`);
    }
    if (st.isDirectory() && (st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0) {
      throw refuse(
        `${entry} is writable by group or others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}) and not sticky: whoever can write ` +
          'there could replace the socket or a directory on its path; use a directory only the relay can write to, under directories only root or the relay can',
      );
    }
  };
  check('/', lstatSync('/'));
  let current = '/'; // always a real directory: `..` goes to its parent
  const todo = resolve(dir).split('/').filter((c) => c !== '' && c !== '.');
  let links = 0;
  while (todo.length > 0) {
    const name = todo.shift()!;
    if (name === '..') {
      current = dirname(current);
      continue;
    }
    const entry = current === '/' ? `/${name}` : `${current}/${name}`;
    let st: Stats;
    try {
      st = lstatSync(entry);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (scope === 'existing' && (code === 'ENOENT' || code === 'ENOTDIR')) return;
      throw refuse(`${entry}: ${code ?? (err as Error).message}`);
    }
    check(entry, st);
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw refuse(`more than ${MAX_SYMLINKS} symbolic links (ELOOP)`);
      const target = readlinkSync(entry);
      if (target.startsWith('/')) current = '/';
      todo.unshift(...target.split('/').filter((c) => c !== '' && c !== '.'));
      continue;
    }
    if (!st.isDirectory()) {
      if (scope === 'existing') return;
      throw refuse(`${entry} is not a directory`);
    }
    current = entry;
  }
}

function lockFor(path: string): FileLock {
  const lockPath = `${path}.lock`;
  let lock: FileLock;
  try {
    lock = FileLock.acquire(lockPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN') throw new Error(`control socket ${path} is in use: another relay is running (it holds ${lockPath}); stop it or pass another --control`);
    if (code === 'ELOOP') throw new Error(`control socket lock ${lockPath} is a symbolic link; refusing to use it`);
    throw new Error(`control socket lock ${lockPath}: ${(err as Error).message}`, { cause: err });
  }
  const owner = fstatSync(lock.fd!).uid;
  const uid = process.getuid?.() ?? 0;
  if (owner !== uid && owner !== 0) {
    lock.release();
    throw new Error(`control socket lock ${lockPath} is owned by uid ${owner}, not by this relay (uid ${uid}) or root; refusing to use it`);
  }
  return lock;
}

function removeStaleSocket(path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (stat.isSymbolicLink()) throw new Error(`control socket path ${path} is a symbolic link; refusing to use it`);
  if (!stat.isSocket()) throw new Error(`control socket path ${path} exists and is not a socket; refusing to replace it`);
  unlinkSync(path); // nobody else holds the lock: no relay serves it
}

/** A group name (from /etc/group; NSS sources such as LDAP are not consulted) or number. */
function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[0] === group);
  if (!line) throw new Error(`control.group: unknown group "${group}" (not in /etc/group)`);
  return Number(line.split(':')[2]);
}
