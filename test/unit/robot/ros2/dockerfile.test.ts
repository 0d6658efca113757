import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadConfig } from '../../../../src/config/index.js';
import { MALLOC_SETTINGS, MALLOC_TUNING } from '../../../../src/util/mallocTuning.js';

/**
 * The Dockerfile cannot be built here (no Docker engine), so this checks what can be checked
 * without one: the image's default command, with /opt/strider mapped to this repository, loads a
 * ROS 2 config whose robot model is a file the image contains.
 */

const ROOT = resolve('.');
const IMAGE_HOME = '/opt/strider';

/** The Dockerfile's exec-form JSON array after `keyword` (CMD, ENTRYPOINT). */
function execForm(dockerfile: string, keyword: string): string[] {
  const line = dockerfile.split('\n').find((l) => l.startsWith(`${keyword} [`));
  assert.ok(line !== undefined, `the Dockerfile has an exec-form ${keyword}`);
  return JSON.parse(line.slice(keyword.length + 1)) as string[];
}

/** A path in the image, as the file of this repository it was copied from. */
function inRepo(imagePath: string): string {
  const rel = relative(IMAGE_HOME, imagePath);
  assert.ok(!rel.startsWith('..'), `${imagePath} is not under ${IMAGE_HOME}`);
  return join(ROOT, rel);
}

describe('Dockerfile (not built here: its paths checked against the repository)', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('copies strider into /opt/strider, and the default command runs a ROS 2 config whose robot model the image holds', () => {
    assert.match(dockerfile, new RegExp(`^WORKDIR ${IMAGE_HOME}$`, 'm'));
    // the entrypoint runs node directly, so the image's environment tunes malloc
    const env = MALLOC_SETTINGS.map((k) => `${k}=${MALLOC_TUNING[k]}`).join(' ');
    assert.ok(dockerfile.split('\n').includes(`ENV ${env}`), `ENV ${env}`);
    const copied = [...dockerfile.matchAll(/^COPY (\S+) \.\/\S*$/gm)].map((m) => m[1]);
    for (const dir of ['bin', 'src', 'urdf', 'config'])
      assert.ok(copied.includes(dir), `COPY ${dir}`);

    const cmd = execForm(dockerfile, 'CMD');
    assert.equal(cmd[0], 'run');
    const configAt = cmd[cmd.indexOf('--config') + 1];
    assert.ok(configAt !== undefined, 'CMD names a --config');
    const configFile = inRepo(configAt);
    assert.ok(existsSync(configFile), `${configAt} is ${relative(ROOT, configFile)}, which exists`);
    const { config } = loadConfig(configFile);
    assert.equal(config.robot.link, 'ros2');
    assert.ok(config.robot.model.startsWith(ROOT), 'robot.model resolves inside the copied tree');
    assert.ok(existsSync(config.robot.model), `robot.model ${config.robot.model} exists`);
  });

  it('documents run lines that mount configs where relative robot models still resolve', () => {
    const docs = readFileSync(join(ROOT, 'docs/ros2.md'), 'utf8');
    for (const text of [dockerfile, docs]) {
      const mounts = [...text.matchAll(/-v "\$PWD\/config:(\S+?)(:ro)?"/g)].map((m) => m[1]);
      assert.ok(mounts.length > 0);
      for (const m of mounts)
        assert.equal(
          m,
          `${IMAGE_HOME}/config`,
          'a config folder mounted over the image\u2019s own',
        );
    }
  });
});
