import { fstatSync, lstatSync, mkdirSync, readFileSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
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
 * - the directory is the relay's (owned by its uid or root) and nobody else can write to it, or it
 *   is sticky (like /tmp: others cannot remove or rename our files); so nobody can swap the socket
 *   for something else between our checks and our chown/chmod;
 * - `<socket>.lock` is locked (flock): a second relay on the path is refused even when the first is
 *   stopped or too busy to accept a connection, and the kernel drops the lock on any exit;
 * - with the lock held, a socket file at the path is a crashed relay's leftover and is removed; a
 *   symlink or anything that is not a socket is refused.
 */
export function claimSocketPath(path: string, group: string | undefined): SocketPathClaim {
  const held = claimed.get(path);
  if (held?.withdrawn) throw new Error(`the relay is stopping: control socket ${path} not opened`);
  if (held) return held;
  const gid = group === undefined ? undefined : groupId(group);
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  checkDirectory(dir);
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

function checkDirectory(dir: string): void {
  const real = realpathSync(dir);
  const st = statSync(real);
  const uid = process.getuid?.() ?? 0;
  const where = real === dir ? dir : `${dir} (${real})`;
  if (!st.isDirectory()) throw new Error(`control socket directory ${where} is not a directory`);
  if (st.uid !== uid && st.uid !== 0) {
    throw new Error(`control socket directory ${where} is owned by uid ${st.uid}, not by this relay (uid ${uid}) or root; refusing to use it`);
  }
  if ((st.mode & 0o022) !== 0 && (st.mode & STICKY) === 0) {
    throw new Error(
      `control socket directory ${where} is writable by group or others (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}) ` +
        'and not sticky: whoever can write there could replace the socket; use a directory only the relay can write to',
    );
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
