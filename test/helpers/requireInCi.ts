/**
 * For tests that need something outside the npm tree (mosquitto, python3, the shared bags): where
 * it is absent, the test FAILS in CI (CI=true: .ci/run installs it, so its absence is a broken CI,
 * not a reason to pass) and is reported pending elsewhere (a plain clone without it).
 */
export function requireInCi(
  ctx: Pick<Mocha.Context, 'skip'>,
  present: boolean,
  what: string,
): void {
  if (present) return;
  if (process.env['CI'] === 'true') {
    throw new Error(`${what} is absent: CI must provide it (.ci/run installs it)`);
  }
  ctx.skip();
}
