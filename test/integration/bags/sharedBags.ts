import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { requireInCi } from '../../helpers/requireInCi.js';

/** ../shared/testdata/bags relative to the repository root (the CI checkout has it). */
export const SHARED_BAGS = resolve(process.cwd(), '../shared/testdata/bags');

/**
 * For tests over the shared real bags: where the folder is absent, the test FAILS in CI
 * (CI=true: the data must be there) and is reported pending elsewhere (a plain clone).
 */
export function requireSharedBags(ctx: Pick<Mocha.Context, 'skip'>, root = SHARED_BAGS): string {
  requireInCi(ctx, existsSync(root), root);
  return root;
}
