"""Metric depth from one camera: depth_node, a calibration_node unless calibration:=none, and RViz2 with use_rviz.

    ros2 launch mono_depth_ros depth.launch.py checkpoint:=/path/model.pt calibration:=odometry use_rviz:=true

The node set (names, namespaces, parameters, remappings) comes from `mono_depth_ros.launch_plan.plan_nodes`, the
same function `mono-depth-ros launch` runs on machines without launch_ros; `ros2 launch ... --show-args` lists the
arguments with the descriptions of `mono_depth_ros.launch_plan.ARGUMENTS`.
"""

from __future__ import annotations

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from mono_depth_ros.launch_plan import LaunchArguments, argument_spec, plan_nodes


def _declare(name: str) -> DeclareLaunchArgument:
    spec = argument_spec(name)
    return DeclareLaunchArgument(
        name, default_value=spec.default, description=spec.description, choices=list(spec.choices) or None
    )


ARGUMENTS = (
    _declare("camera"),
    _declare("image"),
    _declare("camera_info"),
    _declare("right_image"),
    _declare("right_camera_info"),
    _declare("odom"),
    _declare("checkpoint"),
    _declare("device"),
    _declare("calibration"),
    _declare("params_file"),
    _declare("use_rviz"),
    _declare("use_sim_time"),
)


def _launch_nodes(context: LaunchContext) -> list[Node]:
    values = {action.name: LaunchConfiguration(action.name).perform(context) for action in ARGUMENTS}
    arguments = LaunchArguments.from_strings(values)
    share_dir = Path(get_package_share_directory("mono_depth_ros"))
    return [
        Node(**spec.launch_node_arguments(), output="screen") for spec in plan_nodes(arguments, share_dir=share_dir)
    ]


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([*ARGUMENTS, OpaqueFunction(function=_launch_nodes)])
