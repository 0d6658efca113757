import { resolve } from 'node:path';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { readModelArtifactDir } from '../transport/ModelArtifactDir.js';
import { StriderError } from '../util/StriderError.js';

/**
 * The model.initial artifact (a folder as `strider replay` and the trainer write it), checked
 * against this robot's state and action sizes. It serves as version 0, so the trainer's versions
 * (1, 2, ...) count as newer. The hot-swap still checks it before it drives anything.
 * @throws StriderError ARTIFACT_INVALID / ARTIFACT_CHECKSUM / IO for an unreadable artifact,
 *   MODEL_SHAPE_MISMATCH for one built for other sizes
 */
export async function loadInitialModel(
  path: string,
  stateDim: number,
  actionDim: number,
): Promise<ModelVersion> {
  const dir = resolve(path);
  const read = await readModelArtifactDir(dir);
  if (!read.ok) {
    const code =
      read.code === 'ARTIFACT_CHECKSUM' || read.code === 'IO' ? read.code : 'ARTIFACT_INVALID';
    throw new StriderError(code, `model.initial ${dir}: ${read.reason}`, { context: { dir } });
  }
  const model = read.value.model;
  const a = model.snapshot.architecture;
  if (a.stateDim !== stateDim || a.actionDim !== actionDim) {
    throw new StriderError(
      'MODEL_SHAPE_MISMATCH',
      `model.initial ${dir} predicts ${a.stateDim} state values from ${a.actionDim} actions; ` +
        `this robot has ${stateDim} state values and ${actionDim} actions (same robot, state: and control.actuators as the run?)`,
      { context: { dir } },
    );
  }
  return { ...model, version: 0 };
}
