import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessSample, SoakSample } from './soakStats.js';

/*
 * What `strider bench --soak` measures of a running `strider run` (Linux /proc): resident memory
 * and open file descriptors of a process, its trainer child, disk use of a folder, and the figures
 * of the run's metrics endpoint. Every reader returns null (or 0) for what is gone: a process may
 * exit between two reads.
 */

const MIB = 1024 * 1024;

/** VmRSS of /proc/<pid>/status in MiB; null when the process is gone. */
export async function rssMib(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return m?.[1] === undefined ? null : Number(m[1]) / 1024;
  } catch {
    return null;
  }
}

/**
 * The value of `name` in /proc/<pid>/environ (the environment the process started with), 'unset'
 * when absent, 'unknown' when the file cannot be read.
 */
export async function environValue(pid: number, name: string): Promise<string> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'utf8');
    const entry = environ.split('\0').find((e) => e.startsWith(`${name}=`));
    return entry === undefined ? 'unset' : entry.slice(name.length + 1);
  } catch {
    return 'unknown';
  }
}

/** Entries of /proc/<pid>/fd; null when the process is gone. */
export async function openFds(pid: number): Promise<number | null> {
  try {
    return (await readdir(`/proc/${pid}/fd`)).length;
  } catch {
    return null;
  }
}

/** RSS and fds of `pid`, or null when it has gone. */
export async function processSample(pid: number): Promise<ProcessSample | null> {
  const [rss, fds] = await Promise.all([rssMib(pid), openFds(pid)]);
  return rss === null || fds === null ? null : { pid, rss_mib: rss, fds };
}

/** Child pids of `pid`: /proc/<pid>/task/<tid>/children, or a scan of /proc/<n>/stat without it. */
export async function childPids(pid: number): Promise<number[]> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    const lists = await Promise.all(
      tasks.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => null)),
    );
    if (lists.every((l) => l !== null)) {
      return lists.flatMap((l) =>
        l
          .split(/\s+/)
          .filter((x) => x !== '')
          .map(Number),
      );
    }
  } catch {
    return [];
  }
  // a kernel without CONFIG_PROC_CHILDREN: field 4 of /proc/<n>/stat is the parent pid
  const out: number[] = [];
  for (const name of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const ppid = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
    if (ppid === String(pid)) out.push(Number(name));
  }
  return out;
}

/** The `strider train` child of the run `pid` (its argv has "train"); null while there is none. */
export async function trainerPid(pid: number): Promise<number | null> {
  for (const c of await childPids(pid)) {
    const argv = await readFile(`/proc/${c}/cmdline`, 'utf8').catch(() => '');
    if (argv.split('\0').includes('train')) return c;
  }
  return null;
}

/** Bytes of the regular files under `path`, recursively (links not followed); 0 when absent. */
export async function dirBytes(path: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(path, { withFileTypes: true });
  } catch {
    return 0;
  }
  let total = 0;
  for (const e of entries) {
    const p = join(path, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile())
      total += await lstat(p).then(
        (s) => s.size,
        () => 0,
      );
  }
  return total;
}

/** Samples (no labels) of a Prometheus text by name; labelled samples are left out. */
export function unlabelledSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*) (\S+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) out.set(m[1], Number(m[2]));
  }
  return out;
}

const mib = (bytes: number | undefined): number | null =>
  bytes === undefined ? null : bytes / MIB;

/**
 * Ticks, misses, the serving model version and the controller's heap figures from the endpoint;
 * null when it does not answer.
 */
export async function scrapeRunMetrics(url: string): Promise<SoakSample['metrics']> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const s = unlabelledSamples(await res.text());
    return {
      ticks: s.get('strider_ticks_total') ?? null,
      misses: s.get('strider_tick_misses_total') ?? null,
      model_version: s.get('strider_model_version') ?? null,
      heap_total_mib: mib(s.get('strider_heap_total_bytes')),
      heap_used_mib: mib(s.get('strider_heap_used_bytes')),
      external_mib: mib(s.get('strider_external_memory_bytes')),
    };
  } catch {
    return null; // the run not listening yet, or gone
  }
}

/** One sample of the run `pid` at `tMin` minutes. */
export async function takeSample(o: {
  pid: number;
  tMin: number;
  runDir: string;
  trainerDir: string;
  metricsUrl: string;
}): Promise<SoakSample> {
  const tp = await trainerPid(o.pid);
  const [controller, trainer, run, trainerBytes, metrics] = await Promise.all([
    processSample(o.pid),
    tp === null ? Promise.resolve(null) : processSample(tp),
    dirBytes(o.runDir),
    dirBytes(o.trainerDir),
    scrapeRunMetrics(o.metricsUrl),
  ]);
  return {
    t_min: o.tMin,
    controller,
    trainer,
    disk_mib: { run: run / MIB, trainer: trainerBytes / MIB },
    metrics,
  };
}
