import * as assert from 'node:assert/strict';
import { benchPolicy } from '../../../src/bench/benchPolicy.js';

describe('bench: policy inference figures', () => {
  it('times the control path a policy of that size takes, and the asynchronous ONNX run', async () => {
    const small = await benchPolicy({ stateDim: 23, actionDim: 6, hidden: [64, 64], calls: 50 });
    const large = await benchPolicy({ stateDim: 38, actionDim: 12, hidden: [256, 256], calls: 50 });
    assert.equal(small.path, 'js');
    assert.equal(large.path, 'native');
    for (const f of [small, large]) {
      assert.equal(f.calls, 50);
      for (const v of [f.p50_us, f.p99_us, f.max_us, f.onnx_p50_us, f.onnx_p99_us, f.onnx_max_us])
        assert.ok(Number.isFinite(v) && v > 0, `${v}`);
      assert.ok(f.p50_us <= f.p99_us && f.p99_us <= f.max_us);
      assert.ok(f.onnx_p50_us <= f.onnx_p99_us && f.onnx_p99_us <= f.onnx_max_us);
    }
    assert.deepEqual(large.hidden, [256, 256]);
  });
});
