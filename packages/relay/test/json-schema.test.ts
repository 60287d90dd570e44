import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchema, configJsonSchemaText } from '../src/config/json-schema.js';
import { RELAY_LIMITS } from '../src/config/limits.js';

const committed = join(fileURLToPath(new URL('..', import.meta.url)), CONFIG_JSON_SCHEMA_PATH);

describe('the config file\'s JSON Schema', () => {
  it('is the one the schema generates (after a schema change: nx run relay:json-schema, and commit it)', () => {
    expect(readFileSync(committed, 'utf8'), `${CONFIG_JSON_SCHEMA_PATH} is stale: run \`npx nx run relay:json-schema\``).toBe(configJsonSchemaText());
  });

  it('describes the fields editors complete, with the limits stated once', () => {
    const schema = configJsonSchema() as { properties: Record<string, any>; additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toContain('$schema');
    const rule = schema.properties.rules.items;
    expect(Object.keys(rule.properties)).toEqual(['id', 'input', 'outputs', 'maxPps', 'linkLocal', 'join']);
    expect(rule.properties.join.description).toContain(String(RELAY_LIMITS.maxJoinedGroupsPerRange));
    expect(rule.properties.input.required).toEqual(['interface', 'group', 'port']);
  });
});
