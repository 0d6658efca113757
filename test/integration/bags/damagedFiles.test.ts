import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BagReader } from '../../../src/bags/BagReader.js';
import { isStriderError, type StriderError } from '../../../src/util/StriderError.js';
import { tempDir } from '../../helpers/tmp.js';
import { requireSharedBags } from './sharedBags.js';

async function readAll(path: string): Promise<{ count: number; error: StriderError | null }> {
  const bag = await BagReader.open(path);
  let count = 0;
  try {
    for await (const m of bag.messages()) count += m.topic === '' ? 0 : 1;
  } catch (err) {
    assert.ok(isStriderError(err), String(err));
    return { count, error: err };
  }
  return { count, error: null };
}

describe('bags/BagReader on damaged and foreign files', function () {
  this.timeout(60_000);
  const tmp = tempDir('strider-bags-');
  after(() => {
    tmp.cleanup();
  });

  it('requireSharedBags: fails in CI, is pending elsewhere, when the folder is absent', () => {
    const saved = process.env['CI'];
    let skipped = 0;
    const ctx = {
      skip: (): never => {
        skipped++;
        throw new Error('skipped');
      },
    };
    try {
      process.env['CI'] = 'true';
      assert.throws(() => requireSharedBags(ctx, '/nonexistent/bags'), /absent: CI must provide/);
      assert.equal(skipped, 0);
      delete process.env['CI'];
      assert.throws(() => requireSharedBags(ctx, '/nonexistent/bags'), /skipped/);
      assert.equal(skipped, 1);
    } finally {
      if (saved === undefined) delete process.env['CI'];
      else process.env['CI'] = saved;
    }
  });

  it('a zstd MCAP cut anywhere: every complete chunk read, then BAG_TRUNCATED naming file and offset', async function () {
    const root = requireSharedBags(this);
    const src = join(root, 'rosbag2/rosbag2_py/test/resources/mcap/talker/talker.mcap');
    const whole = readFileSync(src);
    const full = await readAll(src);
    assert.equal(full.error, null);
    let previous = -1;
    for (const fraction of [0.2, 0.4, 0.6, 0.8, 0.95]) {
      const cut = Math.floor(whole.length * fraction);
      const file = join(tmp.dir, `talker_cut_${cut}.mcap`);
      writeFileSync(file, whole.subarray(0, cut));
      const got = await readAll(file);
      assert.ok(got.error !== null, `cut at ${cut}: expected an error`);
      assert.ok(['BAG_TRUNCATED', 'BAG_CORRUPT'].includes(got.error.code), got.error.code);
      assert.match(got.error.message, new RegExp(`talker_cut_${cut}\\.mcap.*byte \\d+`));
      const offset = got.error.context['offset'] as number;
      assert.ok(offset <= cut);
      assert.ok(
        got.count <= full.count && got.count >= previous,
        `${got.count} messages at cut ${cut}`,
      );
      previous = got.count;
    }
    assert.ok(previous > 0, 'a late cut keeps the complete chunks before it');
  });

  it('a truncated .db3: BAG_TRUNCATED naming the file', async function () {
    const root = requireSharedBags(this);
    const src = join(root, 'robots/neato_real_fsc/finite-state-controller_0.db3');
    const whole = readFileSync(src);
    const file = join(tmp.dir, 'neato_cut.db3');
    writeFileSync(file, whole.subarray(0, Math.floor(whole.length / 2)));
    const bag = await BagReader.open(file).catch((err: unknown) => err);
    const error = bag instanceof BagReader ? (await readAll(file)).error : (bag as StriderError);
    assert.ok(error !== null && isStriderError(error));
    assert.ok(['BAG_TRUNCATED', 'BAG_CORRUPT'].includes(error.code), error.code);
    assert.match(error.message, /neato_cut\.db3/);
  });

  it('a non-bag file, an empty file and a folder without bag files: BAG_NOT_A_BAG naming them', async () => {
    const text = tmp.write('notes.mcap', 'this is not an MCAP file at all, just text\n');
    await assert.rejects(
      readAll(text),
      (e: unknown) =>
        isStriderError(e, 'BAG_NOT_A_BAG') && /notes\.mcap.*not an MCAP/.test(e.message),
    );
    const empty = tmp.write('empty.db3', '');
    await assert.rejects(
      readAll(empty),
      (e: unknown) => isStriderError(e, 'BAG_NOT_A_BAG') && /empty\.db3/.test(e.message),
    );
    const other = tmp.write('data.csv', '1,2,3\n');
    await assert.rejects(
      BagReader.open(other),
      (e: unknown) =>
        isStriderError(e, 'BAG_NOT_A_BAG') && /data\.csv.*expected a bag folder/.test(e.message),
    );
    await assert.rejects(
      BagReader.open(join(tmp.dir, 'absent')),
      (e: unknown) => isStriderError(e, 'BAG_NOT_A_BAG') && /does not exist/.test(e.message),
    );
  });

  it('reads a bare bag file copied out of its folder (no metadata.yaml)', async function () {
    const root = requireSharedBags(this);
    const file = join(tmp.dir, 'cdr_test_0.db3');
    copyFileSync(
      join(root, 'rosbag2/rosbag2_tests/resources/sqlite3/cdr_test/cdr_test_0.db3'),
      file,
    );
    const got = await readAll(file);
    assert.deepEqual(got, { count: 7, error: null });
  });
});
