import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A usage error: the CLI prints it with the command's help hint and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Options = NonNullable<ParseArgsConfig['options']>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>>;

/** node:util parseArgs, with its errors turned into UsageErrors that name the flag. */
export function parse<T extends Options>(args: string[], options: T, allowPositionals = false): Parsed<T> {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message.replace(/\. To specify a positional.*$/s, ''));
  }
}

export function integerFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag}: must be an integer ${min}..${max}, got "${value}"`);
  return n;
}

export function numberFlag(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`${flag}: must be a number ${min}..${max}, got "${value}"`);
  return n;
}

/** `IFACE:GROUP:PORT[:TTL]` as the CLI writes endpoints. */
export function parseEndpoint(text: string, flag: string, allowTtl: boolean): { interface: string; group: string; port: number; ttl?: number } {
  const parts = text.split(':');
  const shape = allowTtl ? 'IFACE:GROUP:PORT[:TTL]' : 'IFACE:GROUP:PORT';
  if (parts.length < 3 || parts.length > (allowTtl ? 4 : 3) || parts.some((p) => p === '')) {
    throw new UsageError(`${flag}: must be ${shape}, got "${text}"`);
  }
  const [iface, group, port, ttl] = parts as [string, string, string, string | undefined];
  // Ports and TTLs are checked by the relay's rule validation, which names the field; only the
  // shape is checked here, and numbers stay numbers so that "abc" reaches it as a string.
  const num = (s: string) => (/^\d+$/.test(s) ? Number(s) : s) as number;
  return { interface: iface, group, port: num(port), ...(ttl === undefined ? {} : { ttl: num(ttl) }) };
}
