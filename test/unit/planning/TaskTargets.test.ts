import * as assert from 'node:assert/strict';
import sinon from 'sinon';
import { configSchema, type TaskConfig } from '../../../src/config/schema.js';
import type { Odometry } from '../../../src/msgs/types.js';
import { TaskTargets, type VelocityTarget } from '../../../src/planning/TaskTargets.js';
import type { Twist, Waypoint } from '../../../src/robot/ros2/ros2Msgs.js';
import type { Logger } from '../../../src/util/logger.js';

function taskConfig(overrides: Record<string, unknown> = {}): TaskConfig {
  return configSchema.shape.task.parse({
    reward: 'cmd_vel',
    cmd_vel: { linear_x: 0.3, linear_y: 0.1, angular_z: -0.2 },
    cmd_vel_timeout_s: 0.5,
    path: { tolerance_m: 0.25, speed_mps: 0.4, yaw_gain: 1.5, max_yaw_rate: 1 },
    ...overrides,
  });
}

function twist(x: number, y: number, wz: number): Twist {
  return { linear: { x, y, z: 0 }, angular: { x: 0, y: 0, z: wz } };
}

/** A mutable odometry message, reused like a robot link reuses its buffers. */
function odometry(frameId = 'odom'): Odometry {
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId },
    child_frame_id: 'base_link',
    pose: {
      pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
      covariance: [],
    },
    twist: {
      twist: { linear: { x: 0, y: 0, z: 0 }, angular: { x: 0, y: 0, z: 0 } },
      covariance: [],
    },
  };
}

function setPose(odom: Odometry, x: number, y: number, yaw: number): Odometry {
  odom.pose.pose.position.x = x;
  odom.pose.pose.position.y = y;
  const q = odom.pose.pose.orientation;
  q.w = Math.cos(yaw / 2);
  q.z = Math.sin(yaw / 2);
  return odom;
}

function wp(x: number, y: number): Waypoint {
  return { x, y, z: 0 };
}

function fakeLogger(): { logger: Logger; warn: sinon.SinonSpy } {
  const warn = sinon.spy();
  return { logger: { warn } as unknown as Logger, warn };
}

function setup(overrides: Record<string, unknown> = {}) {
  const target: VelocityTarget = { linearX: 9, linearY: 9, angularZ: 9 };
  const { logger, warn } = fakeLogger();
  const targets = new TaskTargets({ target, task: taskConfig(overrides), logger });
  return { target, targets, warn };
}

function near(actual: number, expected: number, tol = 1e-9): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `expected ${String(expected)}, got ${String(actual)}`,
  );
}

const ZERO = { linearX: 0, linearY: 0, angularZ: 0 };

