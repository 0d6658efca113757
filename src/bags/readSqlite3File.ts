import { readFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { StriderError } from '../util/StriderError.js';
import type { RawChannel, RawRecord } from './types.js';

const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Reads one rosbag2 sqlite3 file (.db3, any layout since 2019: with or without
 * offered_qos_profiles and message_definitions) and yields its topics, then its messages in
 * timestamp order.
 *
 * The file is read into memory and opened from there, read-only: SQLite never touches the source
 * folder (opening a WAL-mode file in place creates -shm/-wal files beside it, even read-only).
 * A file shorter than its header's page count throws BAG_TRUNCATED; SQLite's own corruption
 * errors throw BAG_CORRUPT; both after the messages read before them, naming the file.
 */
export async function* readSqlite3File(path: string): AsyncGenerator<RawRecord> {
  const bytes = await readWhole(path);
  if (bytes.length < 100 || bytes.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
    throw new StriderError(
      'BAG_NOT_A_BAG',
      `${path}: not an SQLite 3 file (no "SQLite format 3" header)`,
      {
        context: { file: path },
      },
    );
  }
  const pageSize = pageSizeOf(bytes);
  const expected = bytes.readUInt32BE(28) * pageSize;
  // Journal mode is a header flag (bytes 18-19; 2 = WAL); an in-memory image must be rollback (1).
  bytes[18] = 1;
  bytes[19] = 1;
  let db: Database.Database;
  try {
    db = new Database(bytes, { readonly: true });
  } catch (err) {
    throw new StriderError('BAG_CORRUPT', `${path}: SQLite cannot open it (${String(err)})`, {
      cause: err,
      context: { file: path },
    });
  }
  let lastId = 0;
  let messages = 0;
  try {
    const tables = new Set(
      (
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
          name: string;
        }[]
      ).map((r) => r.name),
    );
    if (!tables.has('topics') || !tables.has('messages')) {
      throw new StriderError(
        'BAG_NOT_A_BAG',
        `${path}: an SQLite file without rosbag2's topics and messages tables (has: ${[...tables].join(', ') || 'none'})`,
        { context: { file: path } },
      );
    }
    const definitions = new Map<string, { encoding: string; text: string }>();
    if (tables.has('message_definitions')) {
      const rows = db
        .prepare('SELECT topic_type, encoding, encoded_message_definition FROM message_definitions')
        .all() as { topic_type: string; encoding: string; encoded_message_definition: string }[];
      for (const r of rows)
        definitions.set(r.topic_type, { encoding: r.encoding, text: r.encoded_message_definition });
    }
    const topics = db
      .prepare('SELECT id, name, type, serialization_format FROM topics ORDER BY id')
      .all() as {
      id: number;
      name: string;
      type: string;
      serialization_format: string;
    }[];
    const byId = new Map<number, string>();
    for (const t of topics) {
      byId.set(t.id, t.name);
      const def = definitions.get(t.type);
      const channel: RawChannel = {
        topic: t.name,
        type: t.type,
        serialization: t.serialization_format,
        definitionText: def?.text ?? '',
        definitionEncoding: def?.encoding ?? '',
      };
      yield { kind: 'channel', channel };
    }
    const rows = db
      .prepare('SELECT id, topic_id, timestamp, data FROM messages ORDER BY timestamp, id')
      .safeIntegers(true)
      .iterate() as IterableIterator<{
      id: bigint;
      topic_id: bigint;
      timestamp: bigint;
      data: Buffer;
    }>;
    for (const r of rows) {
      const topic = byId.get(Number(r.topic_id));
      lastId = Number(r.id);
      if (topic === undefined) continue; // a message of a deleted topic row: nothing to decode it with
      messages++;
      yield { kind: 'message', topic, logTimeNs: r.timestamp, data: r.data };
    }
    if (bytes.length < expected) {
      throw new StriderError(
        'BAG_TRUNCATED',
        `${path}: the file is ${bytes.length} bytes, its header says ${expected}; the ${messages} messages SQLite could read were read`,
        { context: { file: path, offset: bytes.length, messages } },
      );
    }
  } catch (err) {
    if (err instanceof StriderError) throw err;
    const truncated = bytes.length < expected;
    throw new StriderError(
      truncated ? 'BAG_TRUNCATED' : 'BAG_CORRUPT',
      `${path}: ${truncated ? `the file is ${bytes.length} bytes, its header says ${expected}; ` : ''}` +
        `SQLite failed after message row id ${lastId} (${String(err)}); the ${messages} messages before it were read`,
      {
        cause: err,
        context: { file: path, offset: Math.min(bytes.length, expected), row: lastId, messages },
      },
    );
  } finally {
    db.close();
  }
}

async function readWhole(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new StriderError('BAG_NOT_A_BAG', `${path}: cannot read (${String(err)})`, {
      cause: err,
      context: { file: path },
    });
  }
}

function pageSizeOf(bytes: Buffer): number {
  const raw = bytes.readUInt16BE(16);
  return raw === 1 ? 65536 : raw;
}
