"""Console-script entry points of the ROS 2 nodes (`ros2 run mono_depth_ros <node>`).

The nodes land with their issues; until then each entry point says so and exits non-zero, so a launch file or a
`ros2 run` fails visibly instead of silently doing nothing.
"""

from __future__ import annotations

import sys

EXIT_NOT_IMPLEMENTED = 3


def _pending(node: str, arrives_with: str) -> int:
    print(f"{node}: not implemented yet ({arrives_with})", file=sys.stderr)
    return EXIT_NOT_IMPLEMENTED


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
    return _pending("trainer_node", "arrives with the bag fine-tuning issue")