describe('planning/TaskTargets', () => {
  describe('default', () => {
    it('sets task.cmd_vel and keeps it however long no message arrives', () => {
      const { target, targets } = setup();
      assert.deepEqual(target, { linearX: 0.3, linearY: 0.1, angularZ: -0.2 });
      assert.equal(targets.mode, 'default');
      assert.equal(targets.waypointIndex, -1);
      targets.update(1e9);
      assert.equal(targets.mode, 'default');
      assert.deepEqual(target, { linearX: 0.3, linearY: 0.1, angularZ: -0.2 });
    });
  });

  describe('cmd_vel', () => {
    it('copies linear.x, linear.y and angular.z into the target', () => {
      const { target, targets } = setup();
      targets.onCmdVel(
        { linear: { x: 0.7, y: -0.2, z: 5 }, angular: { x: 5, y: 5, z: 0.4 } },
        1000,
      );
      assert.equal(targets.mode, 'cmd_vel');
      assert.deepEqual(target, { linearX: 0.7, linearY: -0.2, angularZ: 0.4 });
    });

    it('goes stale (zero target) once silent longer than the timeout, and a new message resumes', () => {
      const { target, targets } = setup();
      targets.onCmdVel(twist(0.7, 0, 0.4), 1000);
      targets.update(1500); // exactly the timeout: still fresh
      assert.equal(targets.mode, 'cmd_vel');
      assert.deepEqual(target, { linearX: 0.7, linearY: 0, angularZ: 0.4 });
      targets.update(1501);
      assert.equal(targets.mode, 'cmd_vel_stale');
      assert.deepEqual(target, ZERO);
      targets.update(5000);
      assert.deepEqual(target, ZERO);
      targets.onCmdVel(twist(0.2, 0.1, 0), 5000);
      assert.equal(targets.mode, 'cmd_vel');
      assert.deepEqual(target, { linearX: 0.2, linearY: 0.1, angularZ: 0 });
      targets.update(5400);
      assert.equal(targets.mode, 'cmd_vel');
    });

    it('a steady stream never goes stale', () => {
      const { targets } = setup();
      for (let t = 0; t < 10_000; t += 100) {
        targets.onCmdVel(twist(0.5, 0, 0), t);
        targets.update(t + 50);
        assert.equal(targets.mode, 'cmd_vel');
      }
    });

    it('never goes stale with cmd_vel_timeout_s 0', () => {
      const { target, targets } = setup({ cmd_vel_timeout_s: 0 });
      targets.onCmdVel(twist(0.7, 0, 0.4), 1000);
      targets.update(1e9);
      assert.equal(targets.mode, 'cmd_vel');
      assert.deepEqual(target, { linearX: 0.7, linearY: 0, angularZ: 0.4 });
    });

    it('ignores a message with a non-finite component, warning once', () => {
      const { target, targets, warn } = setup();
      targets.onCmdVel(twist(0.5, 0, 0), 0);
      targets.onCmdVel(twist(Number.NaN, 0, 0), 100);
      targets.onCmdVel(twist(0, 0, Number.POSITIVE_INFINITY), 200);
      assert.deepEqual(target, { linearX: 0.5, linearY: 0, angularZ: 0 });
      assert.equal(warn.callCount, 1);
      assert.match(String(warn.firstCall.args[1]), /non-finite/);
      targets.update(600); // the ignored messages do not keep the stream fresh
      assert.equal(targets.mode, 'cmd_vel_stale');
    });
  });

  describe('path', () => {
    it('stands still until an odometry pose arrives', () => {
      const { target, targets } = setup();
      targets.onPath([wp(1, 0)], 'odom', 0);
      assert.equal(targets.mode, 'path');
      assert.equal(targets.waypointIndex, 0);
      assert.deepEqual(target, ZERO);
      targets.update(10);
      assert.deepEqual(target, ZERO);
      targets.onOdometry(odometry());
      targets.update(20);
      assert.deepEqual(target, { linearX: 0.4, linearY: 0, angularZ: 0 });
    });

    it('reaches the waypoints in order with a unicycle driven by the targets, then stops', () => {
      const { target, targets } = setup();
      const waypoints = [wp(1, 0), wp(1, 1), wp(0, 1), wp(-0.5, -0.5)];
      const odom = odometry();
      let x = 0;
      let y = 0;
      let yaw = 0;
      targets.onOdometry(setPose(odom, x, y, yaw));
      targets.onPath(waypoints, 'odom', 0);
      const dtSec = 0.02;
      const reachedAt: { index: number; x: number; y: number }[] = [];
      let lastIndex = targets.waypointIndex;
      let step = 0;
      for (; step < 5000 && targets.mode === 'path'; step++) {
        x += target.linearX * Math.cos(yaw) * dtSec - target.linearY * Math.sin(yaw) * dtSec;
        y += target.linearX * Math.sin(yaw) * dtSec + target.linearY * Math.cos(yaw) * dtSec;
        yaw += target.angularZ * dtSec;
        assert.ok(target.linearX >= 0 && target.linearX <= 0.4 + 1e-12);
        assert.ok(Math.abs(target.angularZ) <= 1 + 1e-12);
        targets.onOdometry(setPose(odom, x, y, yaw));
        targets.update(step * 20);
        const index = targets.waypointIndex;
        if (index !== lastIndex) {
          reachedAt.push({ index: lastIndex, x, y });
          lastIndex = index;
        }
      }
      assert.equal(targets.mode, 'path_done');
      assert.equal(targets.waypointIndex, -1);
      assert.deepEqual(target, ZERO);
      assert.deepEqual(
        reachedAt.map((r) => r.index),
        [0, 1, 2, 3],
      );
      for (const r of reachedAt) {
        const w = waypoints[r.index]!;
        assert.ok(
          Math.hypot(w.x - r.x, w.y - r.y) <= 0.25,
          `waypoint ${String(r.index)} reached at ${String(r.x)}, ${String(r.y)}`,
        );
      }
      // Roughly the path length at 0.4 m/s, with time for the turns.
      assert.ok(step * dtSec < 30, `took ${String(step * dtSec)} s`);
      targets.update(1e9);
      assert.equal(targets.mode, 'path_done');
    });

    it('passes every waypoint already within tolerance in one update', () => {
      const { targets } = setup();
      targets.onOdometry(odometry());
      targets.onPath([wp(0.1, 0), wp(0.2, 0.1), wp(2, 0), wp(0, 0)], 'odom', 0);
      assert.equal(targets.waypointIndex, 2);
      targets.onPath([wp(0.1, 0), wp(0, 0.1)], 'odom', 0);
      assert.equal(targets.mode, 'path_done');
    });

    it('turns on the spot towards a waypoint behind, and steers proportionally within the limit', () => {
      const { target, targets } = setup();
      const odom = odometry();
      targets.onOdometry(setPose(odom, 0, 0, 0));
      targets.onPath([wp(-2, 0.1)], 'odom', 0);
      assert.equal(target.linearX, 0);
      assert.equal(target.linearY, 0);
      assert.equal(target.angularZ, 1); // clamped to max_yaw_rate, turning left (the shorter way)
      targets.onPath([wp(-2, -0.1)], 'odom', 0);
      assert.equal(target.angularZ, -1);
      // Waypoint 0.3 rad to the left of the heading: yaw_gain * 0.3, forward speed * cos(0.3).
      targets.onOdometry(setPose(odom, 0, 0, 1));
      targets.onPath([wp(Math.cos(1.3) * 3, Math.sin(1.3) * 3)], 'odom', 0);
      near(target.angularZ, 1.5 * 0.3);
      near(target.linearX, 0.4 * Math.cos(0.3));
      // Heading error wraps: facing yaw 3, a waypoint at angle -3 is 0.28 rad to the left.
      targets.onOdometry(setPose(odom, 0, 0, 3));
      targets.onPath([wp(Math.cos(-3) * 3, Math.sin(-3) * 3)], 'odom', 0);
      near(target.angularZ, 1.5 * (2 * Math.PI - 6));
      near(target.linearX, 0.4 * Math.cos(2 * Math.PI - 6));
    });

    it('an empty path means stop', () => {
      const { target, targets } = setup();
      targets.onCmdVel(twist(0.5, 0, 0.1), 0);
      targets.onPath([], 'odom', 10);
      assert.equal(targets.mode, 'path_done');
      assert.equal(targets.waypointIndex, -1);
      assert.deepEqual(target, ZERO);
      targets.update(1e6);
      assert.deepEqual(target, ZERO);
    });

    it('stands still in a frame other than the odometry frame, warning once per path', () => {
      const { target, targets, warn } = setup();
      const odom = odometry('odom');
      targets.onOdometry(odom);
      targets.onPath([wp(1, 0)], 'map', 0);
      targets.update(10);
      targets.update(20);
      assert.equal(targets.mode, 'path_frame_mismatch');
      assert.deepEqual(target, ZERO);
      assert.equal(warn.callCount, 1);
      assert.match(String(warn.firstCall.args[1]), /"map".*"odom"/);
      targets.onPath([wp(2, 0)], 'map', 30);
      targets.update(40);
      assert.equal(warn.callCount, 2);
      // Odometry moving to the path's frame resumes following.
      odom.header.frame_id = 'map';
      targets.onOdometry(odom);
      targets.update(50);
      assert.equal(targets.mode, 'path');
      assert.deepEqual(target, { linearX: 0.4, linearY: 0, angularZ: 0 });
    });

    it('takes an empty frame id as the odometry frame', () => {
      const { target, targets, warn } = setup();
      targets.onOdometry(odometry('odom'));
      targets.onPath([wp(1, 0)], '', 0);
      assert.equal(targets.mode, 'path');
      assert.deepEqual(target, { linearX: 0.4, linearY: 0, angularZ: 0 });
      assert.equal(warn.callCount, 0);
    });

    it('a cmd_vel message ends the path, and a new path replaces cmd_vel following', () => {
      const { target, targets } = setup();
      targets.onOdometry(odometry());
      targets.onPath([wp(1, 0), wp(2, 0)], 'odom', 0);
      assert.equal(targets.mode, 'path');
      targets.onCmdVel(twist(-0.1, 0.2, 0.3), 10);
      assert.equal(targets.mode, 'cmd_vel');
      assert.equal(targets.waypointIndex, -1);
      targets.update(20);
      assert.deepEqual(target, { linearX: -0.1, linearY: 0.2, angularZ: 0.3 });
      targets.onPath([wp(0, 1)], 'odom', 30);
      assert.equal(targets.mode, 'path');
      assert.equal(targets.waypointIndex, 0);
      targets.update(10_000); // no cmd_vel timeout while following a path
      assert.equal(targets.mode, 'path');
      assert.equal(target.linearX, 0.4 * Math.max(0, Math.cos(Math.PI / 2)));
      assert.equal(target.angularZ, 1);
    });

    it('copies the waypoints (the array is borrowed)', () => {
      const { targets } = setup();
      targets.onOdometry(odometry());
      const waypoints = [wp(3, 0)];
      targets.onPath(waypoints, 'odom', 0);
      waypoints[0] = wp(0, 0);
      targets.update(10);
      assert.equal(targets.mode, 'path');
    });

    it('ignores a path with a non-finite waypoint, warning', () => {
      const { target, targets, warn } = setup();
      targets.onCmdVel(twist(0.5, 0, 0), 0);
      targets.onPath([wp(1, 0), wp(Number.NaN, 0)], 'odom', 10);
      assert.equal(targets.mode, 'cmd_vel');
      assert.deepEqual(target, { linearX: 0.5, linearY: 0, angularZ: 0 });
      assert.equal(warn.callCount, 1);
      assert.match(String(warn.firstCall.args[1]), /waypoint 1 of 2 is not finite/);
    });
  });
});
