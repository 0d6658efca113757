import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { BagReader } from '../../../src/bags/BagReader.js';
import { isStriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';

describe('bags/BagRecorder under kill -9', function () {
  this.timeout(60_000);
  const tmp = tempDir('strider-crash-');
  after(() => {
    tmp.cleanup();
  });

  it('the bag reads up to the last complete chunk: every message the recorder had flushed, in order', async () => {
    const dir = join(tmp.dir, 'crashbag');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/integration/bags/recordUntilKilled.ts', dir],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let flushed = 0;
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        reject(new Error(`recorder exited early with ${String(code)}`));
      });
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (text: string) => {
        for (const m of text.matchAll(/flushed (\d+)/g)) flushed = Math.max(flushed, Number(m[1]));
        if (flushed >= 500) resolve();
      });
    });
    child.removeAllListeners('exit');
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const bag = await BagReader.open(dir);
    const xs: number[] = [];
    let error: unknown = null;
    try {
      for await (const m of bag.messages()) {
        xs.push(
          (m.message as { pose: { pose: { position: { x: number } } } }).pose.pose.position.x,
        );
      }
    } catch (err) {
      error = err;
    }
    assert.ok(error === null || isStriderError(error, 'BAG_TRUNCATED'), String(error));
    assert.ok(xs.length >= flushed, `read ${xs.length}, the recorder had flushed ${flushed}`);
    xs.forEach((x, k) => {
      assert.equal(x, k, 'a gapless prefix');
    });
  });
});
