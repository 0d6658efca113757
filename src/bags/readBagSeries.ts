import type { Float64MultiArray, JointState, Odometry, Twist } from '../msgs/types.js';
import type { StateAssembler } from '../state/StateAssembler.js';
import { StriderError } from '../util/StriderError.js';
import type { BagReader } from './BagReader.js';
import type { ReplayConfig, TwistField } from './replayConfig.js';
import type { TimeSeries } from './resample.js';
import type { BagMessage } from './types.js';

/** The message type each replay role expects. */
export const EXPECTED_TYPES = {
  odometry: 'nav_msgs/msg/Odometry',
  joint_states: 'sensor_msgs/msg/JointState',
  twist: 'geometry_msgs/msg/Twist',
  float64_multi_array: 'std_msgs/msg/Float64MultiArray',
  joint_trajectory: 'trajectory_msgs/msg/JointTrajectory',
} as const;

interface JointTrajectory {
  readonly joint_names: readonly string[];
  readonly points: readonly { readonly positions: ArrayLike<number> }[];
}

/** What a bag yields for replay: state and command series on one clock, and their names. */
export interface BagSeries {
  readonly state: TimeSeries;
  readonly action: TimeSeries;
  readonly actionNames: readonly string[];
  /** Messages read on the mapped topics. */
  readonly messages: number;
  /** Command messages skipped (wrong length, empty trajectory). */
  readonly skippedCommands: number;
}

/** One role of the mapping: the config key naming it, its topic and the type it needs. */
export interface TopicRole {
  readonly key: string;
  readonly topic: string;
  readonly type: string;
}

/** The topics the config maps, with the types they must have. */
export function topicRoles(replay: ReplayConfig): TopicRole[] {
  const roles: TopicRole[] = [];
  if (replay.odometry !== null)
    roles.push({ key: 'replay.odometry', topic: replay.odometry, type: EXPECTED_TYPES.odometry });
  if (replay.joint_states !== null) {
    roles.push({
      key: 'replay.joint_states',
      topic: replay.joint_states,
      type: EXPECTED_TYPES.joint_states,
    });
  }
  roles.push({
    key: 'replay.action.topic',
    topic: replay.action.topic,
    type: EXPECTED_TYPES[replay.action.kind],
  });
  return roles;
}

/**
 * Checks that every mapped topic is in the bag, with the expected type and at least one message:
 * BAG_TOPIC_MISSING, BAG_TYPE_UNKNOWN, BAG_TYPE_MISMATCH or BAG_EMPTY, each naming the topic, the
 * bag and what was expected.
 */
export function checkTopics(bag: BagReader, roles: readonly TopicRole[], bagPath: string): void {
  for (const r of roles) {
    const t = bag.topics.get(r.topic);
    if (t === undefined) {
      const note = bag.notes.find((n) => n.startsWith(`topic "${r.topic}"`));
      if (note !== undefined) {
        throw new StriderError(
          'BAG_TYPE_UNKNOWN',
          `${r.key}: bag ${bagPath}: ${note}; expected ${r.type}`,
          {
            context: { topic: r.topic, expected: r.type },
          },
        );
      }
      const have =
        [...bag.topics.values()].map((x) => `${x.name} (${x.type})`).join(', ') || 'none';
      throw new StriderError(
        'BAG_TOPIC_MISSING',
        `${r.key}: bag ${bagPath} has no topic "${r.topic}" (expected ${r.type}); its topics are: ${have}`,
        { context: { topic: r.topic, expected: r.type } },
      );
    }
    if (t.type !== r.type) {
      throw new StriderError(
        'BAG_TYPE_MISMATCH',
        `${r.key}: topic "${r.topic}" in bag ${bagPath} has type ${t.type}; expected ${r.type}`,
        { context: { topic: r.topic, expected: r.type, actual: t.type } },
      );
    }
    if (t.count === 0) {
      throw new StriderError(
        'BAG_EMPTY',
        `${r.key}: topic "${r.topic}" in bag ${bagPath} has no messages (expected ${r.type})`,
        {
          context: { topic: r.topic },
        },
      );
    }
  }
}

/** The joint names of the first message on `topic` (a robot described by its topics alone). */
export async function firstJointNames(bag: BagReader, topic: string): Promise<string[]> {
  for await (const m of bag.messages([topic])) return [...(m.message as JointState).name];
  return [];
}

