import type { Logger } from '../../util/logger.js';
import type { Ros2NodeAdapter, Ros2NodeContext } from './Ros2NodeAdapter.js';
import type { RclPublisher } from './rclnodejsApi.js';
import {
  DIAGNOSTIC_LEVEL,
  ROS2_TYPES,
  timeFromNanoseconds,
  type DiagnosticArray,
  type KeyValue,
} from './ros2Msgs.js';

/** What the controller reports on /diagnostics; the wiring provides it. */
export interface ControllerDiagnostics {
  readonly ticks: number;
  readonly misses: number;
  readonly budgetMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Version of the dynamics model in use; null before the first. */
  readonly modelVersion: number | null;
  /** Version of the distilled policy loaded (control.policy dagger / policy); absent otherwise. */
  readonly policyVersion?: number | null;
  /** The managed node's state (robot.ros2.lifecycle): unconfigured, inactive, active, finalized. */
  readonly lifecycleState?: string;
  readonly safety: {
    readonly mode: string;
    readonly latch: string | null;
    readonly stopRequested: boolean;
  };
  /** The velocity target from cmd_vel / path (the cmd_vel reward), when there is one. */
  readonly task?: {
    readonly mode: string;
    readonly linearX: number;
    readonly linearY: number;
    readonly angularZ: number;
  };
}

/** The controller's key/values, its status message and level. */
function controllerStatus(
  d: ControllerDiagnostics,
  values: KeyValue[],
): { level: number; message: string } {
  values.push(
    { key: 'ticks', value: String(d.ticks) },
    { key: 'tick_misses', value: String(d.misses) },
    { key: 'tick_budget_ms', value: d.budgetMs.toFixed(3) },
    { key: 'tick_p50_ms', value: d.p50Ms.toFixed(3) },
    { key: 'tick_p99_ms', value: d.p99Ms.toFixed(3) },
    { key: 'tick_max_ms', value: d.maxMs.toFixed(3) },
    { key: 'model_version', value: d.modelVersion === null ? 'none' : String(d.modelVersion) },
    { key: 'safety_mode', value: d.safety.mode },
    { key: 'safety_latch', value: d.safety.latch ?? 'none' },
    { key: 'stop_requested', value: String(d.safety.stopRequested) },
  );
  if (d.policyVersion !== undefined)
    values.push({
      key: 'policy_version',
      value: d.policyVersion === null ? 'none' : String(d.policyVersion),
    });
  if (d.lifecycleState !== undefined)
    values.push({ key: 'lifecycle_state', value: d.lifecycleState });
  if (d.task !== undefined) {
    values.push(
      { key: 'task_mode', value: d.task.mode },
      { key: 'target_linear_x', value: d.task.linearX.toFixed(3) },
      { key: 'target_linear_y', value: d.task.linearY.toFixed(3) },
      { key: 'target_angular_z', value: d.task.angularZ.toFixed(3) },
    );
  }
  const latch = d.safety.latch === null ? '' : ` (${d.safety.latch})`;
  const node = d.lifecycleState === undefined ? '' : `lifecycle ${d.lifecycleState}, `;
  const message = `${node}safety ${d.safety.mode}${latch}, ${d.misses} misses in ${d.ticks} ticks`;
  let level: number = DIAGNOSTIC_LEVEL.OK;
  if (d.safety.latch !== null || d.safety.stopRequested) level = DIAGNOSTIC_LEVEL.ERROR;
  else if (d.safety.mode !== 'running' || d.misses > 0) level = DIAGNOSTIC_LEVEL.WARN;
  return { level, message };
}

/**
 * /diagnostics on the link's node: a diagnostic_msgs/DiagnosticArray at diagnostics_rate_hz
 * (none at 0) with the link's state and command counts and, from `source`, the controller's tick
 * latency, misses, model version, safety state and task target. A failing source is logged and
 * the link's figures still go out.
 */
export class Diagnostics implements Ros2NodeAdapter {
  readonly #source: (() => ControllerDiagnostics) | null;
  #context: Ros2NodeContext | null = null;
  #pub: RclPublisher | null = null;
  #timer: unknown = null;
  #closed = false;

  /** `source` is called at each publication (default: the link's figures only). */
  constructor(source: (() => ControllerDiagnostics) | null = null) {
    this.#source = source;
  }

  attach(context: Ros2NodeContext): void {
    const { node, config, qos } = context;
    this.#context = context;
    this.#pub = node.createPublisher(
      ROS2_TYPES.diagnosticArray,
      config.topics.diagnostics,
      qos(config.qos.diagnostics),
    );
    const hz = config.diagnostics_rate_hz;
    if (hz > 0) this.#schedule(context, 1000 / hz);
  }

  /** Publish /diagnostics now (the timer calls this); nothing before attach or after close. */
  publish(): void {
    const c = this.#context;
    const pub = this.#pub;
    if (c === null || pub === null || this.#closed) return;
    const link = c.link;
    const values: KeyValue[] = [
      { key: 'link_state', value: link.state },
      { key: 'use_sim_time', value: String(link.useSimTime) },
      { key: 'published_commands', value: String(link.publishedCommands) },
      { key: 'dropped_commands', value: String(link.droppedCommands) },
    ];
    let status = { level: DIAGNOSTIC_LEVEL.OK as number, message: `link ${link.state}` };
    const d = this.#read(c.logger);
    if (d !== null) status = controllerStatus(d, values);
    const msg: DiagnosticArray = {
      header: {
        stamp: timeFromNanoseconds(c.node.getClock().now().nanoseconds, { sec: 0, nanosec: 0 }),
        frame_id: '',
      },
      status: [
        {
          level: status.level,
          name: `${c.config.node_name}: controller`,
          message: status.message,
          hardware_id: c.robotName,
          values,
        },
      ],
    };
    pub.publish(msg);
  }

  /** Stop publishing (the link calls this as it closes). Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== null) {
      this.#context?.timers.clearTimeout(this.#timer);
      this.#timer = null;
    }
    this.#pub = null;
  }

  #read(logger: Logger): ControllerDiagnostics | null {
    if (this.#source === null) return null;
    try {
      return this.#source();
    } catch (err) {
      logger.warn({ err }, 'diagnostics source failed');
      return null;
    }
  }

  #schedule({ timers, logger }: Ros2NodeContext, periodMs: number): void {
    const tick = (): void => {
      this.#timer = null;
      if (this.#closed) return;
      try {
        this.publish();
      } catch (err) {
        logger.warn({ err }, 'publishing /diagnostics failed');
      }
      this.#timer = timers.setTimeout(tick, periodMs);
    };
    this.#timer = timers.setTimeout(tick, periodMs);
  }
}
