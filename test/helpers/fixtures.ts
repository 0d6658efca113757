import type { Float64MultiArray, JointState, Odometry } from '../../src/msgs/types.js';
import type { RobotDescription, RobotLink, StateHandlers } from '../../src/robot/types.js';

/** A two-joint robot with a planar base: one effort actuator and one position actuator. */
export function twoJointRobot(): RobotDescription {
  return {
    name: 'two',
    modelPath: '/fixtures/two.xml',
    joints: [
      { name: 'hip', type: 'hinge', positionLimits: [-1, 1], velocityLimit: 10, effortLimit: 5 },
      { name: 'knee', type: 'hinge', positionLimits: [-2, 0], velocityLimit: 10, effortLimit: 5 },
    ],
    actuators: [
      { name: 'hip_motor', joint: 'hip', interface: 'effort', commandLimits: [-5, 5] },
      { name: 'knee_servo', joint: 'knee', interface: 'position', commandLimits: [-2, 0] },
    ],
    base: { body: 'torso', kind: 'planar' },
  };
}

export function jointState(names: string[], pos: number[], vel: number[], t = 0): JointState {
  return {
    header: { stamp: { sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) }, frame_id: '' },
    name: names,
    position: pos,
    velocity: vel,
    effort: names.map(() => 0),
  };
}

export function odometry(
  p: [number, number, number],
  q: { w: number; x: number; y: number; z: number },
  vBody: [number, number, number],
  wBody: [number, number, number],
  t = 0,
): Odometry {
  return {
    header: { stamp: { sec: Math.floor(t), nanosec: 0 }, frame_id: 'odom' },
    child_frame_id: 'base_link',
    pose: {
      pose: { position: { x: p[0], y: p[1], z: p[2] }, orientation: q },
      covariance: new Float64Array(36),
    },
    twist: {
      twist: {
        linear: { x: vBody[0], y: vBody[1], z: vBody[2] },
        angular: { x: wBody[0], y: wBody[1], z: wBody[2] },
      },
      covariance: new Float64Array(36),
    },
  };
}

/**
 * A robot link that records every command it is sent (copied), for unit tests of the parts
 * above the link. The real link (MuJoCo) is exercised in the robot and integration tests.
 */
export class RecordingLink implements RobotLink {
  readonly sent: number[][] = [];
  readonly sentObjects: Float64MultiArray[] = [];
  handlers: StateHandlers | null = null;
  constructor(readonly description: RobotDescription) {}
  configure(): Promise<RobotDescription> {
    return Promise.resolve(this.description);
  }
  activate(handlers: StateHandlers): Promise<void> {
    this.handlers = handlers;
    return Promise.resolve();
  }
  sendCommand(cmd: Readonly<Float64MultiArray>): void {
    this.sent.push(Array.from(cmd.data));
    this.sentObjects.push(cmd);
  }
  deactivate(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
