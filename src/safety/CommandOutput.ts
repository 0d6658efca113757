import type { Float64MultiArray } from '../msgs/types.js';
import type { RobotLink } from '../robot/types.js';
import type { Logger } from '../util/logger.js';
import type { ActuatorTable } from './actuatorTable.js';
import { captureHold, fillSafeCommand, type SafePose } from './safeCommand.js';
import type { SafetyConfig } from './safetyConfig.js';

/**
 * The safety gate's output side: the one command message handed to the link (built in `data`,
 * model order), the last command sent (where the rate limit starts from), the pose memory the
 * safe command is computed from, and the count of commands the link refused. Buffers are
 * allocated here, once; nothing allocates per tick. Only the SafetyGate uses it.
 */
export class CommandOutput {
  /** The command being built, model order: the message's data. */
  readonly data: Float64Array;
  /** Measured pose memory (fillSafeCommand). */
  readonly pose: SafePose;
  /** Commands the link refused (its sendCommand threw). */
  sendErrors = 0;
  readonly #link: RobotLink;
  readonly #t: ActuatorTable;
  readonly #cfg: SafetyConfig;
  readonly #log: Logger | null;
  readonly #msg: Float64MultiArray;
  readonly #prev: Float64Array;
  #prevValid = false;

  constructor(link: RobotLink, t: ActuatorTable, config: SafetyConfig, log: Logger | null) {
    const n = t.lo.length;
    this.#link = link;
    this.#t = t;
    this.#cfg = config;
    this.#log = log;
    this.data = new Float64Array(n);
    this.pose = {
      lastQ: new Float64Array(n),
      lastQValid: new Uint8Array(n),
      hold: new Float64Array(n),
      holdValid: false,
      armedOnce: false,
    };
    this.#prev = new Float64Array(n);
    this.#msg = {
      layout: { dim: [{ label: 'actuators', size: n, stride: n }], data_offset: 0 },
      data: this.data,
    };
  }

  /** The last command sent (model order), or null when there is none to rate-limit from. */
  get prev(): Float64Array | null {
    return this.#prevValid ? this.#prev : null;
  }

  /** Forget the last command and the hold pose (a simulated world was reset). */
  forgetPrev(): void {
    this.#prevValid = false;
    this.pose.holdValid = false;
  }

  /**
   * The safe command into `data`; `damp`: the state is valid, so effort actuators may damp /
   * hold (else zero effort), and with safe_command: hold the hold pose is taken now if none is
   * held. Returns false when nothing may be sent (see fillSafeCommand).
   */
  fillSafe(state: Float32Array, damp: boolean): boolean {
    if (damp && this.#cfg.safe_command === 'hold' && !this.pose.holdValid)
      captureHold(this.#t, state, this.pose);
    return fillSafeCommand(this.#t, this.#cfg, state, damp, this.pose, this.data);
  }

  /** `data`'s commanded values into `executed`, action order. */
  copyExecuted(executed: Float32Array): void {
    const slot = this.#t.slot;
    for (let i = 0; i < slot.length; i++) executed[i] = this.data[slot[i]!]!;
  }

  /**
   * Send `data` (and remember it as the last command). A link that throws (a ROS publisher whose
   * node is gone, a simulator refusing a value) must not take the tick, stop() or deactivate()
   * down with it: the failure is counted (sendErrors) and logged, the first and then every
   * 1000th. Returns false when the link refused it.
   */
  send(): boolean {
    this.#prev.set(this.data);
    this.#prevValid = true;
    try {
      this.#link.sendCommand(this.#msg);
      return true;
    } catch (err) {
      if (this.sendErrors++ % 1000 === 0)
        this.#log?.error({ err, sendErrors: this.sendErrors }, 'robot link refused a command');
      return false;
    }
  }
}
