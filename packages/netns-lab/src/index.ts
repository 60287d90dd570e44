// Public API of @mcr/netns-lab: namespaces, topologies as data and their realisation, the baseline
// relays and the plug-in interface for any other, the stream plan, the native traffic tools' wrappers (src/traffic,
// owned by its own module), the doctor's probes, and the lab's CLI commands for a program to compose.
export * from './netns/index.js';
export * from './topology/index.js';
export * from './relays/index.js';
export * from './traffic/index.js';
export * from './streams/index.js';
export * from './doctor/index.js';
export * from './cli/index.js';
