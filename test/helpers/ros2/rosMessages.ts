import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';
import { ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';

/**
 * ROS 2 Jazzy messages as the rclnodejs fake handles them: checked the way rclnodejs 2.2's
 * publisher checks them with `validateMessages` (lib/message_validation.js: strict, checkTypes),
 * serialised to CDR with the Jazzy definitions (@foxglove/rosmsg-msgs-common ros2jazzy) and read
 * back as a subscriber gets them.
 *
 * Typed arrays: rclnodejs's generated message classes keep int8..uint32, float32, float64, char
 * and byte arrays as TypedArrays (rosidl_gen/templates/message-template.cjs:145-164,
 * typedArrayType), and a subscription hands them over as they are while `enableTypedArray` is on
 * (rosidl_gen/message_translator.cjs:61-95, toPlainObject; lib/subscription.js:67-76;
 * lib/node.js:606-607 makes it the default): float64[] arrives as a Float64Array. The foxglove
 * reader returns the same TypedArrays for these types, so what a callback gets here has the
 * shape it has under rclnodejs.
 */

const DEFS = ros2jazzy as unknown as Record<string, MessageDefinition>;

/** 'pkg/msg/Type' (rclnodejs's name) -> 'pkg/Type' (the definitions' name). */
function definitionName(type: string): string | null {
  const parts = type.split('/');
  if (parts.length !== 3 || parts[1] !== 'msg' || parts.some((p) => p === '')) return null;
  return `${parts[0]}/${parts[2]}`;
}

/** rclnodejs lib/message_validation.js PRIMITIVE_TYPE_MAP */
const JS_TYPE: Record<string, string> = {
  bool: 'boolean',
  int8: 'number',
  uint8: 'number',
  int16: 'number',
  uint16: 'number',
  int32: 'number',
  uint32: 'number',
  int64: 'bigint',
  uint64: 'bigint',
  float32: 'number',
  float64: 'number',
  char: 'number',
  byte: 'number',
  string: 'string',
  wstring: 'string',
};

function valueType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (ArrayBuffer.isView(v)) return 'TypedArray';
  return typeof v;
}

export class RosMessageError extends TypeError {}

export interface RosMessageType {
  readonly name: string;
  /** Throws RosMessageError naming the field, as rclnodejs's MessageValidationError does. */
  check(msg: unknown): void;
  /** Serialise to CDR and read back (what a subscriber receives). */
  roundTrip(msg: unknown): unknown;
}

const cache = new Map<string, RosMessageType>();

/**
 * The message type `type` ('sensor_msgs/msg/JointState'); throws as rclnodejs's interface loader
 * does for a type that does not exist ("The message required does not exist").
 */
export function rosMessageType(type: string): RosMessageType {
  const cached = cache.get(type);
  if (cached !== undefined) return cached;
  const name = definitionName(type);
  const root = name === null ? undefined : DEFS[name];
  if (root === undefined) {
    throw new Error(`The message required does not exist: ${type.split('/').join(', ')}`);
  }
  const defs = [root, ...Object.values(DEFS).filter((d) => d !== root)];
  const writer = new MessageWriter(defs);
  const reader = new MessageReader(defs);
  const t: RosMessageType = {
    name: type,
    check: (msg) => {
      const issues: string[] = [];
      checkMessage(msg, root, '', issues);
      if (issues.length > 0) {
        throw new RosMessageError(`Invalid message for ${type}: ${issues.join('; ')}`);
      }
    },
    roundTrip: (msg) => reader.readMessage(writer.writeMessage(msg)),
  };
  cache.set(type, t);
  return t;
}

/** 'time' and 'duration' are builtin_interfaces/Time and Duration in ROS 2. */
function complexOf(field: MessageDefinitionField): MessageDefinition | undefined {
  if (field.type === 'time') return DEFS['builtin_interfaces/Time'];
  if (field.type === 'duration') return DEFS['builtin_interfaces/Duration'];
  return field.isComplex === true ? DEFS[field.type] : undefined;
}

/** rclnodejs validateMessage(obj, type, { strict: true, checkTypes: true }). */
function checkMessage(obj: unknown, def: MessageDefinition, path: string, issues: string[]): void {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    issues.push(`${path || '(root)'}: expected object, got ${valueType(obj)}`);
    return;
  }
  const fields = def.definitions.filter((f) => f.isConstant !== true);
  const names = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(obj)) {
    if (!names.has(key)) issues.push(`${path}${key}: unknown field`);
  }
  const rec = obj as Record<string, unknown>;
  for (const f of fields) {
    const v = rec[f.name];
    const at = `${path}${f.name}`;
    if (v === undefined) continue;
    const nested = complexOf(f);
    if (f.isArray === true) {
      if (!Array.isArray(v) && !ArrayBuffer.isView(v)) {
        issues.push(`${at}: expected array, got ${valueType(v)}`);
        continue;
      }
      const arr = v as ArrayLike<unknown>;
      if (f.arrayLength !== undefined && arr.length !== f.arrayLength) {
        issues.push(`${at}: expected exactly ${f.arrayLength} elements, got ${arr.length}`);
      } else if (f.arrayUpperBound !== undefined && arr.length > f.arrayUpperBound) {
        issues.push(`${at}: expected at most ${f.arrayUpperBound} elements, got ${arr.length}`);
      }
      if (!Array.isArray(v)) continue;
      for (let i = 0; i < arr.length; i++) {
        if (nested !== undefined) checkMessage(arr[i], nested, `${at}[${i}].`, issues);
        else checkPrimitive(arr[i], f.type, `${at}[${i}]`, issues);
      }
    } else if (nested !== undefined) {
      checkMessage(v, nested, `${at}.`, issues);
    } else {
      checkPrimitive(v, f.type, at, issues);
    }
  }
}

function checkPrimitive(v: unknown, rosType: string, at: string, issues: string[]): void {
  const expected = JS_TYPE[rosType];
  if (expected === undefined) return;
  const got = typeof v;
  if (expected === 'bigint' && got === 'number') return;
  if (got !== expected)
    issues.push(`${at}: expected ${expected} (${rosType}), got ${valueType(v)}`);
}
