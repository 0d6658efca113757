import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { StriderError, isStriderError } from '../util/StriderError.js';
import {
  decoderFor,
  isServiceEvent,
  normaliseType,
  type TypeDecoder,
} from './messageDefinitions.js';
import { readMcapFile } from './readMcapFile.js';
import { readSqlite3File } from './readSqlite3File.js';
import type { BagMessage, BagTopic, RawRecord } from './types.js';

const STORAGE_EXTENSIONS: Readonly<Record<string, 'mcap' | 'sqlite3'>> = {
  '.mcap': 'mcap',
  '.db3': 'sqlite3',
};

interface TopicState {
  name: string;
  type: string;
  serialization: string;
  count: number;
  decoder: TypeDecoder | null;
}

/**
 * A rosbag2 bag opened for reading: a bag folder (with or without metadata.yaml, one file or a
 * split bag of several) or a single .mcap / .db3 file. Any rosbag2 era: type names with or
 * without /msg/, bags with or without message definitions (built-in ROS 2 Jazzy ones are used
 * where none is recorded). Service-event topics and topics of a type with no definition are left
 * out of `topics` with a note in `notes`.
 *
 * open() reads every file once to list topics and counts; messages() reads them again, decoding.
 * A truncated or corrupt file does not fail open(): its error is kept in `error`, and messages()
 * yields every complete record before throwing it (BAG_TRUNCATED / BAG_CORRUPT, naming the file
 * and offset).
 */
export class BagReader {
  /** The storage files, in the order they are read. */
  readonly files: readonly string[];
  /** Decodable topics by name. */
  readonly topics: ReadonlyMap<string, BagTopic>;
  /** What was skipped and why (service events, types without a definition, metadata issues). */
  readonly notes: readonly string[];
  /** The truncation or corruption found by open(), thrown again at the end of messages(). */
  readonly error: StriderError | null;
  readonly #state: ReadonlyMap<string, TopicState>;

  private constructor(
    files: readonly string[],
    state: ReadonlyMap<string, TopicState>,
    notes: readonly string[],
    error: StriderError | null,
  ) {
    this.files = files;
    this.#state = state;
    this.notes = notes;
    this.error = error;
    const topics = new Map<string, BagTopic>();
    for (const t of state.values()) {
      if (t.decoder === null) continue;
      topics.set(t.name, {
        name: t.name,
        type: t.type,
        serialization: t.serialization,
        count: t.count,
        definition: t.decoder.source,
      });
    }
    this.topics = topics;
  }

  /** Messages in complete records over all topics, decodable or not. */
  get messageCount(): number {
    let n = 0;
    for (const t of this.#state.values()) n += t.count;
    return n;
  }

  /**
   * Opens `path` and scans it. Throws BAG_NOT_A_BAG when it is neither a bag folder nor a
   * .mcap/.db3 file (or a file in it is not what its extension says).
   */
  static async open(path: string): Promise<BagReader> {
    const notes: string[] = [];
    const files = await bagFiles(path, notes);
    const state = new Map<string, TopicState>();
    let error: StriderError | null = null;
    for (const file of files) {
      try {
        for await (const r of readFile_(file)) {
          if (r.kind === 'channel') addChannel(state, r, notes);
          else {
            const t = state.get(r.topic);
            if (t !== undefined) t.count++;
          }
        }
      } catch (err) {
        if (!isStriderError(err) || (err.code !== 'BAG_TRUNCATED' && err.code !== 'BAG_CORRUPT'))
          throw err;
        error = err;
        notes.push(`${err.code}: ${err.message}`);
        break; // later files of a split bag would follow a hole: stop at the damage
      }
    }
    return new BagReader(files, state, notes, error);
  }

  /**
   * Decoded messages in file order (time order within each file), optionally only `topics`.
   * Throws BAG_TOPIC_MISSING for a requested topic the bag lacks, BAG_TYPE_UNKNOWN for one whose
   * type has no definition; after the last complete record, the error open() found.
   */
  async *messages(topics?: readonly string[]): AsyncGenerator<BagMessage> {
    const wanted = topics === undefined ? null : new Set(topics);
    if (wanted !== null) for (const name of wanted) this.#decoder(name);
    for (const file of this.files) {
      for await (const r of readFile_(file)) {
        if (r.kind !== 'message' || (wanted !== null && !wanted.has(r.topic))) continue;
        const t = this.#state.get(r.topic);
        if (t?.decoder == null) continue;
        yield {
          topic: t.name,
          type: t.type,
          logTimeNs: r.logTimeNs,
          message: decode(t, file, r.data),
        };
      }
    }
  }

  #decoder(name: string): TypeDecoder {
    const t = this.#state.get(name);
    if (t === undefined) {
      throw new StriderError(
        'BAG_TOPIC_MISSING',
        `bag ${this.files.join(', ')} has no topic "${name}"; its topics are: ${[...this.#state.keys()].join(', ') || 'none'}`,
        { context: { topic: name } },
      );
    }
    if (t.decoder === null) {
      throw new StriderError(
        'BAG_TYPE_UNKNOWN',
        `topic "${name}" has type ${t.type}, which this bag does not define and strider has no built-in definition of`,
        { context: { topic: name, type: t.type } },
      );
    }
    return t.decoder;
  }
}

