import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../../helpers/tmp.js';

describe('dynamics/onnx/ortRuntime (ONNX Runtime with its telemetry off)', () => {
  it('keeps ONNX Runtime from starting its telemetry uploader in a process with neither CI nor ORT_DISABLE_TELEMETRY set', function () {
    this.timeout(60_000);
    const tmp = tempDir('strider-ort-');
    try {
      const runtime = pathToFileURL(resolve('src/dynamics/onnx/ortRuntime.ts')).href;
      const builder = pathToFileURL(resolve('src/dynamics/onnx/OnnxGraphBuilder.ts')).href;
      const script = tmp.write(
        'child.mts',
        `import * as ort from ${JSON.stringify(runtime)};
import { OnnxGraphBuilder } from ${JSON.stringify(builder)};
import { readFileSync } from 'node:fs';
const g = new OnnxGraphBuilder('t');
g.op('Relu', [g.input('x', [1, 2])], {}, 'y');
g.output('y', [1, 2]);
const session = await ort.InferenceSession.create(g.toModel());
const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2), [1, 2]) });
console.log(JSON.stringify({
  env: process.env.ORT_DISABLE_TELEMETRY ?? null,
  y: Array.from(out.y.data),
  telemetryFileMapped: readFileSync('/proc/self/maps', 'utf8').includes('onnxruntime.db'),
}));
await session.release();
`,
      );
      // ONNX Runtime keeps its telemetry under $HOME/.cache: a home of the test's own
      const dropped = new Set(['CI', 'ORT_DISABLE_TELEMETRY', 'XDG_CACHE_HOME']);
      const env: NodeJS.ProcessEnv = Object.fromEntries(
        Object.entries(process.env).filter(([name]) => !dropped.has(name)),
      );
      env.HOME = tmp.dir;
      const stdout = execFileSync(process.execPath, ['--import', 'tsx', script], {
        env,
        encoding: 'utf8',
      });
      const res = JSON.parse(stdout.trim().split('\n').pop()!) as {
        env: string | null;
        y: number[];
        telemetryFileMapped: boolean;
      };
      assert.deepEqual(res.y, [0, 2], 'the session runs');
      assert.equal(res.env, '1');
      assert.equal(res.telemetryFileMapped, false);
      assert.equal(existsSync(join(tmp.dir, '.cache', 'Microsoft')), false, 'no telemetry files');
    } finally {
      tmp.cleanup();
    }
  });
});
