import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { lineChartSvg, writeChart } from '../telemetry/plot/index.js';
import type { Logger } from '../util/logger.js';
import { StriderError } from '../util/StriderError.js';
import {
  assembleLearningReport,
  episodeLine,
  gymProtocolOverrides,
  inPool,
  learningCurveSpec,
  seedResult,
  type LearningBenchOptions,
  type LearningBenchReport,
  type LearningSeed,
  type RunReportSubset,
} from './learningBench.js';

/** How often the seed's log file is read for finished episodes, ms. */
const LOG_POLL_MS = 1000;

export interface RunLearningBenchOptions extends LearningBenchOptions {
  /** bin/strider.js of this install. */
  readonly bin: string;
  /** The config every seed runs (--config), or undefined for the default. */
  readonly config: string | undefined;
  /** The user's --set overrides, applied after the gym protocol's. */
  readonly overrides: readonly string[];
  /** Folder of the benchmark: OUT/seed-<i>/ per seed, OUT/learning_curve.{svg,png}. */
  readonly outDir: string;
  /** Where the JSON goes. */
  readonly reportPath: string;
  /** One line per finished episode and per seed. */
  readonly print: (line: string) => void;
  readonly logger: Logger;
}

/**
 * Follows a run's JSON log file (OUT/strider.log) and calls `onEpisode` for every "episode done"
 * line written since the last poll. Returns the function that stops it (after a last poll).
 */
function followEpisodes(
  logPath: string,
  onEpisode: (e: { index: number; steps: number; return: number; source: string }) => void,
): () => void {
  let offset = 0;
  let partial = '';
  const poll = (): void => {
    if (!existsSync(logPath)) return;
    const fd = openSync(logPath, 'r');
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, offset);
        if (n <= 0) break;
        offset += n;
        partial += buf.toString('utf8', 0, n);
      }
    } finally {
      closeSync(fd);
    }
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"episode done"')) continue;
      try {
        const j = JSON.parse(line) as {
          episode: number;
          steps: number;
          return: number;
          source: string;
        };
        onEpisode({ index: j.episode, steps: j.steps, return: j.return, source: j.source });
      } catch {
        // a line cut by a crash is not an episode; the report is the record
      }
    }
  };
  const timer = setInterval(poll, LOG_POLL_MS);
  return () => {
    clearInterval(timer);
    poll();
  };
}

/** Run one seed as a `strider run` child; resolves with its exit code and wall time. */
function runSeed(
  o: RunLearningBenchOptions,
  seed: number,
  seedDir: string,
): Promise<{ code: number; wallTimeS: number }> {
  mkdirSync(seedDir, { recursive: true });
  const sets = gymProtocolOverrides({ steps: o.steps, seed, user: o.overrides });
  const argv = [
    o.bin,
    'run',
    ...(o.config !== undefined ? ['--config', o.config] : []),
    ...sets.flatMap((s) => ['--set', s]),
    '--out',
    seedDir,
  ];
  const outFd = openSync(join(seedDir, 'run.out'), 'w');
  const startMs = performance.now();
  let envSteps = 0;
  const stop = followEpisodes(join(seedDir, 'strider.log'), (e) => {
    envSteps += e.steps;
    o.print(episodeLine(seed, e, envSteps));
  });
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', outFd, outFd] });
    child.once('error', (err) => {
      stop();
      closeSync(outFd);
      reject(new StriderError('IO', `cannot start the run of seed ${seed}`, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      stop();
      closeSync(outFd);
      resolveRun({
        code: code ?? (signal !== null ? 128 : 1),
        wallTimeS: (performance.now() - startMs) / 1000,
      });
    });
  });
}

/** One seed: its run, then its entry from the run's report, and a line saying how it ended. */
async function benchSeed(o: RunLearningBenchOptions, seed: number): Promise<LearningSeed> {
  const seedDir = join(o.outDir, `seed-${seed}`);
  const { code, wallTimeS } = await runSeed(o, seed, seedDir);
  const reportPath = join(seedDir, 'report.json');
  let run: RunReportSubset = {};
  try {
    run = JSON.parse(readFileSync(reportPath, 'utf8')) as RunReportSubset;
  } catch (err) {
    o.logger.warn({ err, seed, reportPath }, 'no run report for this seed');
  }
  const s = seedResult(
    seed,
    code === 0 ? run : { ...run, status: 'failed' },
    wallTimeS,
    reportPath,
  );
  o.print(
    `seed ${seed} ${s.status} (exit ${code}): ${s.env_steps} env steps in ${wallTimeS.toFixed(0)} s, last-3 mean ${s.last3_mean.toFixed(1)}, ` +
      `random mean ${s.random_mean.toFixed(1)}, ticks over budget ${s.ticks_over_budget}/${s.ticks}, ` +
      `models accepted ${s.model_versions_accepted}/${s.model_versions_trained}` +
      (code === 0 ? '' : `; see ${join(seedDir, 'run.out')}`),
  );
  return s;
}

/**
 * `strider bench --learning`: for each seed 0..N-1, `strider run` in the gym protocol
 * (learningBench.ts) into OUT/seed-<i>/, `jobs` seeds at a time, episodes printed as they
 * finish; then the JSON and the learning curve (mean and min-max over seeds). A seed whose run fails is reported with the
 * episodes it finished (status from its report, or 'failed'). Returns the report.
 */
export async function runLearningBench(o: RunLearningBenchOptions): Promise<LearningBenchReport> {
  const seeds = await inPool(o.seeds, o.jobs, (seed) => benchSeed(o, seed));
  const cpu = cpus();
  const report = assembleLearningReport(
    { seeds: o.seeds, steps: o.steps, jobs: o.jobs, overrides: o.overrides },
    seeds,
    {
      cpus: cpu.length,
      cpu: cpu[0]?.model ?? 'unknown',
      node: process.version,
    },
  );
  try {
    mkdirSync(join(o.reportPath, '..'), { recursive: true });
    writeFileSync(o.reportPath, `${JSON.stringify(report, null, 2)}\n`);
  } catch (cause) {
    throw new StriderError('IO', `cannot write the learning benchmark report ${o.reportPath}`, {
      cause,
    });
  }
  const title = `learning curve: ${o.seeds} seed(s) x ${o.steps} env steps (strider bench --learning)`;
  await writeChart(
    lineChartSvg(learningCurveSpec(seeds, title)),
    join(o.outDir, 'learning_curve'),
    { logger: o.logger },
  );
  return report;
}