function decode(t: TopicState, file: string, data: Uint8Array): unknown {
  try {
    return t.decoder!.reader.readMessage(data);
  } catch (err) {
    throw new StriderError(
      'BAG_CORRUPT',
      `${file}: a message on "${t.name}" does not decode as ${t.type} (${String(err)})`,
      { cause: err, context: { file, topic: t.name, type: t.type } },
    );
  }
}

function readFile_(file: string): AsyncGenerator<RawRecord> {
  return STORAGE_EXTENSIONS[extname(file)] === 'mcap' ? readMcapFile(file) : readSqlite3File(file);
}

function addChannel(
  state: Map<string, TopicState>,
  r: RawRecord & { kind: 'channel' },
  notes: string[],
): void {
  const c = r.channel;
  if (state.has(c.topic)) return; // split bags repeat their channels in every file
  const type = normaliseType(c.type);
  const t: TopicState = {
    name: c.topic,
    type,
    serialization: c.serialization,
    count: 0,
    decoder: null,
  };
  state.set(c.topic, t);
  if (isServiceEvent(c.topic, type)) {
    notes.push(`topic "${c.topic}" (${type}) skipped: a service-event topic`);
    return;
  }
  if (c.serialization !== 'cdr') {
    notes.push(
      `topic "${c.topic}" (${type}) skipped: serialization "${c.serialization}", only cdr is read`,
    );
    return;
  }
  const d = decoderFor(type, c.definitionText, c.definitionEncoding);
  if (d.source === 'none') {
    notes.push(`topic "${c.topic}" (${type}) skipped: ${'why' in d ? d.why : ''}`);
    return;
  }
  t.decoder = d;
}

/**
 * The storage files of a bag: a single .mcap/.db3 file; or a folder's metadata.yaml
 * relative_file_paths (when present and the files exist), else its .mcap/.db3 files sorted by
 * their split index (name_0, name_1, ...).
 */
async function bagFiles(path: string, notes: string[]): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw new StriderError('BAG_NOT_A_BAG', `bag ${path} does not exist`, {
      cause: err,
      context: { file: path },
    });
  }
  if (info.isFile()) {
    if (basename(path) === 'metadata.yaml') return bagFiles(dirname(path), notes);
    if (STORAGE_EXTENSIONS[extname(path)] === undefined) {
      throw new StriderError(
        'BAG_NOT_A_BAG',
        `${path} is not a rosbag2 bag: expected a bag folder, a .mcap or a .db3 file`,
        { context: { file: path } },
      );
    }
    return [path];
  }
  const entries = await readdir(path);
  const stored = entries.filter((e) => STORAGE_EXTENSIONS[extname(e)] !== undefined);
  const fromMetadata = await metadataFiles(path, entries, notes);
  const names = fromMetadata ?? stored.sort(bySplitIndex);
  if (names.length === 0) {
    throw new StriderError(
      'BAG_NOT_A_BAG',
      `folder ${path} is not a rosbag2 bag: it holds no .mcap or .db3 file (found: ${entries.join(', ') || 'nothing'})`,
      { context: { file: path } },
    );
  }
  return names.map((n) => join(path, n));
}

async function metadataFiles(
  dir: string,
  entries: readonly string[],
  notes: string[],
): Promise<string[] | null> {
  if (!entries.includes('metadata.yaml')) {
    notes.push(`${dir}: no metadata.yaml; reading its .mcap/.db3 files in name order`);
    return null;
  }
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(join(dir, 'metadata.yaml'), 'utf8'));
  } catch (err) {
    notes.push(`${dir}/metadata.yaml does not parse (${String(err)}); reading the folder's files`);
    return null;
  }
  const info = (doc as { rosbag2_bagfile_information?: { relative_file_paths?: unknown } } | null)
    ?.rosbag2_bagfile_information;
  const paths = info?.relative_file_paths;
  if (!Array.isArray(paths) || paths.length === 0) return null;
  const names = paths.map(String).filter((p) => STORAGE_EXTENSIONS[extname(p)] !== undefined);
  const missing = names.filter((n) => !entries.includes(n));
  if (missing.length > 0) {
    notes.push(
      `${dir}/metadata.yaml lists files that are absent (${missing.join(', ')}); reading the folder's files`,
    );
    return null;
  }
  return names;
}

function bySplitIndex(a: string, b: string): number {
  const ia = /_(\d+)\.[a-z0-9]+$/.exec(a)?.[1];
  const ib = /_(\d+)\.[a-z0-9]+$/.exec(b)?.[1];
  if (
    ia !== undefined &&
    ib !== undefined &&
    a.replace(/_\d+\./, '.') === b.replace(/_\d+\./, '.')
  ) {
    return Number(ia) - Number(ib);
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
