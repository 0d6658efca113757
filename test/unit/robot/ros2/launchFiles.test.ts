import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../../../src/config/index.js';
import { mallocTuning, withMallocTuning } from '../../../../src/util/mallocTuning.js';
import { requireInCi } from '../../../helpers/requireInCi.js';

/**
 * launch/*.launch.py run against stand-ins of the ROS 2 launch API
 * (test/fixtures/launch_stubs/describe_launch.py): ROS 2 is not installable here, so this checks
 * our launch logic (what starts, in which order, with which arguments and files, and what a
 * failed step does), not that the real launch API accepts it (docs/ros2.md).
 */

const ROOT = resolve('.');
const DESCRIBE = join(ROOT, 'test/fixtures/launch_stubs/describe_launch.py');

interface Entity {
  readonly type: string;
  readonly id: number;
  readonly args?: unknown[];
  readonly kwargs?: Record<string, unknown>;
}

interface Described {
  readonly entities: Entity[];
  readonly handlers: { target: Entity; on_exit: Record<'0' | '1', Entity[]> }[];
}

function describeLaunch(file: string): Described {
  const r = spawnSync('python3', [DESCRIBE, join(ROOT, file)], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(r.status, 0, `python3 ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Described;
}

function kw(e: Entity, key: string): unknown {
  return e.kwargs?.[key];
}

/** A DeclareLaunchArgument's default. */
function defaultOf(d: Described, name: string): string {
  const arg = d.entities.find((e) => e.type === 'DeclareLaunchArgument' && e.args?.[0] === name);
  assert.ok(arg !== undefined, `launch argument ${name}`);
  return kw(arg, 'default_value') as string;
}

/** strider's command line with launch configurations replaced by their defaults. */
function striderArgs(d: Described, strider: Entity): string[] {
  const cmd = kw(strider, 'cmd') as unknown[];
  const text = (part: unknown): string => {
    if (typeof part === 'string') return part;
    if (Array.isArray(part)) return part.map(text).join(''); // launch joins a list into one argument
    const e = part as Entity;
    assert.equal(e.type, 'LaunchConfiguration');
    return defaultOf(d, e.args![0] as string);
  };
  return cmd.map(text);
}

/** strider's process: malloc tuned from its start, as bin/strider.js's #! line does. */
function assertMallocTuning(strider: Entity): void {
  assert.deepEqual(kw(strider, 'additional_env'), mallocTuning(withMallocTuning(process.env)));
}

/** Checks strider's command: the CLI exists, and its config loads with the --set it is given. */
function assertStriderCommand(args: string[]): void {
  assert.equal(args[0], 'node');
  assert.equal(args[1], join(ROOT, 'bin/strider.js'));
  assert.ok(existsSync(args[1]));
  assert.equal(args[2], 'run');
  const configFile = args[args.indexOf('--config') + 1]!;
  const set = args.flatMap((a, i) => (args[i - 1] === '--set' ? [a] : []));
  const { config } = loadConfig(configFile, { overrides: set });
  assert.equal(config.robot.link, 'ros2');
  assert.ok(existsSync(config.robot.model));
}

const python = spawnSync('python3', ['--version']).status === 0;

describe('launch files (against stand-ins of the ROS 2 launch API)', function () {
  before(function () {
    requireInCi(this, python, 'python3');
  });

  it('gazebo.launch.py: gz sim, bridge, state publisher and spawn, then the controllers and strider, each only after the previous step exits 0', () => {
    const d = describeLaunch('launch/gazebo.launch.py');
    const nodes = d.entities.filter((e) => e.type === 'Node');
    const rsp = nodes.find((n) => kw(n, 'executable') === 'robot_state_publisher')!;
    const urdf = (kw(rsp, 'parameters') as Record<string, unknown>[])[0]!
      .robot_description as string;
    const controllers = join(ROOT, 'config/ros2_controllers.yaml');
    assert.ok(
      urdf.includes(`<parameters>${controllers}</parameters>`),
      'the controllers file made absolute',
    );
    const controllerYaml = readFileSync(controllers, 'utf8');

    // the bridge forwards the URDF's odometry topic to the config's /odom
    const bridge = nodes.find((n) => kw(n, 'executable') === 'parameter_bridge')!;
    const odomTopic = /<odom_topic>([^<]+)<\/odom_topic>/.exec(urdf)![1]!;
    assert.ok(
      (kw(bridge, 'arguments') as string[]).includes(
        `${odomTopic}@nav_msgs/msg/Odometry[gz.msgs.Odometry`,
      ),
    );
    const { config } = loadConfig(defaultOf(d, 'config'));
    assert.deepEqual(kw(bridge, 'remappings'), [[odomTopic, config.robot.ros2.topics.odometry]]);

    // the chain: spawn -> joint_state_broadcaster -> imu_sensor_broadcaster -> position_controller -> strider
    const step = (e: Entity): string =>
      e.type === 'ExecuteProcess'
        ? 'strider'
        : `${kw(e, 'executable') as string}:${(kw(e, 'arguments') as string[])[0]!}`;
    assert.deepEqual(
      d.handlers.map((h) => `${step(h.target)} -> ${h.on_exit['0'].map(step).join()}`),
      [
        'create:-topic -> spawner:joint_state_broadcaster',
        'spawner:joint_state_broadcaster -> spawner:imu_sensor_broadcaster',
        'spawner:imu_sensor_broadcaster -> spawner:position_controller',
        'spawner:position_controller -> strider',
      ],
    );
    for (const h of d.handlers) {
      assert.deepEqual(
        h.on_exit['1'].map((e) => e.type),
        ['LogInfo', 'EmitEvent'],
        `${step(h.target)} failing stops the launch`,
      );
      const shutdown = h.on_exit['1'][1]!;
      assert.equal((kw(shutdown, 'event') as Entity).type, 'Shutdown');
      const next = h.on_exit['0'][0]!;
      if (next.type !== 'Node') continue;
      const [controller, ...rest] = kw(next, 'arguments') as string[];
      assert.match(
        controllerYaml,
        new RegExp(`^    ${controller}:\\n      type: `, 'm'),
        `${controller} is declared`,
      );
      // every controller has parameters (the broadcaster its update_rate)
      const paramFile = rest.indexOf('--param-file');
      assert.ok(paramFile >= 0, `${controller} gets the parameters file`);
      assert.equal(rest[paramFile + 1], controllers);
    }
    const strider = d.handlers.at(-1)!.on_exit['0'][0]!;
    const args = striderArgs(d, strider);
    assert.ok(args.includes('robot.ros2.use_sim_time=true'));
    assert.ok(args.includes('robot.ros2.lifecycle=false'), 'lifecycle a launch argument, off');
    assertStriderCommand(args);
    assertMallocTuning(strider);
  });

  it('strider.launch.py: strider alone, its config, use_sim_time and lifecycle as launch arguments', () => {
    const d = describeLaunch('launch/strider.launch.py');
    const strider = d.entities.find((e) => e.type === 'ExecuteProcess')!;
    const args = striderArgs(d, strider);
    assert.ok(
      args.includes('robot.ros2.use_sim_time=false'),
      'one --set argument: the list is joined',
    );
    assert.ok(args.includes('robot.ros2.lifecycle=false'), 'lifecycle a launch argument, off');
    assertStriderCommand(args);
    assertMallocTuning(strider);
    assert.equal(kw(strider, 'sigterm_timeout'), '10');
  });
});
