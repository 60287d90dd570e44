import { defineConfig } from 'vitest/config';

// The unit tests of every package: pure code, no namespace, no traffic, no root. They run in
// parallel (`npm run test:fast`); the full suite (`npm test`) runs them again with everything else.
// A test file belongs here only if it needs none of the machine.
export const UNIT_TESTS = [
  'packages/cli-kit/test/**/*.test.ts',
  'packages/relay/test/*.test.ts',
  'packages/relay/test/{cli,control,daemon,listeners,metrics,net,packaging,reflectors}/**/*.test.ts',
  'packages/relay-native/test/{validate,file-lock}.test.ts',
  'packages/netns-lab/test/relays/{config,cpu}.test.ts',
  'packages/netns-lab/test/topology/builders.test.ts',
  'packages/netns-lab/test/traffic/payload.test.ts',
  'packages/mcr-lab/test/relays/{config,mcr-build}.test.ts',
  'packages/mcr-lab/test/scenarios/{options,report}.test.ts',
  'packages/mcr-lab/test/docs.test.ts',
  'packages/bench/test/{cli,targets,readme,docs}.test.ts',
  'packages/bench/test/{gate,report,search,results,latency,micro}/**/*.test.ts',
];

export default defineConfig({
  test: {
    include: UNIT_TESTS,
    fileParallelism: true,
    testTimeout: 60_000,
  },
});
