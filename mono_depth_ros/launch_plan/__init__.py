"""How users start the live graph: the launch arguments, the node set they give (`plan_nodes`), bag replay options,
and the process supervision of `mono-depth-ros launch`. ROS-free: `launch/depth.launch.py` turns the same plan
into launch_ros Nodes on a ROS install, and the launcher runs it with `--ros-args` where only pip is available.
`launch/train.launch.py` starts trainer_node from its own table and plan (`training`)."""

from mono_depth_ros.launch_plan.arguments import (
    ARGUMENT_NAMES,
    ARGUMENTS,
    ArgumentSpec,
    Calibration,
    LaunchArguments,
    argument_spec,
)
from mono_depth_ros.launch_plan.errors import LaunchArgumentError, LaunchError, ProcessExitError
from mono_depth_ros.launch_plan.nodes import DEPTH_OUTPUTS, NodeSpec, format_parameter_value, plan_nodes
from mono_depth_ros.launch_plan.playback import PlaybackOptions, TopicRemap
from mono_depth_ros.launch_plan.share import find_share_dir
from mono_depth_ros.launch_plan.training import (
    TRAINING_ARGUMENT_NAMES,
    TRAINING_ARGUMENTS,
    TrainingLaunchArguments,
    plan_trainer,
    training_argument_spec,
)

__all__ = [
    "ARGUMENTS",
    "ARGUMENT_NAMES",
    "DEPTH_OUTPUTS",
    "TRAINING_ARGUMENTS",
    "TRAINING_ARGUMENT_NAMES",
    "ArgumentSpec",
    "Calibration",
    "LaunchArgumentError",
    "LaunchArguments",
    "LaunchError",
    "NodeSpec",
    "PlaybackOptions",
    "ProcessExitError",
    "TopicRemap",
    "TrainingLaunchArguments",
    "argument_spec",
    "find_share_dir",
    "format_parameter_value",
    "plan_nodes",
    "plan_trainer",
    "training_argument_spec",
]
