/**
 * The folder form of a model artifact: manifest.json + weights.bin, the same manifest and weight
 * bytes as the MQTT payload (ModelArtifactCodec). Storage, not a codec: the trainer keeps every
 * version it publishes this way. Layout in docs/transport.md.
 */

import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelVersion } from '../dynamics/ModelVersion.js';
import { StriderError } from '../util/StriderError.js';
import { fail } from './binary.js';
import {
  buildModelArtifact,
  decodeModelArtifactParts,
  type DecodedModelArtifact,
  type EncodeModelOptions,
  type ModelManifest,
} from './ModelArtifactCodec.js';
import type { DecodeResult } from './types.js';

/** File names of the folder form. */
export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';

/**
 * Writes the artifact to `dir` (created if needed): weights.bin, then manifest.json, each via a
 * temporary name and rename, so a reader never sees a manifest without its weights.
 * Throws IO on failure.
 */
export async function writeModelArtifactDir(
  dir: string,
  model: ModelVersion,
  options: EncodeModelOptions = {},
): Promise<ModelManifest> {
  const { manifest, weights } = buildModelArtifact(model, options);
  try {
    await mkdir(dir, { recursive: true });
    const w = join(dir, WEIGHTS_FILE);
    const m = join(dir, MANIFEST_FILE);
    await writeFile(`${w}.tmp`, weights);
    await rename(`${w}.tmp`, w);
    await writeFile(`${m}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(`${m}.tmp`, m);
  } catch (err) {
    throw new StriderError('IO', `cannot write model artifact to ${dir}: ${String(err)}`, {
      cause: err,
      context: { dir },
    });
  }
  return manifest;
}

/** Reads and validates an artifact folder. Never throws: unreadable files fail with code IO. */
export async function readModelArtifactDir(
  dir: string,
): Promise<DecodeResult<DecodedModelArtifact>> {
  let text: string;
  let weights: Buffer;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
    weights = await readFile(join(dir, WEIGHTS_FILE));
  } catch (err) {
    return fail('IO', `cannot read model artifact in ${dir}: ${String(err)}`);
  }
  return decodeModelArtifactParts(text, weights);
}
