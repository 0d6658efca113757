import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  arenaCap,
  DEFAULT_MALLOC_ARENA_MAX,
  withArenaCap,
} from '../../../src/util/mallocArenas.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('util/mallocArenas: glibc arenas capped from process start', () => {
  it('sets the default only where the environment names no cap, without touching the input', () => {
    const bare = { PATH: '/usr/bin' };
    const capped = withArenaCap(bare);
    assert.equal(capped.MALLOC_ARENA_MAX, DEFAULT_MALLOC_ARENA_MAX);
    assert.equal(capped.PATH, '/usr/bin');
    assert.equal('MALLOC_ARENA_MAX' in bare, false);
    assert.equal(withArenaCap({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX, '4');
    assert.equal(arenaCap({}), 'unset');
    assert.equal(arenaCap({ MALLOC_ARENA_MAX: '1' }), '1');
  });

  it("is set by bin/strider.js's #! line and the npm scripts that start strider", () => {
    const shebang = readFileSync(join(ROOT, 'bin', 'strider.js'), 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S MALLOC_ARENA_MAX=${DEFAULT_MALLOC_ARENA_MAX} node`);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const name of ['start', 'strider', 'bench']) {
      assert.match(
        pkg.scripts[name]!,
        new RegExp(
          `^MALLOC_ARENA_MAX=\\$\\{MALLOC_ARENA_MAX:-${DEFAULT_MALLOC_ARENA_MAX}\\} node bin/strider\\.js`,
        ),
        `npm run ${name}`,
      );
    }
  });
});
