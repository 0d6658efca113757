"""Launch the strider controller alone (ROS 2 Jazzy).

The robot side (ros2_control with joint_state_broadcaster and position_controller from
config/ros2_controllers.yaml, or Gazebo via gazebo.launch.py) must already be running.
strider is a Node.js program, not a ROS package, so it is started with ExecuteProcess; its
parameters come from the strider YAML config (config/), not from ROS parameter files: the
node mirrors them as read-only ROS parameters (`ros2 param list /strider`).

    ros2 launch launch/strider.launch.py config:=/abs/path/quadruped_ros2.yaml use_sim_time:=false

With lifecycle:=true strider is a managed node (robot.ros2.lifecycle): it starts unconfigured and
waits for `ros2 lifecycle set /strider configure`, then `activate` (or a nav2_lifecycle_manager
whose node_names list strider). launch_ros's LifecycleNode action needs a ROS package executable,
which strider (a Node.js program) is not; ExecuteProcess starts it and the node itself is the
rclnodejs LifecycleNode (docs/ros2.md).
"""

import os

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess
from launch.substitutions import LaunchConfiguration

STRIDER_HOME = os.environ.get(
    'STRIDER_HOME', os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)


def generate_launch_description():
    config = LaunchConfiguration('config')
    use_sim_time = LaunchConfiguration('use_sim_time')
    out = LaunchConfiguration('out')
    lifecycle = LaunchConfiguration('lifecycle')
    return LaunchDescription([
        DeclareLaunchArgument(
            'config',
            default_value=os.path.join(STRIDER_HOME, 'config', 'quadruped_ros2.yaml'),
            description='strider YAML config (robot.link must be ros2)',
        ),
        DeclareLaunchArgument(
            'use_sim_time', default_value='false',
            description='true under Gazebo: ROS time from /clock',
        ),
        DeclareLaunchArgument(
            'lifecycle', default_value='false',
            description='true: a managed node, started unconfigured (ros2 lifecycle set /strider ...)',
        ),
        DeclareLaunchArgument(
            'out', default_value=os.path.join(STRIDER_HOME, 'runs', 'ros2'),
            description='output folder for the report, log and plots',
        ),
        ExecuteProcess(
            cmd=[
                'node', os.path.join(STRIDER_HOME, 'bin', 'strider.js'), 'run',
                '--config', config,
                '--set', ['robot.ros2.use_sim_time=', use_sim_time],
                '--set', ['robot.ros2.lifecycle=', lifecycle],
                '--out', out,
            ],
            name='strider',
            output='screen',
            # glibc's malloc tuned from process start, as bin/strider.js's #! line does (a
            # long-running node's native memory otherwise creeps; docs/daemon.md)
            additional_env={
                'MALLOC_ARENA_MAX': os.environ.get('MALLOC_ARENA_MAX', '2'),
                'MALLOC_MMAP_THRESHOLD_': os.environ.get('MALLOC_MMAP_THRESHOLD_', '131072'),
            },
            # SIGINT first: strider sends its final safe command and writes the report.
            sigterm_timeout='10',
        ),
    ])
