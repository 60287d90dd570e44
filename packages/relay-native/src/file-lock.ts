// FileLock: an exclusive flock(2) on a file, held until release() or the process's exit (the kernel
// drops it with the last descriptor, SIGKILL included). Node core has no flock.
import { closeSync, constants, openSync } from 'node:fs';
import { callNative } from './errors.js';
import { native } from './native.js';

/** The one native entry point this module needs (registered by addon.cc next to the others). */
const binding = native as typeof native & { lockFile(fd: number): void };

export class FileLock {
  #fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.#fd = fd;
  }

  /**
   * Opens (creating it 0600 if needed, never through a symlink) and locks `path`. Throws NativeError
   * with code EAGAIN when another open file description holds the lock, or the open's error. The
   * descriptor is close-on-exec (libuv opens every file so), so child processes never inherit the lock.
   */
  static acquire(path: string): FileLock {
    if (typeof path !== 'string' || path === '') throw new TypeError(`path must be a non-empty string, received ${JSON.stringify(path)}`);
    const fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      callNative(() => binding.lockFile(fd));
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return new FileLock(path, fd);
  }

  /** The locked file's descriptor (for fstat), until release(). */
  get fd(): number | undefined {
    return this.#fd;
  }

  /** Idempotent. The file stays: unlinking a lock file lets two holders lock two different inodes. */
  release(): void {
    if (this.#fd === undefined) return;
    closeSync(this.#fd);
    this.#fd = undefined;
  }
}
