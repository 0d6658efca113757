import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERROR_CODES, StriderError, isStriderError } from '../../../src/util/StriderError.js';

describe('util/StriderError', () => {
  it('documents exactly the codes the code defines (docs/errors.md)', () => {
    const doc = readFileSync('docs/errors.md', 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z0-9_]+)` +\|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
  });

  it('carries code, cause and context', () => {
    const cause = new Error('low level');
    const e = new StriderError('IO', 'cannot write x', { cause, context: { path: 'x' } });
    assert.equal(e.code, 'IO');
    assert.equal(e.cause, cause);
    assert.deepEqual(e.context, { path: 'x' });
    assert.ok(isStriderError(e, 'IO'));
    assert.ok(!isStriderError(e, 'CONFIG_INVALID'));
    assert.ok(!isStriderError(cause));
  });
});
