/**
 * rcl_lifecycle's default state machine and rclnodejs 2.2's LifecycleNode logic on top of it,
 * for the rclnodejs fake (test/unit/robot/ros2/fakeRclnodejs.ts createLifecycleNode).
 *
 * From the sources:
 * - states, transitions, ids and labels: lifecycle_msgs/msg/State and Transition, and
 *   rcl_lifecycle/src/default_state_machine.c (a transition state goes on with
 *   transition_success / transition_failure / transition_error);
 * - rcl_lifecycle_trigger_transition_by_id / _by_label: a transition not available from the
 *   current state logs the warning "No transition matching <id|label> found for current state
 *   <label>" and fails with "Transition is not registered."; rclnodejs's binding throws that as an
 *   Error (src/rcl_lifecycle_bindings.cpp:306-325, src/macros.h:22-29);
 * - LifecycleNode._changeState (lib/lifecycle.js:696-747): trigger, run the callback registered
 *   for the transition state (synchronously, with the state before; a throw counts as ERROR,
 *   lib/lifecycle.js:757-771), map its number to the next label (src/rcl_lifecycle_bindings.cpp
 *   transitionId2Label: 97/98/99 success/failure/error, 1..7 the request labels, anything else
 *   error; a value that is not a number throws "A number was expected" from node-addon-api and
 *   leaves the machine in the transition state); on ERROR run the error callback the same way;
 * - the ~/change_state service (lib/lifecycle.js:663-686, lib/service.js:74-95): a label that is
 *   not available answers success false; an id that is not available throws inside the handler,
 *   rclnodejs logs "Error processing <service> request: <error>" and sends no response.
 */

export interface LifecycleState {
  readonly id: number;
  readonly label: string;
}

export const STATES = {
  unknown: { id: 0, label: 'unknown' },
  unconfigured: { id: 1, label: 'unconfigured' },
  inactive: { id: 2, label: 'inactive' },
  active: { id: 3, label: 'active' },
  finalized: { id: 4, label: 'finalized' },
  configuring: { id: 10, label: 'configuring' },
  cleaningup: { id: 11, label: 'cleaningup' },
  shuttingdown: { id: 12, label: 'shuttingdown' },
  activating: { id: 13, label: 'activating' },
  deactivating: { id: 14, label: 'deactivating' },
  errorprocessing: { id: 15, label: 'errorprocessing' },
} as const satisfies Record<string, LifecycleState>;

type StateName = keyof typeof STATES;

/** lifecycle_msgs/msg/Transition TRANSITION_CALLBACK_* */
export const CALLBACK_RETURN = { SUCCESS: 97, FAILURE: 98, ERROR: 99 } as const;

interface TransitionDef {
  readonly id: number;
  readonly label: string;
  readonly start: StateName;
  readonly goal: StateName;
}

const T = (id: number, label: string, start: StateName, goal: StateName): TransitionDef => ({
  id,
  label,
  start,
  goal,
});

/** rcl_lifecycle_init_default_state_machine */
const TRANSITIONS: readonly TransitionDef[] = [
  T(1, 'configure', 'unconfigured', 'configuring'),
  T(10, 'transition_success', 'configuring', 'inactive'),
  T(11, 'transition_failure', 'configuring', 'unconfigured'),
  T(12, 'transition_error', 'configuring', 'errorprocessing'),
  T(2, 'cleanup', 'inactive', 'cleaningup'),
  T(20, 'transition_success', 'cleaningup', 'unconfigured'),
  T(21, 'transition_failure', 'cleaningup', 'inactive'),
  T(22, 'transition_error', 'cleaningup', 'errorprocessing'),
  T(3, 'activate', 'inactive', 'activating'),
  T(30, 'transition_success', 'activating', 'active'),
  T(31, 'transition_failure', 'activating', 'inactive'),
  T(32, 'transition_error', 'activating', 'errorprocessing'),
  T(4, 'deactivate', 'active', 'deactivating'),
  T(40, 'transition_success', 'deactivating', 'inactive'),
  T(41, 'transition_failure', 'deactivating', 'active'),
  T(42, 'transition_error', 'deactivating', 'errorprocessing'),
  T(5, 'shutdown', 'unconfigured', 'shuttingdown'),
  T(6, 'shutdown', 'inactive', 'shuttingdown'),
  T(7, 'shutdown', 'active', 'shuttingdown'),
  T(50, 'transition_success', 'shuttingdown', 'finalized'),
  T(51, 'transition_failure', 'shuttingdown', 'finalized'),
  T(52, 'transition_error', 'shuttingdown', 'errorprocessing'),
  T(60, 'transition_success', 'errorprocessing', 'unconfigured'),
  T(61, 'transition_failure', 'errorprocessing', 'finalized'),
  T(62, 'transition_error', 'errorprocessing', 'finalized'),
];

