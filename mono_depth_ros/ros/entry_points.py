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
    return _pending("depth_node", "arrives with the live-graph issue")


def calibration_node() -> int:
    return _pending("calibration_node", "arrives with the live-graph issue")


def trainer_node() -> int:
    return _pending("trainer_node", "arrives with the bag fine-tuning issue")
