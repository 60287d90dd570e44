import { z } from 'zod';
import { configSchema } from './config-schema.js';

// The config file's JSON Schema, generated from the zod schema the relay itself checks files with, so
// editors complete and check the same fields, ranges and defaults. Interfaces and cross-field rules
// (families, ranges, loops) are the relay's to check: `mcr validate` does.

/** Where the generated file lives in the package (`nx run relay:json-schema` writes it). */
export const CONFIG_JSON_SCHEMA_PATH = 'schema/mcr-config.schema.json';

const anyInterface = { interfaceExists: () => true, isEthernet: () => true };

export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema(anyInterface), { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    title: 'mcr relay configuration',
    description: 'The JSON5 config file of mcr run / mcr validate (generated from the relay\'s schema; do not edit).',
  };
}

/** The file's text: stable key order as generated, two-space indent, final newline. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
