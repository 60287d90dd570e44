// One error class for every native failure: code is the errno name ('ENOBUFS'), syscall the
// failing call, interface/group the context the caller passed in.

export class NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
  interface?: string;
  group?: string;

  constructor(
    message: string,
    details: { code: string; errno: number; syscall: string; interface?: string; group?: string },
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'NativeError';
    this.code = details.code;
    this.errno = details.errno;
    this.syscall = details.syscall;
    if (details.interface !== undefined) this.interface = details.interface;
    if (details.group !== undefined) this.group = details.group;
  }
}

interface RawNativeError extends Error {
  mcrNative: true;
  code: string;
  errno: number;
  syscall: string;
  interface?: string;
  group?: string;
}

function isRawNativeError(error: unknown): error is RawNativeError {
  return error instanceof Error && (error as Partial<RawNativeError>).mcrNative === true;
}

/** The addon's marked errors as NativeError; anything else as it is. */
export function toNativeError(error: unknown): unknown {
  if (!isRawNativeError(error)) return error;
  return new NativeError(
    error.message,
    {
      code: error.code,
      errno: error.errno,
      syscall: error.syscall,
      ...(error.interface === undefined ? {} : { interface: error.interface }),
      ...(error.group === undefined ? {} : { group: error.group }),
    },
    { cause: error },
  );
}

/** Runs a native call, turning the addon's marked errors into NativeError (others pass through). */
export function callNative<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw toNativeError(error);
  }
}

/**
 * Runs a user's handler from inside a native callback. An exception it throws is raised as an uncaught
 * exception, as an EventEmitter listener's would be, rather than inside the native callback.
 */
export function runHandler(handler: () => void): void {
  try {
    handler();
  } catch (thrown) {
    process.nextTick(() => {
      throw thrown;
    });
  }
}
