/**
 * The project's one error class. Every error a user can see carries a stable `code` (documented in
 * docs/errors.md; a test keeps the two in step), a message that names the thing at fault and what
 * was expected, optional structured `context`, and the underlying `cause`.
 */
export const ERROR_CODES = {
  CONFIG_NOT_FOUND: 'A config file named on the command line does not exist or cannot be read.',
  CONFIG_YAML: 'A config file is not valid YAML.',
  CONFIG_INVALID: 'A config value is missing, of the wrong type, out of range, or an unknown key.',
  CONFIG_OVERRIDE: 'A --set override is malformed (expected path=value) or names no config key.',
  CLI_USAGE: 'The command line names an unknown command or option, or lacks a required value.',
  MODEL_NOT_FOUND: 'The robot model file (MJCF or URDF) does not exist.',
  MODEL_LOAD:
    'MuJoCo could not parse or compile the robot model; the message is MuJoCo\u2019s own.',
  MODEL_MAPPING: 'A joint, actuator or body named in the config does not exist in the robot model.',
  MODEL_UNSUPPORTED: 'The robot model has a structure the link cannot drive (e.g. no actuators).',
  STATE_INCOMPLETE: 'The state assembler has not yet received every message the state needs.',
  COMMAND_INVALID: 'A command has the wrong length or a non-finite value.',
  SIM_UNSTABLE: 'The simulation produced non-finite state (MuJoCo reported a warning or NaN).',
  LOOP_STATE: 'A lifecycle method was called in the wrong state (e.g. activate before configure).',
  ARTIFACT_INVALID: 'A model artifact (manifest or weights) is malformed, truncated or non-finite.',
  ARTIFACT_CHECKSUM: 'A model artifact\u2019s weights do not match the checksum in its manifest.',
  MODEL_SHAPE_MISMATCH:
    'Weights or inputs do not have the shapes the network architecture requires.',
  BACKEND_UNAVAILABLE:
    'No usable compute backend (onnxruntime-node, TensorFlow.js) could be loaded.',
  PLANNER_INVALID:
    'Planner options are inconsistent (e.g. population not divisible by ensemble size).',
  NON_FINITE: 'A value that must be finite (state, action, weight, loss) is NaN or infinite.',
  IO: 'A file could not be written (report, plot, artifact).',
  METRICS_UNAVAILABLE:
    'The metrics endpoint could not listen (port in use, address not available); control goes on without it.',
  ROS2_UNAVAILABLE:
    'rclnodejs could not be loaded (robot.link ros2 needs it and a sourced ROS 2 Jazzy).',
  PAYLOAD_INVALID:
    'A transport payload (transition batch, model, status) is malformed: bad magic or kind, truncated, wrong dimensions, bad field.',
  PAYLOAD_VERSION:
    'A transport payload or model manifest has a format version this build does not read.',
  BROKER_UNREACHABLE: 'The MQTT broker cannot be reached (connection refused, timed out, or lost).',
  BROKER_REFUSED:
    'The MQTT broker refused the connection or a subscription (bad credentials, not authorized).',
  SPOOL_FULL:
    'The transition spool hit its configured disk limit; newer batches are dropped and counted.',
  BAG_NOT_A_BAG:
    'A path given as a bag is neither a rosbag2 folder nor a readable .mcap / .db3 file (or a file in it is not what its extension says).',
  BAG_EMPTY: 'A bag holds no messages on the topics a command needs.',
  BAG_TRUNCATED:
    'A bag file ends inside a record (a crash while recording); every complete record before the named offset was read.',
  BAG_CORRUPT:
    'A bag file has a record that fails its CRC, does not parse or does not decode as its type; the message names the file and offset.',
  BAG_TOPIC_MISSING: 'A topic the config maps to the state or action is not in the bag.',
  BAG_TYPE_MISMATCH: 'A bag topic has a different message type than the config expects for it.',
  BAG_TYPE_UNKNOWN:
    'A needed bag topic has a type with no definition: neither embedded in the bag nor built in (ROS 2 Jazzy common messages).',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface StriderErrorOptions {
  readonly cause?: unknown;
  readonly context?: Readonly<Record<string, unknown>>;
}

export class StriderError extends Error {
  readonly code: ErrorCode;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: StriderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StriderError';
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** True when `err` is a StriderError, optionally with the given code. */
export function isStriderError(err: unknown, code?: ErrorCode): err is StriderError {
  return err instanceof StriderError && (code === undefined || err.code === code);
}
