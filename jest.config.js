/**
 * Unit tests are pure; integration tests share one Temporal dev server started by globalSetup;
 * fault tests start the deployment shape as processes of their own (Temporal, PostgreSQL, API, workers).
 */
const transform = { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } }] };
// jose ships ES modules only; let swc turn it into CommonJS for jest's module system.
const transformIgnorePatterns = ['/node_modules/(?!(jose)/)'];

module.exports = {
  testTimeout: 120_000,
  // Test files run one at a time in a worker process (npm run jest: --maxWorkers=1), replaced once
  // it holds more than this after a file: each file's module graph (the app, the Temporal SDK, the
  // redaction dictionaries) is not all released by jest, and one process for the whole suite ran
  // out of heap.
  workerIdleMemoryLimit: '1200MB',
  verbose: true,
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/tests/support/globalSetup.ts',
      globalTeardown: '<rootDir>/tests/support/globalTeardown.ts',
    },
    {
      displayName: 'browser',
      testMatch: ['<rootDir>/tests/browser/**/*.test.ts'],
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/tests/support/globalSetup.ts',
      globalTeardown: '<rootDir>/tests/support/globalTeardown.ts',
    },
    {
      displayName: 'faults',
      testMatch: ['<rootDir>/tests/faults/**/*.test.ts'],
      testEnvironment: 'node',
      transform,
      transformIgnorePatterns,
    },
  ],
};
