// @mcr/bench: the pieces the CLI is made of, for tests and other tools.
export * from './search/search.js';
export * from './search/verdict.js';
export * from './search/ratios.js';
export * from './results/schema.js';
export * from './gate/decision.js';
export * from './search/spread.js';
export { normalizeSettings, UsageError, TARGETS, type Settings } from './settings.js';
