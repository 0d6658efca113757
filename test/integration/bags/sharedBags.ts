import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** ../shared/testdata/bags relative to the repository root (the CI checkout has it). */
export const SHARED_BAGS = resolve(process.cwd(), '../shared/testdata/bags');

/**
 * For tests over the shared real bags: where the folder is absent, the test FAILS in CI
 * (CI=true: the data must be there) and is reported pending elsewhere (a plain clone).
 */
export function requireSharedBags(ctx: Pick<Mocha.Context, 'skip'>, root = SHARED_BAGS): string {
  if (existsSync(root)) return root;
  if (process.env['CI'] === 'true') {
    throw new Error(`${root} is absent: CI must provide ../shared/testdata/bags`);
  }
  ctx.skip();
}
