// @mcr/bench: the pieces the CLI is made of, for tests and other tools.
export * from './search/search.js';
export * from './search/verdict.js';
export * from './search/ratios.js';
export * from './results/schema.js';
export { compareWithBaseline, renderGate } from './gate/compare.js';
export { normalizeSettings, UsageError, TARGETS, type Settings } from './settings.js';
