#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (npx nx build mcr-lab, or tsc -p tsconfig.build.json).
import { main } from '../dist/cli.js';

process.exitCode = await main(process.argv.slice(2));
