"""Fine-tune the depth network on recorded bags: trainer_node, which ends when training finishes (exit_when_done).

    ros2 launch mono_depth_ros train.launch.py bags:=/data/drive1,/data/drive2 output_dir:=runs/finetune \
        init_checkpoint:=/models/kitti.pt max_steps:=5000 config:=my_train.yaml

The node and its parameters (config/trainer.yaml, then params_file, then the arguments given) come from
`mono_depth_ros.launch_plan.plan_trainer`; `ros2 launch ... --show-args` lists the arguments with the descriptions
of `mono_depth_ros.launch_plan.TRAINING_ARGUMENTS`. On Ctrl-C the node saves a checkpoint after the current step:
launch waits STOP_GRACE_S before escalating to SIGTERM, and as long again before SIGKILL.
"""

from __future__ import annotations

from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchContext, LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from mono_depth_ros.launch_plan import TrainingLaunchArguments, plan_trainer, training_argument_spec
from mono_depth_ros.launch_plan.training import STOP_GRACE_S


def _declare(name: str) -> DeclareLaunchArgument:
    spec = training_argument_spec(name)
    return DeclareLaunchArgument(
        name, default_value=spec.default, description=spec.description, choices=list(spec.choices) or None
    )


ARGUMENTS = (
    _declare("bags"),
    _declare("image_topic"),
    _declare("camera_info_topic"),
    _declare("right_image_topic"),
    _declare("odom_topic"),
    _declare("depth_topic"),
    _declare("mode"),
    _declare("config"),
    _declare("init_checkpoint"),
    _declare("output_dir"),
    _declare("max_steps"),
    _declare("device"),
    _declare("freeze_encoder"),
    _declare("exit_when_done"),
    _declare("params_file"),
)


def _launch_nodes(context: LaunchContext) -> list[Node]:
    values = {action.name: LaunchConfiguration(action.name).perform(context) for action in ARGUMENTS}
    arguments = TrainingLaunchArguments.from_strings(values)
    share_dir = Path(get_package_share_directory("mono_depth_ros"))
    return [
        Node(
            **spec.launch_node_arguments(),
            output="screen",
            sigterm_timeout=str(STOP_GRACE_S),
            sigkill_timeout=str(STOP_GRACE_S),
        )
        for spec in plan_trainer(arguments, share_dir=share_dir)
    ]


def generate_launch_description() -> LaunchDescription:
    return LaunchDescription([*ARGUMENTS, OpaqueFunction(function=_launch_nodes)])
