"""Gazebo (gz sim, ROS 2 Jazzy) with urdf/quadruped.urdf, gz_ros2_control and the controllers
of config/ros2_controllers.yaml, the ros_gz bridge, then the strider controller.

Order: gz sim -> robot_state_publisher -> spawn the robot -> joint_state_broadcaster ->
imu_sensor_broadcaster -> position_controller -> strider (each after the previous step exits 0;
a step that fails stops the launch).

    ros2 launch launch/gazebo.launch.py                      # GUI
    ros2 launch launch/gazebo.launch.py headless:=true
    ros2 launch launch/gazebo.launch.py lifecycle:=true     # managed: ros2 lifecycle set /strider configure

Needs: ros-jazzy-ros-gz, ros-jazzy-gz-ros2-control, ros-jazzy-ros2-controllers,
ros-jazzy-robot-state-publisher (docs/ros2.md).

Topics strider reads (config/quadruped_ros2.yaml): /joint_states (joint_state_broadcaster),
/odom (the URDF's gz OdometryPublisher system, bridged here from gz
/model/strider_quadruped/odometry), /imu_sensor_broadcaster/imu (the URDF's IMU sensor through
gz_ros2_control and imu_sensor_broadcaster); /clock is bridged for use_sim_time.
Written against the Jazzy/Harmonic docs; not run here (no ROS 2 / Gazebo where strider is
developed).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import (
    DeclareLaunchArgument,
    EmitEvent,
    ExecuteProcess,
    IncludeLaunchDescription,
    LogInfo,
    RegisterEventHandler,
)
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PythonExpression
from launch_ros.actions import Node

STRIDER_HOME = os.environ.get(
    'STRIDER_HOME', os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
ROBOT_NAME = 'strider_quadruped'
# The OdometryPublisher's <odom_topic> in urdf/quadruped.urdf.
GZ_ODOM_TOPIC = f'/model/{ROBOT_NAME}/odometry'
CONTROLLERS = os.path.join(STRIDER_HOME, 'config', 'ros2_controllers.yaml')


def robot_description() -> str:
    """The URDF with the controllers file made absolute for gz_ros2_control."""
    with open(os.path.join(STRIDER_HOME, 'urdf', 'quadruped.urdf'), encoding='utf-8') as f:
        urdf = f.read()
    return urdf.replace(
        '<parameters>config/ros2_controllers.yaml</parameters>',
        f'<parameters>{CONTROLLERS}</parameters>',
    )


def spawner(controller: str, with_params: bool) -> Node:
    """controller_manager's spawner; `with_params` passes config/ros2_controllers.yaml to it."""
    arguments = [controller, '--controller-manager', '/controller_manager']
    if with_params:
        arguments += ['--param-file', CONTROLLERS]
    return Node(
        package='controller_manager',
        executable='spawner',
        arguments=arguments,
        parameters=[{'use_sim_time': True}],
    )


def after(step: Node, what: str, then) -> RegisterEventHandler:
    """Start `then` once `step` has exited 0; any other exit stops the launch with a message.

    OnProcessExit fires whatever the exit code: without this check a spawner that failed (a
    controller that did not load) would still lead to strider starting against no controller.
    """

    def on_exit(event, _context):
        if event.returncode == 0:
            return [then]
        reason = f'{what} failed (exit code {event.returncode}): not starting the next step'
        return [LogInfo(msg=reason), EmitEvent(event=Shutdown(reason=reason))]

    return RegisterEventHandler(OnProcessExit(target_action=step, on_exit=on_exit))


def generate_launch_description():
    config = LaunchConfiguration('config')
    world = LaunchConfiguration('world')
    headless = LaunchConfiguration('headless')

    gz_sim = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(
            os.path.join(get_package_share_directory('ros_gz_sim'), 'launch', 'gz_sim.launch.py')
        ),
        launch_arguments={
            'gz_args': [
                PythonExpression(["'-r -v 3 -s ' if '", headless, "' == 'true' else '-r -v 3 '"]),
                world,
            ],
            'on_exit_shutdown': 'true',
        }.items(),
    )

    state_publisher = Node(
        package='robot_state_publisher',
        executable='robot_state_publisher',
        output='screen',
        parameters=[{'robot_description': robot_description(), 'use_sim_time': True}],
    )

    spawn = Node(
        package='ros_gz_sim',
        executable='create',
        output='screen',
        arguments=['-topic', 'robot_description', '-name', ROBOT_NAME, '-z', '0.45'],
    )

    bridge = Node(
        package='ros_gz_bridge',
        executable='parameter_bridge',
        output='screen',
        # gz -> ROS only ('['): sim time, and the OdometryPublisher's odometry as /odom.
        arguments=[
            '/clock@rosgraph_msgs/msg/Clock[gz.msgs.Clock',
            f'{GZ_ODOM_TOPIC}@nav_msgs/msg/Odometry[gz.msgs.Odometry',
        ],
        remappings=[(GZ_ODOM_TOPIC, '/odom')],
        parameters=[{'use_sim_time': True}],
    )

    # /joint_states at 50 Hz (its update_rate in config/ros2_controllers.yaml).
    joint_state_broadcaster = spawner('joint_state_broadcaster', with_params=True)
    # sensor_msgs/Imu on /imu_sensor_broadcaster/imu from the URDF's ros2_control imu_sensor.
    imu_sensor_broadcaster = spawner('imu_sensor_broadcaster', with_params=True)
    # Joint position targets from strider on /position_controller/commands.
    position_controller = spawner('position_controller', with_params=True)

    strider = ExecuteProcess(
        cmd=[
            'node', os.path.join(STRIDER_HOME, 'bin', 'strider.js'), 'run',
            '--config', config,
            '--set', 'robot.ros2.use_sim_time=true',
            '--set', ['robot.ros2.lifecycle=', LaunchConfiguration('lifecycle')],
            '--out', os.path.join(STRIDER_HOME, 'runs', 'gazebo'),
        ],
        name='strider',
        output='screen',
        # glibc's malloc tuned from process start, as bin/strider.js's #! line does (a
        # long-running node's native memory otherwise creeps; docs/daemon.md)
        additional_env={
            'MALLOC_ARENA_MAX': os.environ.get('MALLOC_ARENA_MAX', '2'),
            'MALLOC_MMAP_THRESHOLD_': os.environ.get('MALLOC_MMAP_THRESHOLD_', '131072'),
        },
        sigterm_timeout='10',
    )

    return LaunchDescription([
        DeclareLaunchArgument(
            'config', default_value=os.path.join(STRIDER_HOME, 'config', 'quadruped_ros2.yaml'),
            description='strider YAML config (robot.link: ros2)',
        ),
        DeclareLaunchArgument('world', default_value='empty.sdf', description='gz sim world'),
        DeclareLaunchArgument('headless', default_value='false', description='true: server only'),
        DeclareLaunchArgument(
            'lifecycle', default_value='false',
            description='true: strider is a managed node, started unconfigured (docs/ros2.md)',
        ),
        gz_sim,
        bridge,
        state_publisher,
        spawn,
        after(spawn, 'spawning the robot', joint_state_broadcaster),
        after(joint_state_broadcaster, 'spawning joint_state_broadcaster', imu_sensor_broadcaster),
        after(imu_sensor_broadcaster, 'spawning imu_sensor_broadcaster', position_controller),
        after(position_controller, 'spawning position_controller', strider),
    ])