/**
 * Reads the mapped topics of `bag` (checked with checkTopics first) into a state series (the
 * assembler's state after each state message, once it is ready) and a command series. Times are
 * seconds from the first message read, on the replay.time clock. `onMessage` is called after each
 * message with the running count (for a progress line).
 */
export async function readBagSeries(
  bag: BagReader,
  assembler: StateAssembler,
  replay: ReplayConfig,
  onMessage: (count: number) => void = () => undefined,
): Promise<BagSeries> {
  const S = assembler.layout.dim;
  const stateTimes: number[] = [];
  const stateValues: number[] = [];
  const actionTimes: number[] = [];
  const actionValues: number[] = [];
  let actionNames: string[] | null = null;
  let t0: bigint | null = null;
  let count = 0;
  let skipped = 0;
  const topics = topicRoles(replay).map((r) => r.topic);
  for await (const m of bag.messages(topics)) {
    count++;
    onMessage(count);
    const ns = stampNs(m, replay.time);
    t0 ??= ns;
    const t = Number(ns - t0) / 1e9;
    if (m.topic === replay.action.topic) {
      const a = commandVector(m.message, replay, actionNames);
      if (a === null || (actionNames !== null && a.values.length !== actionNames.length)) {
        skipped++;
        continue;
      }
      actionNames ??= a.names;
      actionTimes.push(t);
      for (const v of a.values) actionValues.push(v);
      continue;
    }
    if (m.topic === replay.odometry) assembler.odometry(m.message as Odometry);
    if (m.topic === replay.joint_states) assembler.jointState(m.message as JointState);
    if (!assembler.ready) continue;
    stateTimes.push(t);
    for (let d = 0; d < S; d++) stateValues.push(assembler.state[d]!);
  }
  return {
    state: sortedSeries(stateTimes, stateValues, S),
    action: sortedSeries(actionTimes, actionValues, actionNames?.length ?? 0),
    actionNames: actionNames ?? [],
    messages: count,
    skippedCommands: skipped,
  };
}

function stampNs(m: BagMessage, clock: ReplayConfig['time']): bigint {
  if (clock === 'header') {
    const h = (m.message as { header?: { stamp?: { sec: number; nanosec: number } } }).header;
    if (h?.stamp !== undefined)
      return BigInt(h.stamp.sec) * 1_000_000_000n + BigInt(h.stamp.nanosec);
  }
  return m.logTimeNs;
}

function commandVector(
  msg: unknown,
  replay: ReplayConfig,
  known: readonly string[] | null,
): { names: string[]; values: number[] } | null {
  switch (replay.action.kind) {
    case 'twist': {
      const tw = msg as Twist;
      const fields = replay.action.twist_fields;
      return { names: fields.map((f) => `cmd.${f}`), values: fields.map((f) => twistField(tw, f)) };
    }
    case 'float64_multi_array': {
      const data = Array.from((msg as Float64MultiArray).data);
      return { names: data.map((_, k) => `cmd.${k}`), values: data };
    }
    case 'joint_trajectory': {
      const jt = msg as JointTrajectory;
      const p = jt.points[0];
      if (p === undefined) return null;
      const names = known === null ? jt.joint_names.map((n) => `cmd.${n}`) : [...known];
      const values: number[] = [];
      for (const n of names) {
        const k = jt.joint_names.indexOf(n.slice(4));
        if (k < 0) return null;
        values.push(p.positions[k] ?? Number.NaN);
      }
      return { names, values };
    }
  }
}

function twistField(tw: Twist, f: TwistField): number {
  const [part, axis] = f.split('.') as ['linear' | 'angular', 'x' | 'y' | 'z'];
  return tw[part][axis];
}

function sortedSeries(times: number[], values: number[], dim: number): TimeSeries {
  const order = times.map((_, k) => k).sort((a, b) => times[a]! - times[b]!);
  const t = new Float64Array(order.length);
  const v = new Float32Array(order.length * dim);
  order.forEach((k, r) => {
    t[r] = times[k]!;
    for (let d = 0; d < dim; d++) v[r * dim + d] = values[k * dim + d]!;
  });
  return { timesSec: t, values: v, dim };
}
