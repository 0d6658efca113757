// Mocha's settings. In CI (CI=true) a pending test fails the run: a test that skips for a missing
// tool or file would otherwise pass CI in silence. .ci/run installs everything the suite needs.
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/**/*.test.ts'],
  timeout: 20000,
  reporter: 'spec',
  'forbid-pending': process.env.CI === 'true',
};
