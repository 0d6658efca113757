import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeTransitionBatch } from '../src/transport/TransitionBatchCodec.js';
import type { TransitionBatch } from '../src/transport/types.js';

/** One episode a child trainer stored: its file name and its transitions. */
export interface StoredEpisode {
  readonly file: string;
  readonly batch: TransitionBatch;
}

/**
 * The episodes a `strider run` with a child trainer stored under RUN_DIR/trainer/<robot>/episodes,
 * in file (arrival) order, robot by robot. Throws an Error naming the folder or file that is
 * missing or does not decode.
 */
export function storedEpisodes(runDir: string): StoredEpisode[] {
  const trainerDir = join(runDir, 'trainer');
  let robots;
  try {
    robots = readdirSync(trainerDir, { withFileTypes: true }).filter((d) => d.isDirectory());
  } catch {
    throw new Error(
      `no trainer folder ${trainerDir} (a run with trainer.mode child stores its episodes there)`,
    );
  }
  const out: StoredEpisode[] = [];
  for (const robot of robots) {
    const dir = join(trainerDir, robot.name, 'episodes');
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.batch'))
      .sort()) {
      const r = decodeTransitionBatch(readFileSync(join(dir, file)));
      if (!r.ok) throw new Error(`${join(dir, file)}: ${r.reason}`);
      out.push({ file, batch: r.value });
    }
  }
  return out;
}
