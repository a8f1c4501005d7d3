"""Console-script entry points of the ROS 2 nodes (`ros2 run mono_depth_ros <node>`)."""

from __future__ import annotations

import sys


def depth_node() -> int:
    # Imported here: rclpy and torch load only when the node runs.
    from mono_depth_ros.ros.depth_node import make_depth_node
    from mono_depth_ros.ros.node_main import run_node

    return run_node(make_depth_node, sys.argv)


def calibration_node() -> int:
    # Imported here: rclpy and torch load only when the node runs.
    from mono_depth_ros.ros.calibration_node import make_calibration_node
    from mono_depth_ros.ros.node_main import run_node

    return run_node(make_calibration_node, sys.argv)


def trainer_node() -> int:
    # Imported here: rclpy and torch load only when the node runs.
    from mono_depth_ros.ros.node_main import run_node
    from mono_depth_ros.ros.trainer_node import make_trainer_node

    return run_node(make_trainer_node, sys.argv)
