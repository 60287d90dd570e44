// Writes the config file's JSON Schema into the package (nx run relay:json-schema, after a build).
// A test fails while the committed file differs from what the schema generates.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchemaText } from '../dist/config/json-schema.js';

const file = join(fileURLToPath(new URL('..', import.meta.url)), CONFIG_JSON_SCHEMA_PATH);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, configJsonSchemaText());
process.stdout.write(`wrote ${file}\n`);
