/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // src must be a root or collectCoverageFrom cannot see files no test loads
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  // NodeNext makes us write `import './x.js'`; map it back to the .ts source for jest
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' } }],
  },
  collectCoverageFrom: ['src/**/*.ts'],
  testTimeout: 30000,
};
