import { z } from 'zod';
import { parseCommandLine, type FlagOptions } from './parse.js';
import { schemaFlag } from './flags.js';

// A command's flags stated once: each flag's value schema (zod) checks it, and the same schema gives
// the help its description, range or choices, and default. The parseArgs table and the "Options:"
// block of the help are derived from that one table.

export interface Flag {
  /** The value's placeholder in the help ("N", "FILE"); absent: a switch, true when given. */
  value?: string;
  /** Checks the value and types it; its description, range or choices and default go into the help. */
  schema?: z.ZodType;
  /**
   * The schema the help describes, when the value is checked by a looser one here and by this one
   * elsewhere (a relay that names the field in its answer).
   */
  describedBy?: z.ZodType;
  /** What the flag does, when the schema has no description. */
  help?: string;
  /** Said after the description: how the flag relates to others or to a config field. */
  note?: string;
  /** The default as the help says it, when it is not one value of the schema (it depends on a target, say). */
  defaults?: string;
  /** May be given more than once (the values in order). */
  multiple?: boolean;
  short?: string;
}

export type Flags = Record<string, Flag>;

type ValueOf<F extends Flag> = F['value'] extends string
  ? F['multiple'] extends true
    ? string[]
    : F['schema'] extends z.ZodType
      ? z.output<F['schema']>
      : string
  : boolean;

export type FlagValues<T extends Flags> = { [K in keyof T]?: ValueOf<T[K]> };

/** node:util parseArgs options for the table. */
export function parseArgsOptions(flags: Flags): FlagOptions {
  const options: FlagOptions = {};
  for (const [name, f] of Object.entries(flags)) {
    options[name] = { type: f.value === undefined ? 'boolean' : 'string', ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  return options;
}

type SchemaOf<F extends Flag> = F['value'] extends string ? (F['schema'] extends z.ZodType ? F['schema'] : F['multiple'] extends true ? z.ZodArray<z.ZodString> : z.ZodString) : z.ZodBoolean;

/**
 * The table as one strict zod object of optional fields, for callers that check a whole set of flags
 * at once (values given as text or already typed).
 */
export function flagsSchema<T extends Flags>(flags: T) {
  const shape = Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [name, f.value === undefined ? z.boolean() : (f.schema ?? (f.multiple ? z.array(z.string()) : z.string()))]),
  ) as { [K in keyof T]: SchemaOf<T[K]> };
  return z.strictObject(shape).partial();
}

/** Parses `argv` strictly against the table; each value is checked by its schema (a UsageError naming the flag). */
export function parseFlags<T extends Flags>(argv: string[], flags: T, allowPositionals = false): { values: FlagValues<T>; positionals: string[] } {
  const parsed = parseCommandLine(argv, parseArgsOptions(flags), allowPositionals);
  return { values: checkFlags(parsed.values, flags), positionals: parsed.positionals };
}

/**
 * The values of a command line already split by the table (parseArgsOptions), each checked and typed
 * by its schema (a UsageError naming the flag): for commands that check their positionals first.
 * Names the table does not hold are left out.
 */
export function checkFlags<T extends Flags>(raw: Record<string, unknown>, flags: T): FlagValues<T> {
  const values: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const f = flags[name];
    if (f === undefined || value === undefined) continue;
    values[name] = f.schema && typeof value === 'string' ? schemaFlag(value, `--${name}`, f.schema) : value;
  }
  return values as FlagValues<T>;
}

/** The flags of a usage line: each as `[--name VALUE]`, or `[options]` when there are more than `most`. */
export function flagsSynopsis(flags: Flags, most = 3): string {
  const entries = Object.entries(flags);
  if (entries.length > most) return '[options]';
  return entries.map(([name, f]) => `[--${name}${f.value ? ` ${f.value}` : ''}${f.multiple ? ' ...' : ''}]`).join(' ');
}

interface Facts {
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  anyOf?: Facts[];
}

/** What a value schema says of itself: description, choices or range, default. */
export function schemaFacts(schema: z.ZodType): { description?: string; values?: string; default?: string } {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Facts;
  // A default that feeds a transform (number text to number) is stated only on the output side.
  const fallback = json.default ?? (z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Facts).default;
  // Number flags take a number or its text: the first branch holds the range.
  const body = json.anyOf?.find((b) => b.enum || b.minimum !== undefined || b.maximum !== undefined) ?? json;
  const values = body.enum
    ? body.enum.map(String).join(' | ')
    : body.minimum !== undefined || body.maximum !== undefined
      ? `${body.minimum ?? ''}..${body.maximum ?? ''}`
      : undefined;
  const description = schema.description ?? json.description;
  return {
    ...(description ? { description } : {}),
    ...(values ? { values } : {}),
    ...(fallback !== undefined ? { default: String(fallback) } : {}),
  };
}

/**
 * A default that differs from case to case (a bench target, a scenario), as the help says it: the
 * value most cases take ("default 4"), then each case that differs ("scaling 1,2,5,10").
 */
export function defaultsAcross(byCase: readonly { name: string; value: string }[]): string {
  const counts = new Map<string, number>();
  for (const { value } of byCase) counts.set(value, (counts.get(value) ?? 0) + 1);
  const [main, n] = [...counts].sort((x, y) => y[1] - x[1])[0] ?? [undefined, 0];
  const common = n >= 2 ? main : undefined;
  const others = byCase.filter((x) => x.value !== common).map((x) => `${x.name} ${x.value}`);
  return [common === undefined ? undefined : `default ${common}`, ...others].filter(Boolean).join(', ');
}

const COLUMN = 25;

/** The help's "Options:" lines: flag and placeholder, then the description, range or choices, default. */
export function optionsHelp(flags: Flags, width = 100): string {
  const lines: string[] = [];
  for (const [name, f] of Object.entries(flags)) {
    const described = f.describedBy ?? f.schema;
    const facts = described ? schemaFacts(described) : {};
    const description = [f.help ?? facts.description, f.note].filter(Boolean).join('; ');
    const fallback = f.defaults ?? (facts.default === undefined ? undefined : `default ${facts.default}`);
    const extra = [facts.values, fallback].filter(Boolean).join('; ');
    const text = extra ? `${description} (${extra})`.trim() : description;
    const head = `  ${f.short ? `-${f.short}, ` : ''}--${name}${f.value ? ` ${f.value}` : ''}${f.multiple ? ' ...' : ''}`;
    lines.push(...wrap(head, text, width));
  }
  lines.push(...wrap('  -h, --help', 'this help', width));
  return lines.join('\n');
}

/** `head` padded to the description column (or on a line of its own when longer), `text` wrapped at `width`. */
function wrap(head: string, text: string, width: number): string[] {
  const out: string[] = [];
  const indent = ' '.repeat(COLUMN);
  let line = head.length < COLUMN - 1 ? head.padEnd(COLUMN) : (out.push(head), indent);
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length + word.length > width && line.length > COLUMN) {
      out.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  if (line.trim() !== '') out.push(line.trimEnd());
  return out;
}
