/**
 * What a ROS 2 message load costs the controller's event loop (issue 10 item 3): sensor_msgs/
 * JointState of the 12-joint quadruped, rosgraph_msgs/Clock and sensor_msgs/Imu, each decoded from
 * CDR with the Jazzy definitions (@foxglove/rosmsg2-serialization: a stand-in for rclnodejs's own
 * decode, which runs in C++ and then converts to a JS object) and, for the state topics, handed
 * through the StateWatchdog to the StateAssembler as Ros2Link's subscriptions do.
 *
 *   npx tsx bench/messageLoad.ts [--messages 20000]
 *
 * Prints one JSON object: per-message cost (mean and p99, us) per topic, and for two topic rates
 * (Gazebo's defaults before config/ros2_controllers.yaml set the broadcaster to 50 Hz, and after)
 * the share of one core the messages take and the event-loop time they add to one 20 ms control
 * period (the messages that arrive while a tick runs wait for it, then run before the next).
 */
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import { ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import type { MessageDefinition } from '@foxglove/message-definition';
import { parseArgs } from 'node:util';
import type { Imu, JointState } from '../src/msgs/types.js';
import { urdfDescription } from '../src/robot/ros2/urdfDescription.js';
import { StateWatchdog } from '../src/safety/StateWatchdog.js';
import { StateAssembler } from '../src/state/StateAssembler.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '20000' } } });
const N = Number(values.messages);
const DEFS = ros2jazzy as unknown as Record<string, MessageDefinition>;

function codec(name: string): { reader: MessageReader; writer: MessageWriter } {
  const root = DEFS[name]!;
  const defs = [
    root,
    ...Object.entries(DEFS)
      .filter(([k]) => k !== name)
      .map(([, v]) => v),
  ];
  return { reader: new MessageReader(defs), writer: new MessageWriter(defs) };
}

const desc = urdfDescription('urdf/quadruped.urdf', 'free');
const assembler = new StateAssembler(desc, { base: [] });
let nowSec = 0;
const watchdog = new StateWatchdog({
  downstream: assembler,
  clock: { nowMs: () => nowSec * 1000 },
  timeoutMs: 100,
  stamps: 'strict',
  stampClock: { nowSec: () => nowSec },
  required: { jointState: true, odometry: false, imu: false },
});
const names = desc.joints.map((j) => j.name);
const stamp = (t: number) => ({ sec: Math.floor(t), nanosec: Math.round((t % 1) * 1e9) });

/** Per-message cost in us of `handle(bytes)` over N messages: mean and p99. */
function measure(bytesOf: (i: number) => Uint8Array, handle: (b: Uint8Array, i: number) => void) {
  const msgs = Array.from({ length: N }, (_, i) => bytesOf(i));
  for (let i = 0; i < Math.min(N, 2000); i++) handle(msgs[i]!, i); // warm-up (JIT)
  const us = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    handle(msgs[i]!, i);
    us[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const sorted = Array.from(us).sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / N;
  return { mean_us: +mean.toFixed(2), p99_us: +sorted[Math.floor(0.99 * (N - 1))]!.toFixed(2) };
}

const js = codec('sensor_msgs/JointState');
const jointState = measure(
  (i) =>
    js.writer.writeMessage({
      header: { stamp: stamp(i * 0.002), frame_id: '' },
      name: names,
      position: Float64Array.from(names, (_, k) => 0.1 * k + i * 1e-6),
      velocity: new Float64Array(names.length),
      effort: new Float64Array(names.length),
    }),
  (b, i) => {
    nowSec = i * 0.002;
    watchdog.jointState(js.reader.readMessage<JointState>(b));
  },
);
const clk = codec('rosgraph_msgs/Clock');
const clock = measure(
  (i) => clk.writer.writeMessage({ clock: stamp(i * 0.001) }),
  (b) => {
    clk.reader.readMessage(b);
  },
);
const imuC = codec('sensor_msgs/Imu');
const imu = measure(
  (i) =>
    imuC.writer.writeMessage({
      header: { stamp: stamp(i * 0.004), frame_id: 'base_link' },
      orientation: { x: 0, y: 0, z: 0, w: 1 },
      orientation_covariance: new Float64Array(9),
      angular_velocity: { x: 0, y: 0, z: 0 },
      angular_velocity_covariance: new Float64Array(9),
      linear_acceleration: { x: 0, y: 0, z: 9.81 },
      linear_acceleration_covariance: new Float64Array(9),
    }),
  (b, i) => {
    nowSec = i * 0.004;
    watchdog.imu(imuC.reader.readMessage<Imu>(b));
  },
);

/** Rates in Hz -> share of one core and event-loop ms per 20 ms control period. */
function load(rates: { joint_states: number; clock: number; imu: number }) {
  const usPerS =
    rates.joint_states * jointState.mean_us + rates.clock * clock.mean_us + rates.imu * imu.mean_us;
  return {
    rates_hz: rates,
    messages_per_s: rates.joint_states + rates.clock + rates.imu,
    core_share: +(usPerS / 1e6).toFixed(4),
    ms_per_20ms_period: +((usPerS / 1e6) * 20).toFixed(3),
  };
}

process.stdout.write(
  JSON.stringify(
    {
      messages: N,
      per_message: { joint_state: jointState, clock, imu },
      load: {
        gazebo_defaults: load({ joint_states: 500, clock: 1000, imu: 250 }),
        shipped_controllers_yaml: load({ joint_states: 50, clock: 1000, imu: 250 }),
        two_khz: load({ joint_states: 1000, clock: 1000, imu: 0 }),
      },
      malformed_or_dropped: watchdog.malformed + watchdog.dropped,
    },
    null,
    2,
  ) + '\n',
);
