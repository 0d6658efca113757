import assert from 'node:assert/strict';
import sinon from 'sinon';
import { trainerCpus } from '../../../src/learning/trainerCpus.js';
import { silentLogger } from '../../../src/util/logger.js';
import { isStriderError } from '../../../src/util/StriderError.js';

describe('learning/trainerCpus: where the child trainer runs (trainer.cpus)', () => {
  const machine = (cpus: number, hasTaskset = true) => ({ cpus, hasTaskset: () => hasTaskset });

  it('auto: every CPU but the controller\u2019s first; nothing to pin on one CPU', () => {
    const log = silentLogger();
    assert.equal(trainerCpus('auto', log, machine(2)), '1');
    assert.equal(trainerCpus('auto', log, machine(8)), '1-7');
    assert.equal(trainerCpus('auto', log, machine(1)), null);
    assert.equal(trainerCpus('all', log, machine(8)), null);
  });

  it('auto without taskset: unpinned, with a warning', () => {
    const log = silentLogger();
    const warn = sinon.spy(log, 'warn');
    assert.equal(trainerCpus('auto', log, machine(2, false)), null);
    assert.match(String(warn.firstCall.args[0]), /taskset .* not found/);
  });

  it('an explicit list: kept when every CPU exists, CONFIG_INVALID naming the key when not, IO without taskset', () => {
    const log = silentLogger();
    assert.equal(trainerCpus('1,3-5', log, machine(8)), '1,3-5');
    assert.throws(
      () => trainerCpus('2-3', log, machine(2)),
      (e) => isStriderError(e, 'CONFIG_INVALID') && /trainer\.cpus: "2-3"/.test(e.message),
    );
    assert.throws(
      () => trainerCpus('3-1', log, machine(8)),
      (e) => isStriderError(e, 'CONFIG_INVALID'),
    );
    assert.throws(
      () => trainerCpus('1', log, machine(2, false)),
      (e) => isStriderError(e, 'IO') && /trainer\.cpus: all/.test(e.message),
    );
  });
});
