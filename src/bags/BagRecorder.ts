import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { McapWriter, type IWritable } from '@mcap/core';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { stringify as toYaml } from 'yaml';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { compressLz4 } from './compression.js';
import { builtinDefinitionsOf, normaliseType, ros2msgText } from './messageDefinitions.js';

/** A topic to record: its name and ROS 2 type (`pkg/msg/Type`; a built-in ROS 2 Jazzy type). */
export interface RecordedTopic {
  readonly name: string;
  readonly type: string;
}

export interface BagRecorderOptions {
  /** Uncompressed bytes per MCAP chunk: a crash loses at most the open chunk. Default 64 KiB. */
  readonly chunkBytes?: number;
  /** Messages the ring holds between drains; write() drops (and counts) beyond. Default 4096. */
  readonly ringCapacity?: number;
  /** How often the writer drains the ring, ms. Default 100. */
  readonly drainIntervalMs?: number;
  /** Chunk compression: lz4 (pure JavaScript) or none. Default lz4. */
  readonly compression?: 'lz4' | 'none';
  readonly logger?: Logger;
}

/** Counters of a recording. */
export interface RecorderStats {
  /** Messages accepted by write(). */
  readonly accepted: number;
  /** Messages dropped because the ring was full. */
  readonly dropped: number;
  /** Messages handed to the MCAP writer. */
  readonly written: number;
  /** Messages inside complete chunks already in the file (what survives a crash). */
  readonly flushed: number;
}

/** The file handle as the MCAP writer's sink, counting its position. */
class FileSink implements IWritable {
  readonly #file: FileHandle;
  #position = 0n;
  constructor(file: FileHandle) {
    this.#file = file;
  }
  async write(buffer: Uint8Array): Promise<void> {
    let done = 0;
    while (done < buffer.length) {
      const { bytesWritten } = await this.#file.write(buffer, done, buffer.length - done);
      done += bytesWritten;
    }
    this.#position += BigInt(buffer.length);
  }
  position(): bigint {
    return this.#position;
  }
}

interface TopicSlot {
  readonly name: string;
  readonly type: string;
  readonly channelId: number;
  readonly writer: MessageWriter;
  count: number;
}

/**
 * Records a rosbag2 bag: one MCAP file (profile ros2, CDR, the ros2msg definitions embedded) and
 * metadata.yaml, readable by `ros2 bag`, Foxglove and BagReader.
 *
 * write() is O(1) and never blocks: it stores the message (by reference: do not mutate it
 * afterwards) in a bounded ring, or drops and counts it when the ring is full. A timer drains the
 * ring off the caller's path, serialises to CDR and appends to the open chunk; a chunk goes to
 * the file when it passes chunkBytes. A crash (kill -9) loses the ring and the open chunk at most:
 * the file then ends inside a record, and BagReader reads every complete chunk before it.
 * metadata.yaml is written at open (no counts) and rewritten with counts at close().
 */
export class BagRecorder {
  readonly dir: string;
  readonly file: string;
  readonly #writer: McapWriter;
  readonly #sink: FileSink;
  readonly #handle: FileHandle;
  readonly #topics: Map<string, TopicSlot>;
  readonly #logger: Logger;
  readonly #ringTopic: (TopicSlot | null)[];
  readonly #ringStamp: BigInt64Array;
  readonly #ringMsg: unknown[];
  #head = 0;
  #size = 0;
  #accepted = 0;
  #dropped = 0;
  #written = 0;
  #flushed = 0;
  #startNs: bigint | null = null;
  #endNs = 0n;
  #draining: Promise<void> | null = null;
  #timer: NodeJS.Timeout;
  #closed = false;
  #failure: Error | null = null;

