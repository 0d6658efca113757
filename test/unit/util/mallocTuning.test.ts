import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  MALLOC_SETTINGS,
  MALLOC_TUNING,
  mallocTuning,
  withMallocTuning,
} from '../../../src/util/mallocTuning.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('util/mallocTuning: glibc malloc tuned from process start', () => {
  it('sets each default only where the environment names none, without touching the input', () => {
    const bare = { PATH: '/usr/bin' };
    const tuned = withMallocTuning(bare);
    assert.equal(tuned.MALLOC_ARENA_MAX, '2');
    assert.equal(tuned.MALLOC_MMAP_THRESHOLD_, '131072');
    assert.equal(tuned.PATH, '/usr/bin');
    assert.deepEqual(Object.keys(bare), ['PATH']);
    const mine = withMallocTuning({ MALLOC_ARENA_MAX: '4' });
    assert.equal(mine.MALLOC_ARENA_MAX, '4', "the user's value kept");
    assert.equal(mine.MALLOC_MMAP_THRESHOLD_, '131072');
    assert.deepEqual(mallocTuning({}), {
      MALLOC_ARENA_MAX: 'unset',
      MALLOC_MMAP_THRESHOLD_: 'unset',
    });
    assert.deepEqual(mallocTuning({ MALLOC_ARENA_MAX: '1' }), {
      MALLOC_ARENA_MAX: '1',
      MALLOC_MMAP_THRESHOLD_: 'unset',
    });
  });

  it("is set by bin/strider.js's #! line and the npm scripts that start strider", () => {
    const assignments = MALLOC_SETTINGS.map((k) => `${k}=${MALLOC_TUNING[k]}`).join(' ');
    const shebang = readFileSync(join(ROOT, 'bin', 'strider.js'), 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S ${assignments} node`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const defaults = MALLOC_SETTINGS.map((k) => `${k}=\${${k}:-${MALLOC_TUNING[k]}}`).join(' ');
    for (const name of ['start', 'strider', 'bench']) {
      assert.ok(
        pkg.scripts[name]!.startsWith(`${defaults} node bin/strider.js`),
        `npm run ${name}: ${pkg.scripts[name]}`,
      );
    }
  });
});
