/**
 * Browser tests (npm run test:e2e): Chromium against the real server, under test/e2e/ (which the
 * default config leaves out). Run with --runInBand: each file starts its own server and browser,
 * and two cores are enough for one server, one browser and jest at a time.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 180000,
  slowTestThreshold: 60,
}
