#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node
// Entry point: runs the compiled CLI when present, else the TypeScript source through tsx.
// The #! line tunes glibc's malloc for the whole process tree (src/util/mallocTuning.ts).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'main.js');
let entry = compiled;
if (!existsSync(compiled)) {
  const { register } = await import('tsx/esm/api');
  register();
  entry = join(root, 'src', 'cli', 'main.ts');
}
const { main } = await import(pathToFileURL(entry).href);
const code = await main(process.argv.slice(2));
// Exit explicitly: native thread pools (ONNX Runtime, WASM) must not keep a finished run alive.
process.exit(code);
