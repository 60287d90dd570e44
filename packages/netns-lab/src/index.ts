// Public API of @mcr/netns-lab: namespaces, topologies as data and their realisation, relays under
// test, and the native traffic tools' wrappers (src/traffic, owned by its own module).
export * from './netns/index.js';
export * from './topology/index.js';
export * from './relays/index.js';
export * from './traffic/index.js';
export * from './bed/index.js';
export * from './scenarios/index.js';
export * from './doctor/index.js';