/** What rcl and rclnodejs log (rcutils / rclnodejs Logging), recorded. */
export interface RclLogLine {
  readonly level: 'warn' | 'error' | 'console';
  readonly name: string;
  readonly message: string;
}

export type TransitionCallback = (previousState: LifecycleState) => unknown;

/** A lifecycle_msgs/srv/ChangeState request. */
export interface ChangeStateRequest {
  readonly transition: { readonly id: number; readonly label: string };
}

/** One managed node's state machine with rclnodejs's callback handling. */
export class RclLifecycleMachine {
  #current: StateName = 'unconfigured';
  readonly callbacks = new Map<number, TransitionCallback>();
  /** Every primary and transition state entered, in order (the ~/transition_event goals). */
  readonly visited: string[] = [];
  readonly log: RclLogLine[];

  constructor(log: RclLogLine[]) {
    this.log = log;
  }

  get currentState(): LifecycleState {
    const s = STATES[this.#current];
    return { id: s.id, label: s.label };
  }

  /** The transitions available from the current state. */
  available(): { id: number; label: string }[] {
    return TRANSITIONS.filter((t) => t.start === this.#current).map(({ id, label }) => ({
      id,
      label,
    }));
  }

  /** rcl_lifecycle_trigger_transition_by_id / _by_label through the binding: throws when refused. */
  trigger(idOrLabel: number | string): LifecycleState {
    const t = TRANSITIONS.find(
      (x) =>
        x.start === this.#current &&
        (typeof idOrLabel === 'number' ? x.id === idOrLabel : x.label === idOrLabel),
    );
    if (t === undefined) {
      this.log.push({
        level: 'warn',
        name: 'rcl_lifecycle',
        message: `No transition matching ${idOrLabel} found for current state ${this.#current}`,
      });
      throw new Error('Transition is not registered.');
    }
    this.#current = t.goal;
    this.visited.push(t.goal);
    return this.currentState;
  }

  /** LifecycleNode._changeState */
  changeState(idOrLabel: number | string): LifecycleState & { callbackResult: number } {
    const initial = this.currentState;
    const inTransition = this.trigger(idOrLabel);
    let result = this.#execute(inTransition, initial);
    let state = this.trigger(labelOf(result));
    if (result === CALLBACK_RETURN.ERROR) {
      result = this.#execute(this.currentState, initial);
      state = this.trigger(labelOf(result));
    }
    return { ...state, callbackResult: result };
  }

  /** The ~/change_state service handler and rclnodejs's Service around it; null: no response. */
  changeStateService(
    serviceName: string,
    request: ChangeStateRequest,
  ): { success: boolean } | null {
    try {
      let id = request.transition.id;
      if (request.transition.label !== '') {
        const t = this.available().find((x) => x.label === request.transition.label);
        // lib/lifecycle.js:672: `if (transitionObj.id)`
        if (t === undefined || t.id === 0) return { success: false };
        id = t.id;
      }
      return { success: this.changeState(id).callbackResult === CALLBACK_RETURN.SUCCESS };
    } catch (err) {
      this.log.push({
        level: 'error',
        name: 'rclnodejs',
        message: `Error processing ${serviceName} request: ${String(err)}`,
      });
      return null;
    }
  }

  /** _executeCallback: the callback's value as the binding reads it (a number, else it throws). */
  #execute(state: LifecycleState, previous: LifecycleState): number {
    const cb = this.callbacks.get(state.id);
    if (cb === undefined) return CALLBACK_RETURN.SUCCESS;
    let result: unknown;
    try {
      result = cb(previous);
    } catch (err) {
      this.log.push({
        level: 'console',
        name: 'console',
        message: `CB exception occured: ${String(err)}`,
      });
      return CALLBACK_RETURN.ERROR;
    }
    // getLifecycleTransitionIdToLabel: info[0].As<Napi::Number>().Int64Value()
    if (typeof result !== 'number') throw new TypeError('A number was expected');
    return result;
  }
}

/** src/rcl_lifecycle_bindings.cpp transitionId2Label */
function labelOf(code: number): string {
  switch (code) {
    case CALLBACK_RETURN.SUCCESS:
      return 'transition_success';
    case CALLBACK_RETURN.FAILURE:
      return 'transition_failure';
    case 1:
      return 'configure';
    case 2:
      return 'cleanup';
    case 3:
      return 'activate';
    case 4:
      return 'deactivate';
    case 5:
    case 6:
    case 7:
      return 'shutdown';
    default:
      return 'transition_error';
  }
}
