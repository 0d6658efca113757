import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { lineChartSvg, writeChart } from '../telemetry/plot/index.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import { MALLOC_SETTINGS, withMallocTuning, type MallocSetting } from '../util/mallocTuning.js';
import { environValue, takeSample } from './soakProbe.js';
import {
  sampleLine,
  soakChartSpec,
  soakOverrides,
  summarizeSoak,
  type SoakOptions,
  type SoakSample,
  type SoakSummary,
} from './soakStats.js';

/** How long the run may take to end after its SIGINT before its process group is killed. */
const STOP_GRACE_MS = 60_000;

export interface RunSoakOptions extends SoakOptions {
  /** bin/strider.js of this install. */
  readonly bin: string;
  /** --config, or undefined for the default (config/planar_runner.yaml). */
  readonly config: string | undefined;
  /** The path the run's config is read from (to find trainer.retention). */
  readonly configPath: string;
  /** The user's --set overrides, applied after the soak's. */
  readonly overrides: readonly string[];
  /** OUT: soak.json, soak.svg, run.out and the run's folder OUT/run (trainer data in it). */
  readonly outDir: string;
  /** trainer.retention of the run's final config (null when none), given its overrides. */
  readonly retention: (overrides: readonly string[]) => unknown;
  /** A progress line per sample and the summary at the end. */
  readonly print: (line: string) => void;
  readonly logger: Logger;
}

export interface SoakReport {
  readonly command: string;
  readonly options: { minutes: number; sample_s: number; overrides: readonly string[] };
  readonly ended_by: 'duration' | 'signal' | 'run failed';
  readonly run_exit: { code: number | null; signal: string | null };
  /** glibc's malloc settings as the run's process started with them (/proc/<pid>/environ). */
  readonly run_malloc: Record<MallocSetting, string>;
  readonly summary: SoakSummary;
  readonly samples: readonly SoakSample[];
}

/** A TCP port free on loopback now (the run binds it a few seconds later). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

/**
 * `strider bench --soak`: runs `strider run` (continuous mode for `minutes`, a child trainer, the
 * metrics endpoint) as a child process in a process group of its own, and every `sampleS` seconds
 * samples both processes' RSS and fds, the disk use of the run's and the trainer's folders and the
 * run's metrics. SIGINT or SIGTERM ends the soak early: the run gets one SIGINT (a second signal
 * kills its process group) and the files are written all the same. Writes OUT/soak.json and
 * OUT/soak.{svg,png}; resolves with the report.
 */
export async function runSoak(o: RunSoakOptions): Promise<SoakReport> {
  const runDir = join(o.outDir, 'run');
  mkdirSync(runDir, { recursive: true });
  const port = await freePort();
  const sets = soakOverrides({
    minutes: o.minutes,
    metricsPort: port,
    defaultConfig: o.config === undefined,
    user: o.overrides,
  });
  const retention = o.retention(sets);
  const argv = [
    o.bin,
    'run',
    ...(o.config !== undefined ? ['--config', o.config] : []),
    ...sets.flatMap((s) => ['--set', s]),
    '--out',
    runDir,
  ];
  const outFd = openSync(join(o.outDir, 'run.out'), 'w');
  // a process group of its own: a terminal's Ctrl-C reaches the soak only, which sends one SIGINT.
  // node's own flags (e.g. --no-memory-reducer, which only node's command line takes) go with it.
  const child = spawn(process.execPath, [...process.execArgv, ...argv], {
    stdio: ['ignore', outFd, outFd],
    detached: true,
    env: withMallocTuning(process.env), // as bin/strider.js starts it
  });
  closeSync(outFd);
  const pid = child.pid;
  if (pid === undefined) {
    throw new StriderError('IO', `cannot start the soak's run: ${process.execPath} ${o.bin} run`);
  }
  const malloc = {} as Record<MallocSetting, string>;
  for (const name of MALLOC_SETTINGS) malloc[name] = await environValue(pid, name);
  o.logger.info({ pid, port, runDir, malloc }, 'soak: run started');
  const startMs = performance.now();
  const minutesNow = (): number => (performance.now() - startMs) / 60_000;
  const samples: SoakSample[] = [];
  // set from callbacks (a closure's writes are not seen by the compiler's narrowing)
  const state = { sampling: false, exited: false, signalled: false };
  const sample = async (): Promise<void> => {
    if (state.sampling) return; // the interval is cleared once the run exits
    state.sampling = true;
    try {
      const s = await takeSample({
        pid,
        tMin: minutesNow(),
        runDir,
        trainerDir: join(runDir, 'trainer'),
        metricsUrl: `http://127.0.0.1:${port}/metrics`,
      });
      if (!state.exited && s.controller !== null) {
        samples.push(s);
        o.print(sampleLine(s, o.minutes));
      }
    } catch (err) {
      o.logger.warn({ err }, 'soak: a sample failed');
    } finally {
      state.sampling = false;
    }
  };
  const timer = setInterval(() => void sample(), o.sampleS * 1000);

  let killTimer: NodeJS.Timeout | undefined;
  const onSignal = (): void => {
    if (!state.signalled) {
      state.signalled = true;
      o.print('soak: stopping the run (SIGINT); a second signal kills it');
      child.kill('SIGINT');
      killTimer = setTimeout(() => {
        process.kill(-pid, 'SIGKILL');
      }, STOP_GRACE_MS);
      return;
    }
    try {
      process.kill(-pid, 'SIGKILL');
    } catch (err) {
      o.logger.warn({ err }, 'soak: could not kill the run');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
    child.once('error', (err) => {
      o.logger.error({ err }, 'soak: the run failed to start');
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  state.exited = true;
  clearInterval(timer);
  if (killTimer !== undefined) clearTimeout(killTimer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const minutesRun = minutesNow();
  const report: SoakReport = {
    command: `strider ${argv.slice(1).join(' ')}`,
    options: { minutes: o.minutes, sample_s: o.sampleS, overrides: o.overrides },
    ended_by: state.signalled ? 'signal' : exit.code === 0 ? 'duration' : 'run failed',
    run_exit: exit,
    run_malloc: malloc,
    summary: summarizeSoak(samples, minutesRun, retention),
    samples,
  };
  const jsonPath = join(o.outDir, 'soak.json');
  try {
    writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  } catch (cause) {
    throw new StriderError('IO', `cannot write the soak report ${jsonPath}`, { cause });
  }
  const title = `soak: ${minutesRun.toFixed(1)} min of strider run (continuous, child trainer)`;
  await writeChart(lineChartSvg(soakChartSpec(samples, title)), join(o.outDir, 'soak'), {
    logger: o.logger,
  });
  return report;
}
