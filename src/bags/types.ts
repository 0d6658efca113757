/**
 * What the bag reader reports. Type names are always in the ROS 2 form `pkg/msg/Type`, whatever
 * the bag wrote (`pkg/Type` in old layouts).
 */

/** Where a topic's message definition came from. */
export type DefinitionSource = 'embedded' | 'builtin' | 'none';

/** One topic of a bag, over all its files. */
export interface BagTopic {
  readonly name: string;
  /** `pkg/msg/Type`. */
  readonly type: string;
  /** Serialization format as recorded (rosbag2 writes cdr). */
  readonly serialization: string;
  /** Messages of this topic found in complete records. */
  readonly count: number;
  /** Whether the reader can decode it: embedded definition, built-in ROS 2 Jazzy one, or none. */
  readonly definition: DefinitionSource;
}

/** A decoded message. */
export interface BagMessage<T = unknown> {
  readonly topic: string;
  readonly type: string;
  /** Receive (log) time, nanoseconds since the epoch (or sim time with /clock). */
  readonly logTimeNs: bigint;
  readonly message: T;
}

/** A channel as one storage file declares it: topic, type and (maybe) its definition text. */
export interface RawChannel {
  readonly topic: string;
  readonly type: string;
  readonly serialization: string;
  /** The message definition text (ros2msg, with `MSG:` sections); '' when the bag has none. */
  readonly definitionText: string;
  /** Encoding of definitionText: ros2msg, ros2idl or ''. */
  readonly definitionEncoding: string;
}

/** One record of a storage file, in file order. */
export type RawRecord =
  | { readonly kind: 'channel'; readonly channel: RawChannel }
  | {
      readonly kind: 'message';
      readonly topic: string;
      readonly logTimeNs: bigint;
      /** Borrowed view: copy what you keep. */
      readonly data: Uint8Array;
    };
