import { open } from 'node:fs/promises';
import { McapStreamReader } from '@mcap/core';
import { StriderError, isStriderError } from '../util/StriderError.js';
import { DECOMPRESS_HANDLERS } from './compression.js';
import type { RawChannel, RawRecord } from './types.js';

const READ_BYTES = 1 << 20;

/**
 * Reads one MCAP file front to back (streaming, 1 MiB reads; no summary section needed, so
 * truncated files and files without Statistics read too) and yields its channels and messages in
 * file order; compressed chunks (zstd, lz4) are opened as they complete.
 *
 * A file that ends inside a record (a crash while recording) yields every complete record, then
 * throws BAG_TRUNCATED naming the file and the offset where the incomplete record starts. A
 * record that fails its CRC or does not parse throws BAG_CORRUPT at the offset after the last good
 * record. A file that is not MCAP throws BAG_NOT_A_BAG.
 */
export async function* readMcapFile(path: string): AsyncGenerator<RawRecord> {
  const reader = new McapStreamReader({
    decompressHandlers: DECOMPRESS_HANDLERS,
    validateCrcs: true,
  });
  const schemas = new Map<number, { name: string; encoding: string; data: Uint8Array }>();
  const channels = new Map<number, RawChannel>();
  const file = await openFile(path);
  let appended = 0;
  let messages = 0;
  try {
    const buffer = Buffer.alloc(READ_BYTES);
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, READ_BYTES, appended);
      if (bytesRead === 0) break;
      reader.append(buffer.subarray(0, bytesRead));
      appended += bytesRead;
      for (;;) {
        const at = appended - reader.bytesRemaining();
        let record;
        try {
          record = reader.nextRecord();
        } catch (err) {
          throw corrupt(path, at, messages, err);
        }
        if (record === undefined) break;
        switch (record.type) {
          case 'Schema':
            schemas.set(record.id, {
              name: record.name,
              encoding: record.encoding,
              data: record.data,
            });
            break;
          case 'Channel': {
            const schema = schemas.get(record.schemaId);
            const channel: RawChannel = {
              topic: record.topic,
              type: schema?.name ?? '',
              serialization: record.messageEncoding,
              definitionText: schema === undefined ? '' : Buffer.from(schema.data).toString('utf8'),
              definitionEncoding: schema?.encoding ?? '',
            };
            channels.set(record.id, channel);
            yield { kind: 'channel', channel };
            break;
          }
          case 'Message': {
            const channel = channels.get(record.channelId);
            if (channel === undefined) {
              throw new StriderError(
                'BAG_CORRUPT',
                `${path}: message at byte ${at} names channel ${record.channelId}, which no Channel record declared`,
                { context: { file: path, offset: at } },
              );
            }
            messages++;
            yield {
              kind: 'message',
              topic: channel.topic,
              logTimeNs: record.logTime,
              data: record.data,
            };
            break;
          }
          default:
            break;
        }
      }
    }
    if (appended === 0) {
      throw new StriderError('BAG_NOT_A_BAG', `${path}: the file is empty; expected an MCAP file`, {
        context: { file: path },
      });
    }
    if (!reader.done()) {
      const at = appended - reader.bytesRemaining();
      if (at === 0) {
        throw new StriderError(
          'BAG_NOT_A_BAG',
          `${path}: not an MCAP file (${appended} bytes, no MCAP magic)`,
          {
            context: { file: path },
          },
        );
      }
      throw new StriderError(
        'BAG_TRUNCATED',
        `${path}: the file ends inside a record starting at byte ${at} (file size ${appended}); ` +
          `the ${messages} messages before it were read`,
        { context: { file: path, offset: at, size: appended, messages } },
      );
    }
  } finally {
    await file.close();
  }
}

async function openFile(path: string): Promise<Awaited<ReturnType<typeof open>>> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw new StriderError('BAG_NOT_A_BAG', `${path}: cannot open (${String(err)})`, {
      cause: err,
      context: { file: path },
    });
  }
}

function corrupt(path: string, at: number, messages: number, err: unknown): StriderError {
  if (isStriderError(err)) {
    return new StriderError(err.code, `${path}: at byte ${at}: ${err.message}`, {
      cause: err,
      context: { file: path, offset: at },
    });
  }
  const text = err instanceof Error ? err.message : String(err);
  if (at === 0) {
    return new StriderError('BAG_NOT_A_BAG', `${path}: not an MCAP file (${text})`, {
      cause: err,
      context: { file: path, offset: 0 },
    });
  }
  return new StriderError(
    'BAG_CORRUPT',
    `${path}: bad record at byte ${at} (${text}); the ${messages} messages before it were read`,
    { cause: err, context: { file: path, offset: at, messages } },
  );
}
