/**
 * Append-only disk spool of payloads, in order, bounded in bytes. Files are segments named
 * `<12-digit index>.spool` in one folder, read in index order; each record is
 * `u32 length | u32 crc32(payload) | payload` (little-endian). A segment is deleted once every
 * record read from it has been acknowledged; segments left by a previous process are picked up
 * at open. All I/O is synchronous and small (one record per call): callers run it off the
 * control tick.
 */

import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../util/logger.js';
import { silentLogger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { crc32 } from './binary.js';

export interface DiskSpoolOptions {
  /** Folder of the segment files (created if missing). */
  readonly dir: string;
  /** Total bytes the segment files may use; an append that would exceed it is refused. */
  readonly limitBytes: number;
  /** A segment is closed and a new one started past this size. Default 1 MiB. */
  readonly segmentBytes?: number;
  readonly logger?: Logger;
}

/** A record handed out by {@link DiskSpool.next}; pass it to {@link DiskSpool.ack} once delivered. */
export interface SpoolRecord {
  readonly payload: Buffer;
  readonly segment: number;
}

const RECORD_HEADER = 8;
const NAME = /^(\d{12})\.spool$/;
const FIRST_INDEX = 1_000_000_000;

interface Segment {
  readonly index: number;
  bytes: number;
}

interface ReadState {
  readonly index: number;
  readonly records: Buffer[];
  cursor: number;
  outstanding: number;
}

export class DiskSpool {
  readonly #dir: string;
  readonly #limitBytes: number;
  readonly #segmentBytes: number;
  readonly #log: Logger;
  /** Segments on disk, oldest first. */
  readonly #segments: Segment[] = [];
  #bytes = 0;
  #writeFd: number | undefined;
  #write: Segment | undefined;
  #read: ReadState | undefined;
  #corrupt = 0;
  #closed = false;

  /** Opens (creating) the folder and indexes existing segments. Throws IO when unusable. */
  constructor(options: DiskSpoolOptions) {
    this.#dir = options.dir;
    this.#limitBytes = options.limitBytes;
    this.#segmentBytes = options.segmentBytes ?? 1 << 20;
    this.#log = (options.logger ?? silentLogger()).child({ component: 'spool' });
    try {
      mkdirSync(this.#dir, { recursive: true });
      const found: Segment[] = [];
      for (const name of readdirSync(this.#dir)) {
        const m = NAME.exec(name);
        if (m?.[1] === undefined) continue;
        found.push({ index: Number(m[1]), bytes: statSync(join(this.#dir, name)).size });
      }
      found.sort((a, b) => a.index - b.index);
      for (const s of found) {
        this.#segments.push(s);
        this.#bytes += s.bytes;
      }
    } catch (err) {
      throw new StriderError('IO', `cannot open spool folder ${this.#dir}: ${String(err)}`, {
        cause: err,
      });
    }
    if (this.#segments.length > 0) {
      this.#log.info(
        { segments: this.#segments.length, bytes: this.#bytes },
        'spool found from a previous run',
      );
    }
  }

  /** Bytes of all segment files. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records skipped because a segment was truncated or failed its CRC. */
  get corruptRecords(): number {
    return this.#corrupt;
  }

  /** True when {@link next} has a record to hand out. */
  hasUnread(): boolean {
    if (this.#read !== undefined && this.#read.cursor < this.#read.records.length) return true;
    return this.#segments.some((s) => s.index !== this.#read?.index && s.bytes > 0);
  }

  /** Appends a record at the end. False (nothing written) when it would exceed the limit. */
  append(payload: Buffer): boolean {
    this.#checkOpen();
    const size = RECORD_HEADER + payload.length;
    if (this.#bytes + size > this.#limitBytes) return false;
    if (this.#write === undefined || this.#write.bytes >= this.#segmentBytes) {
      this.#seal();
      const last = this.#segments[this.#segments.length - 1];
      const seg: Segment = { index: last === undefined ? FIRST_INDEX : last.index + 1, bytes: 0 };
      this.#writeFd = this.#openFile(seg.index, 'a');
      this.#write = seg;
      this.#segments.push(seg);
    }
    this.#writeRecord(this.#writeFd!, payload);
    this.#write.bytes += size;
    this.#bytes += size;
    return true;
  }

  /**
   * Writes records into a new segment placed before every existing one (used at shutdown for
   * batches that were in flight, which are older than anything spooled). Records beyond the
   * disk limit are dropped; returns how many were written.
   */
  prepend(payloads: readonly Buffer[]): number {
    this.#checkOpen();
    if (payloads.length === 0) return 0;
    const first = this.#segments[0];
    const seg: Segment = { index: first === undefined ? FIRST_INDEX : first.index - 1, bytes: 0 };
    const fd = this.#openFile(seg.index, 'w');
    let n = 0;
    try {
      for (const p of payloads) {
        const size = RECORD_HEADER + p.length;
        if (this.#bytes + size > this.#limitBytes) break;
        this.#writeRecord(fd, p);
        seg.bytes += size;
        this.#bytes += size;
        n++;
      }
    } finally {
      closeSync(fd);
    }
    this.#segments.unshift(seg);
    return n;
  }

  /** The oldest record not yet handed out, or undefined. Loads at most one segment at a time. */
  next(): SpoolRecord | undefined {
    this.#checkOpen();
    for (;;) {
      const r = this.#read;
      if (r !== undefined) {
        const payload = r.records[r.cursor];
        if (payload !== undefined) {
          r.cursor++;
          r.outstanding++;
          return { payload, segment: r.index };
        }
        if (r.outstanding > 0) return undefined;
        this.#finishRead();
        continue;
      }
      const seg = this.#segments[0];
      if (seg === undefined) return undefined;
      if (seg === this.#write) this.#seal();
      this.#read = {
        index: seg.index,
        records: this.#loadSegment(seg.index),
        cursor: 0,
        outstanding: 0,
      };
    }
  }

  /** Marks a record from {@link next} as delivered; deletes its segment when all are. */
  ack(record: SpoolRecord): void {
    const r = this.#read;
    if (this.#closed || r?.index !== record.segment) return;
    r.outstanding--;
    if (r.outstanding === 0 && r.cursor >= r.records.length) this.#finishRead();
  }

  /** Closes the write file. Unacknowledged records stay on disk for the next process. */
  close(): void {
    if (this.#closed) return;
    this.#seal();
    this.#closed = true;
  }

  #finishRead(): void {
    const r = this.#read;
    if (r === undefined) return;
    this.#read = undefined;
    const i = this.#segments.findIndex((s) => s.index === r.index);
    const seg = this.#segments[i];
    if (seg === undefined) return;
    this.#segments.splice(i, 1);
    this.#bytes -= seg.bytes;
    try {
      unlinkSync(this.#path(seg.index));
    } catch (err) {
      this.#log.error({ err, segment: seg.index }, 'cannot delete drained spool segment');
    }
  }

  #loadSegment(index: number): Buffer[] {
    let buf: Buffer;
    try {
      buf = readFileSync(this.#path(index));
    } catch (err) {
      this.#log.error({ err, segment: index }, 'cannot read spool segment; skipped');
      return [];
    }
    const out: Buffer[] = [];
    let o = 0;
    while (o < buf.length) {
      if (o + RECORD_HEADER > buf.length) break;
      const len = buf.readUInt32LE(o);
      const crc = buf.readUInt32LE(o + 4);
      if (o + RECORD_HEADER + len > buf.length) break;
      const payload = buf.subarray(o + RECORD_HEADER, o + RECORD_HEADER + len);
      if (crc32(payload) !== crc) break;
      out.push(payload);
      o += RECORD_HEADER + len;
    }
    if (o < buf.length) {
      this.#corrupt++;
      this.#log.warn(
        { segment: index, offset: o, bytes: buf.length },
        'spool segment truncated or corrupt (e.g. power loss mid-write); the rest of it is skipped',
      );
    }
    return out;
  }

  #writeRecord(fd: number, payload: Buffer): void {
    const head = Buffer.allocUnsafe(RECORD_HEADER);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE(crc32(payload), 4);
    try {
      writeSync(fd, head);
      writeSync(fd, payload);
    } catch (err) {
      throw new StriderError('IO', `cannot write spool in ${this.#dir}: ${String(err)}`, {
        cause: err,
      });
    }
  }

  #seal(): void {
    if (this.#writeFd !== undefined) closeSync(this.#writeFd);
    this.#writeFd = undefined;
    this.#write = undefined;
  }

  #openFile(index: number, flags: 'a' | 'w'): number {
    try {
      return openSync(this.#path(index), flags);
    } catch (err) {
      throw new StriderError('IO', `cannot open spool segment in ${this.#dir}: ${String(err)}`, {
        cause: err,
      });
    }
  }

  #path(index: number): string {
    return join(this.#dir, `${String(index).padStart(12, '0')}.spool`);
  }

  #checkOpen(): void {
    if (this.#closed) throw new StriderError('LOOP_STATE', `spool ${this.#dir} is closed`);
  }
}