  private constructor(
    dir: string,
    file: string,
    handle: FileHandle,
    sink: FileSink,
    writer: McapWriter,
    topics: Map<string, TopicSlot>,
    o: BagRecorderOptions,
  ) {
    this.dir = dir;
    this.file = file;
    this.#handle = handle;
    this.#sink = sink;
    this.#writer = writer;
    this.#topics = topics;
    this.#logger = o.logger ?? silentLogger();
    const cap = o.ringCapacity ?? 4096;
    this.#ringTopic = new Array<TopicSlot | null>(cap).fill(null);
    this.#ringStamp = new BigInt64Array(cap);
    this.#ringMsg = new Array<unknown>(cap).fill(null);
    this.#timer = setInterval(() => {
      this.#drainSoon();
    }, o.drainIntervalMs ?? 100);
    this.#timer.unref();
  }

  /**
   * Creates `dir` (it must not hold a bag yet), writes metadata.yaml and the MCAP header, schemas
   * and channels of `topics`. Throws BAG_TYPE_UNKNOWN for a type with no built-in definition, IO
   * when the folder or file cannot be written.
   */
  static async open(
    dir: string,
    topics: readonly RecordedTopic[],
    options: BagRecorderOptions = {},
  ): Promise<BagRecorder> {
    const file = join(dir, `${basename(dir)}_0.mcap`);
    const slots = new Map<string, TopicSlot>();
    const defs = topics.map((t) => {
      const type = normaliseType(t.type);
      const d = builtinDefinitionsOf(type);
      if (d === null) {
        throw new StriderError(
          'BAG_TYPE_UNKNOWN',
          `cannot record topic "${t.name}": ${type} is not among the built-in ROS 2 Jazzy messages`,
          { context: { topic: t.name, type } },
        );
      }
      return { name: t.name, type, defs: d };
    });
    let handle: FileHandle;
    try {
      await mkdir(dir, { recursive: true });
      handle = await open(file, 'wx');
    } catch (err) {
      throw new StriderError('IO', `cannot create bag file ${file} (${String(err)})`, {
        cause: err,
        context: { file },
      });
    }
    const sink = new FileSink(handle);
    const writer = new McapWriter({
      writable: sink,
      chunkSize: options.chunkBytes ?? 64 * 1024,
      ...((options.compression ?? 'lz4') === 'lz4' ? { compressChunk: compressLz4 } : {}),
    });
    await writer.start({ profile: 'ros2', library: 'strider' });
    for (const d of defs) {
      const schemaId = await writer.registerSchema({
        name: d.type,
        encoding: 'ros2msg',
        data: new TextEncoder().encode(ros2msgText(d.defs)),
      });
      const channelId = await writer.registerChannel({
        topic: d.name,
        messageEncoding: 'cdr',
        schemaId,
        metadata: new Map([['offered_qos_profiles', '']]),
      });
      slots.set(d.name, {
        name: d.name,
        type: d.type,
        channelId,
        writer: new MessageWriter(d.defs),
        count: 0,
      });
    }
    const recorder = new BagRecorder(dir, file, handle, sink, writer, slots, options);
    await recorder.#writeMetadata();
    return recorder;
  }

  /**
   * Queues one message, O(1), no I/O: true when queued, false when the ring is full (counted in
   * stats.dropped) or the topic was not opened. `msg` is kept by reference until drained.
   */
  write(topic: string, stampNs: bigint, msg: unknown): boolean {
    const slot = this.#topics.get(topic);
    const cap = this.#ringMsg.length;
    if (slot === undefined || this.#closed || this.#size === cap) {
      this.#dropped++;
      return false;
    }
    const i = (this.#head + this.#size) % cap;
    this.#ringTopic[i] = slot;
    this.#ringStamp[i] = stampNs;
    this.#ringMsg[i] = msg;
    this.#size++;
    this.#accepted++;
    return true;
  }

  get stats(): RecorderStats {
    return {
      accepted: this.#accepted,
      dropped: this.#dropped,
      written: this.#written,
      flushed: this.#flushed,
    };
  }

  /** Drains the ring, writes the last chunk and the summary, and rewrites metadata.yaml. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    try {
      await this.#drain();
      await this.#writer.end();
      this.#flushed = this.#written;
    } finally {
      await this.#handle.close();
    }
    if (this.#failure !== null) throw this.#failure;
    await this.#writeMetadata();
  }

  #drainSoon(): void {
    if (this.#draining !== null || this.#size === 0) return;
    this.#draining = this.#drain()
      .catch((err: unknown) => {
        this.#failure ??= err instanceof Error ? err : new Error(String(err));
        this.#logger.error(
          { err, file: this.file },
          'bag recorder: write failed; recording stopped',
        );
        this.#closed = true;
      })
      .finally(() => {
        this.#draining = null;
      });
  }

  async #drain(): Promise<void> {
    if (this.#draining !== null) await this.#draining;
    const cap = this.#ringMsg.length;
    while (this.#size > 0) {
      const i = this.#head;
      const slot = this.#ringTopic[i]!;
      const stamp = this.#ringStamp[i]!;
      const msg = this.#ringMsg[i];
      this.#ringMsg[i] = null;
      this.#ringTopic[i] = null;
      this.#head = (i + 1) % cap;
      this.#size--;
      const data = slot.writer.writeMessage(msg);
      const before = this.#sink.position();
      await this.#writer.addMessage({
        channelId: slot.channelId,
        sequence: this.#written,
        logTime: stamp,
        publishTime: stamp,
        data,
      });
      this.#written++;
      slot.count++;
      this.#startNs ??= stamp;
      if (stamp > this.#endNs) this.#endNs = stamp;
      // the writer wrote a chunk (which includes this message) to the file
      if (this.#sink.position() !== before) this.#flushed = this.#written;
    }
  }

  async #writeMetadata(): Promise<void> {
    const start = this.#startNs ?? 0n;
    const duration = this.#startNs === null ? 0n : this.#endNs - start;
    const file = basename(this.file);
    const info = {
      rosbag2_bagfile_information: {
        version: 5,
        storage_identifier: 'mcap',
        duration: { nanoseconds: duration },
        starting_time: { nanoseconds_since_epoch: start },
        message_count: this.#written,
        topics_with_message_count: [...this.#topics.values()].map((t) => ({
          topic_metadata: {
            name: t.name,
            type: t.type,
            serialization_format: 'cdr',
            offered_qos_profiles: '',
          },
          message_count: t.count,
        })),
        compression_format: '',
        compression_mode: '',
        relative_file_paths: [file],
        files: [
          {
            path: file,
            starting_time: { nanoseconds_since_epoch: start },
            duration: { nanoseconds: duration },
            message_count: this.#written,
          },
        ],
      },
    };
    try {
      await writeFile(join(this.dir, 'metadata.yaml'), toYaml(info));
    } catch (err) {
      throw new StriderError(
        'IO',
        `cannot write ${join(this.dir, 'metadata.yaml')} (${String(err)})`,
        { cause: err },
      );
    }
  }
}
