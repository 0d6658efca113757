import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import {
  humanLogLine,
  Progress,
  runLogStreams,
  TerminalLogStream,
} from '../../../src/telemetry/index.js';

/** A terminal we cannot run in a test: records what is written to it. */
class FakeTty {
  readonly isTTY: boolean;
  readonly columns: number;
  readonly written: string[] = [];

  constructor(options: { isTTY?: boolean; columns?: number } = {}) {
    this.isTTY = options.isTTY ?? true;
    this.columns = options.columns ?? 80;
  }

  write(chunk: string): boolean {
    this.written.push(chunk);
    return true;
  }

  asStream(): NodeJS.WriteStream {
    return this as unknown as NodeJS.WriteStream;
  }

  /**
   * The rows a terminal shows after all the writes: \r, \n, erase line (ESC[2K), cursor up
   * (ESC[1A), and wrapping at `columns`.
   */
  screen(): string[] {
    const rows: string[] = [''];
    let row = 0;
    let col = 0;
    const all = this.written.join('');
    for (let i = 0; i < all.length; i++) {
      if (all.startsWith('\x1b[2K', i)) {
        rows[row] = '';
        i += 3;
      } else if (all.startsWith('\x1b[1A', i)) {
        row = Math.max(0, row - 1);
        i += 3;
      } else if (all[i] === '\r') {
        col = 0;
      } else if (all[i] === '\n') {
        row++;
        col = 0;
        rows[row] ??= '';
      } else {
        if (col >= this.columns) {
          row++;
          col = 0;
          rows[row] ??= '';
        }
        const line = (rows[row] ?? '').padEnd(col);
        rows[row] = line.slice(0, col) + (all[i] ?? '') + line.slice(col + 1);
        col++;
      }
    }
    return rows;
  }
}

function jsonLines(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('telemetry/terminalLog on a terminal', () => {
  let dir: string;
  let tty: FakeTty;
  let progress: Progress;
  let logger: Logger;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'strider-termlog-'));
    tty = new FakeTty();
    progress = new Progress({ stream: tty.asStream(), intervalMs: 0 });
    logger = pino(
      { name: 'strider', level: 'info' },
      pino.multistream(runLogStreams({ level: 'info', outDir: dir, progress })),
    );
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints warnings as short lines above the progress line and keeps JSON in the log file', () => {
    progress.update(0, () => 'episode 1/3  step 10/200');
    logger.info({ episode: 0 }, 'episode done');
    logger.warn({ err: null, tick: 7 }, 'safety gate: stale; safe command sent');

    assert.deepEqual(tty.screen(), [
      'warn  safety gate: stale; safe command sent',
      'episode 1/3  step 10/200',
    ]);
    // the warning cleared the progress line, then the progress line was drawn again
    assert.equal(
      tty.written.at(-1),
      '\r\x1b[2Kwarn  safety gate: stale; safe command sent\nepisode 1/3  step 10/200',
    );
    assert.ok(
      tty.written.every((chunk) => !chunk.includes('{')),
      'no JSON on the terminal',
    );

    const lines = jsonLines(join(dir, 'strider.log'));
    assert.deepEqual(
      lines.map((l) => [l['level'], l['msg']]),
      [
        [30, 'episode done'],
        [40, 'safety gate: stale; safe command sent'],
      ],
    );
    assert.equal(lines[1]?.['tick'], 7);
  });

  it('folds a warning repeated back to back into one line with a count', () => {
    progress.update(0, () => 'episode 1/3');
    for (let tick = 0; tick < 3; tick++) {
      logger.warn({ tick }, 'safety gate: stale; safe command sent');
      progress.update(tick + 1, () => `episode 1/3  step ${tick + 1}`);
    }
    assert.deepEqual(tty.screen(), [
      'warn  safety gate: stale; safe command sent (x3)',
      'episode 1/3  step 3',
    ]);

    logger.error({ err: new Error('socket closed') }, 'transport failed');
    logger.warn('safety gate: stale; safe command sent');
    assert.deepEqual(tty.screen(), [
      'warn  safety gate: stale; safe command sent (x3)',
      'error transport failed: socket closed',
      'warn  safety gate: stale; safe command sent',
      'episode 1/3  step 3',
    ]);
    assert.equal(jsonLines(join(dir, 'strider.log')).length, 5);
  });

  it('prints below the finished progress line after done()', () => {
    progress.update(0, () => 'episode 3/3');
    logger.warn('late warning');
    progress.done();
    logger.warn('late warning');
    assert.deepEqual(tty.screen(), ['warn  late warning', 'episode 3/3', 'warn  late warning', '']);
  });
});

describe('telemetry/Progress.print', () => {
  it('does not fold a line that wrapped on the terminal, since it cannot go back up one row', () => {
    const tty = new FakeTty({ columns: 20 });
    const progress = new Progress({ stream: tty.asStream(), intervalMs: 0 });
    progress.update(0, () => 'progress');
    progress.print('warn  a message longer than the terminal');
    progress.print('warn  a message longer than the terminal');
    assert.deepEqual(tty.screen(), [
      'warn  a message long',
      'er than the terminal',
      'warn  a message long',
      'er than the terminal',
      ' (x2)',
      'progress',
    ]);
  });

  it('writes plain lines off a terminal', () => {
    const pipe = new FakeTty({ isTTY: false });
    const progress = new Progress({ stream: pipe.asStream() });
    progress.update(0, () => 'not shown');
    progress.print('warn  x');
    progress.print('warn  x');
    assert.deepEqual(pipe.written, ['warn  x\n', 'warn  x\n']);
  });
});

describe('telemetry/terminalLog runLogStreams off a terminal', () => {
  it('sends the full JSON log to stderr, as before', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strider-termlog-'));
    try {
      const progress = new Progress({ stream: new FakeTty({ isTTY: false }).asStream() });
      const [file, stderr] = runLogStreams({ level: 'debug', outDir: dir, progress });
      assert.equal(file?.level, 'debug');
      assert.equal(stderr?.level, 'debug');
      assert.ok(!(stderr.stream instanceof TerminalLogStream));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("sends JSON to stderr on a terminal too with stderr: 'all' (the trainer)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'strider-termlog-'));
    try {
      const progress = new Progress({ stream: new FakeTty().asStream() });
      const [, stderr] = runLogStreams({ level: 'info', outDir: dir, progress, stderr: 'all' });
      assert.equal(stderr?.level, 'info');
      assert.ok(!(stderr.stream instanceof TerminalLogStream));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('telemetry/terminalLog humanLogLine', () => {
  it('shows level, message and the error message, on one line', () => {
    const line = JSON.stringify({
      level: 50,
      msg: 'trainer process failed',
      err: { type: 'Error', message: 'spawn ENOENT\nat x', stack: 'Error: spawn ENOENT' },
      pid: 1,
    });
    assert.equal(humanLogLine(line), 'error trainer process failed: spawn ENOENT at x');
    assert.equal(humanLogLine('{"level":40,"msg":"stale","err":null}\n'), 'warn  stale');
  });

  it('returns a line that is not JSON as written', () => {
    assert.equal(humanLogLine('plain text\n'), 'plain text');
  });
});
