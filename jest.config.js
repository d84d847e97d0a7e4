'use strict';

// Two projects: unit tests need nothing running; end-to-end tests get a Docker
// engine and a registry from the global setup. Jest runs a project's global
// setup only when at least one of its tests is selected, so `jest --selectProjects unit`
// (or a path under tests/unit) starts no services.

/** ts-jest transpiles each file on its own, without type checking, so tests start fast. */
const transform = {
  '^.+\\.ts$': [
    'ts-jest',
    {
      tsconfig: {
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node',
        esModuleInterop: true,
        isolatedModules: true,
        strict: true,
        sourceMap: true,
        types: ['node', 'jest'],
      },
    },
  ],
};

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
};

module.exports = {
  // testTimeout is a global option: Jest ignores it inside a project. End-to-end
  // runs push real images, so every test gets the generous bound they need.
  testTimeout: 120_000,
  reporters: ['default', '<rootDir>/tests/rig/plain-summary-reporter.js'],
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/tests/unit/**/*.test.ts'],
      setupFiles: ['<rootDir>/tests/unit/agent-environment.ts'],
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/tests/rig/global-setup.ts',
      globalTeardown: '<rootDir>/tests/rig/global-teardown.ts',
    },
  ],
};
