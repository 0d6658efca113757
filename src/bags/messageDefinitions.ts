import { parse } from '@foxglove/rosmsg';
import { ros2jazzy } from '@foxglove/rosmsg-msgs-common';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import type { DefinitionSource } from './types.js';

/** A parsed message definition (as @foxglove/rosmsg returns them). */
type MessageDefinition = ReturnType<typeof parse>[number];

const BUILTIN = ros2jazzy as unknown as Readonly<Record<string, MessageDefinition>>;

/** `pkg/Type` or `pkg/msg/Type` -> `pkg/msg/Type` (services and actions keep their infix). */
export function normaliseType(type: string): string {
  const parts = type.split('/');
  if (parts.length === 2) return `${parts[0]}/msg/${parts[1]}`;
  return type;
}

/** `pkg/msg/Type` -> `pkg/Type`, the key of the built-in definitions. */
function shortType(type: string): string {
  return type.replace('/msg/', '/');
}

/**
 * True for rosbag2 service-event topics (`<service>/_service_event`, type `pkg/srv/X_Event`):
 * their schemas hold request and response parts (`---`) that carry no robot state.
 */
export function isServiceEvent(topic: string, type: string): boolean {
  return topic.endsWith('/_service_event') || /\/srv\/[^/]+_Event$/.test(type);
}

/** A decoder for one type, and where its definition came from. */
export interface TypeDecoder {
  readonly source: Exclude<DefinitionSource, 'none'>;
  readonly reader: MessageReader;
}

/**
 * The decoder of `type`: from the embedded ros2msg text when the bag has one that parses, else
 * from the built-in ROS 2 Jazzy definitions (old layouts record none). Null when neither exists
 * (a custom or gazebo_msgs type); `why` then says what was tried.
 */
export function decoderFor(
  type: string,
  definitionText: string,
  definitionEncoding: string,
): TypeDecoder | { readonly source: 'none'; readonly why: string } {
  let embeddedError = '';
  // A type without fields (std_msgs/Empty, test_msgs/Empty) has an empty ros2msg definition.
  if (definitionText.trim() === '' && definitionEncoding === 'ros2msg') {
    return {
      source: 'embedded',
      reader: new MessageReader([{ name: shortType(type), definitions: [] }]),
    };
  }
  if (definitionText.trim() !== '' && definitionEncoding === 'ros2msg') {
    try {
      const defs = parse(definitionText, { ros2: true });
      const root = defs[0];
      if (root !== undefined) {
        defs[0] = { ...root, name: shortType(type) };
        return { source: 'embedded', reader: new MessageReader(defs) };
      }
    } catch (err) {
      embeddedError = `; its embedded definition does not parse (${String(err)})`;
    }
  }
  const builtin = builtinDefinitions(shortType(type));
  if (builtin !== null) return { source: 'builtin', reader: new MessageReader(builtin) };
  const recorded =
    definitionText.trim() === ''
      ? 'the bag records no definition'
      : `the bag's definition is ${definitionEncoding || 'of unknown encoding'}`;
  return {
    source: 'none',
    why: `${recorded}${embeddedError}, and ${type} is not among the built-in ROS 2 Jazzy messages`,
  };
}

/** The root definition of `name` followed by every nested one it uses, or null when unknown. */
function builtinDefinitions(name: string): MessageDefinition[] | null {
  const root = BUILTIN[name];
  if (root === undefined) return null;
  const out: MessageDefinition[] = [root];
  const seen = new Set([name]);
  for (let i = 0; i < out.length; i++) {
    for (const field of out[i]!.definitions) {
      if (!field.isComplex || seen.has(field.type)) continue;
      const nested = BUILTIN[field.type];
      if (nested === undefined) return null;
      seen.add(field.type);
      out.push(nested);
    }
  }
  return out;
}

/** The parsed built-in definitions of `type` (`pkg/msg/Type`), root first, or null. */
export function builtinDefinitionsOf(type: string): MessageDefinition[] | null {
  return builtinDefinitions(shortType(normaliseType(type)));
}

const SEPARATOR = '='.repeat(80);
const TIME_TYPES: Readonly<Record<string, string>> = {
  time: 'builtin_interfaces/Time',
  duration: 'builtin_interfaces/Duration',
};
const TIME_SECTIONS: Readonly<Record<string, string>> = {
  'builtin_interfaces/Time': 'int32 sec\nuint32 nanosec',
  'builtin_interfaces/Duration': 'int32 sec\nuint32 nanosec',
};

/**
 * The ros2msg text of built-in definitions (root first), as rosbag2 embeds it in MCAP schemas:
 * the root's fields, then one `MSG: pkg/Type` section per nested type (the form its fields name it by), separated by a line of
 * 80 '='. time and duration are written as builtin_interfaces/Time and /Duration.
 */
export function ros2msgText(definitions: readonly MessageDefinition[]): string {
  const sections: string[] = [];
  const timeUsed = new Set<string>();
  definitions.forEach((def, i) => {
    const lines = def.definitions.map((f) => {
      const base = TIME_TYPES[f.type] ?? f.type;
      if (base !== f.type) timeUsed.add(base);
      const type = f.isArray === true ? `${base}[${f.arrayLength ?? ''}]` : base;
      if (f.isConstant === true) return `${type} ${f.name}=${f.valueText ?? String(f.value)}`;
      return `${type} ${f.name}`;
    });
    sections.push(i === 0 ? lines.join('\n') : `MSG: ${def.name ?? ''}\n${lines.join('\n')}`);
  });
  for (const t of timeUsed) sections.push(`MSG: ${t}\n${TIME_SECTIONS[t] ?? ''}`);
  return sections.join(`\n${SEPARATOR}\n`);
}
