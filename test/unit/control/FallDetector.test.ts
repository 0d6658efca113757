import * as assert from 'node:assert/strict';
import { FallDetector } from '../../../src/control/FallDetector.js';
import type { StateLayout } from '../../../src/state/types.js';

const LAYOUT: StateLayout = {
  dim: 5,
  names: ['base.pos.z', 'base.quat.w', 'base.quat.x', 'base.quat.y', 'base.quat.z'],
};

/** z, then the quaternion of a pitch by `pitch` rad about the body y axis. */
function state(z: number, pitch: number): Float32Array {
  return Float32Array.of(z, Math.cos(pitch / 2), 0, Math.sin(pitch / 2), 0);
}

describe('control/FallDetector', () => {
  const options = { maxTiltRad: 0.8, minHeightFraction: 0.5, stanceHeightM: 0.32 };

  it('names the limit passed: tilt past max_rad, height below the fraction of the stance', () => {
    const d = new FallDetector(LAYOUT, options);
    assert.equal(d.cause(state(0.32, 0.79)), null);
    assert.equal(d.cause(state(0.32, 0.81)), 'tilt');
    assert.equal(d.cause(state(0.32, -0.81)), 'tilt', 'either direction');
    assert.equal(d.cause(state(0.161, 0)), null);
    assert.equal(d.cause(state(0.159, 0)), 'height');
    assert.equal(d.cause(state(0.1, 1.2)), 'height', 'both passed: the height is named');
  });

  it('without a stance height, the limit follows from each episode’s first state', () => {
    const d = new FallDetector(LAYOUT, { ...options, stanceHeightM: null });
    d.startEpisode(state(0.4, 0));
    assert.equal(d.cause(state(0.21, 0)), null);
    assert.equal(d.cause(state(0.19, 0)), 'height');
    d.startEpisode(state(0.3, 0));
    assert.equal(d.cause(state(0.16, 0)), null);
  });

  it('a quantity missing from the state is not judged', () => {
    const noQuat = new FallDetector({ dim: 1, names: ['base.pos.z'] }, options);
    assert.equal(noQuat.cause(Float32Array.of(0.32)), null);
    assert.equal(noQuat.cause(Float32Array.of(0.1)), 'height');
    const noHeight = new FallDetector(LAYOUT, { ...options, minHeightFraction: 0 });
    assert.equal(noHeight.cause(state(0.01, 0)), null);
    assert.equal(noHeight.cause(state(0.01, 1)), 'tilt');
  });
});
