"""launch/train.launch.py and its plan, checked without launch_ros (not installable here): the launch file compiles,
declares exactly the arguments of the training table and builds its node from plan_trainer; the plan sets only the
parameters given, after config/trainer.yaml and the params_file; and the planned command line, parsed by rcl, gives
trainer_node the parameters meant."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import rclpy
from rclpy.context import Context

from mono_depth_ros.launch_plan import (
    TRAINING_ARGUMENT_NAMES,
    TRAINING_ARGUMENTS,
    LaunchArgumentError,
    NodeSpec,
    TrainingLaunchArguments,
    plan_trainer,
)
from mono_depth_ros.launch_plan.training import STOP_GRACE_S
from mono_depth_ros.ros.parameters import declare_parameters
from mono_depth_ros.ros.trainer_config import TRAINER_PARAMETERS, TrainerSettings

from .conftest import ROOT, calls_to, function, parse_launch_file

SHARE = Path("/opt/share/mono_depth_ros")


def launch_tree() -> ast.Module:
    return parse_launch_file("train.launch.py")


def test_the_launch_file_declares_exactly_the_training_arguments_in_table_order() -> None:
    tree = launch_tree()
    assert tuple(call.args[0].value for call in calls_to(tree, "_declare")) == TRAINING_ARGUMENT_NAMES
    (declare,) = calls_to(function(tree, "_declare"), "DeclareLaunchArgument")
    assert {k.arg: ast.unparse(k.value) for k in declare.keywords} == {
        "default_value": "spec.default",
        "description": "spec.description",
        "choices": "list(spec.choices) or None",
    }
    spec_calls = calls_to(function(tree, "_declare"), "training_argument_spec")
    assert [ast.unparse(c) for c in spec_calls] == ["training_argument_spec(name)"]
    # Every node parameter a user sets on the command line has an argument (use_sim_time has no use here).
    assert set(TRAINING_ARGUMENT_NAMES) == {spec.name for spec in TRAINER_PARAMETERS} | {"params_file"}
    for spec in TRAINING_ARGUMENTS:
        assert spec.default == "", spec.name  # empty: the params files' value
        assert len(spec.description) > 20, spec.name


def test_the_node_comes_from_plan_trainer_with_every_field_and_time_to_save_on_shutdown() -> None:
    tree = launch_tree()
    imports = {
        alias.name: node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert imports["plan_trainer"] == imports["TrainingLaunchArguments"] == "mono_depth_ros.launch_plan"
    assert imports["Node"] == "launch_ros.actions"
    (opaque,) = calls_to(function(tree, "generate_launch_description"), "OpaqueFunction")
    assert ast.unparse(opaque.keywords[0].value) == "_launch_nodes"
    nodes = function(tree, "_launch_nodes")
    (plan_call,) = calls_to(nodes, "plan_trainer")
    assert ast.unparse(plan_call) == "plan_trainer(arguments, share_dir=share_dir)"
    (from_strings,) = calls_to(nodes, "from_strings")
    assert ast.unparse(from_strings) == "TrainingLaunchArguments.from_strings(values)"
    (node,) = calls_to(nodes, "Node")
    values = {k.arg: ast.unparse(k.value) for k in node.keywords}
    assert values[None] == "spec.launch_node_arguments()"  # every NodeSpec field (test_depth_launch_file)
    assert values["sigterm_timeout"] == values["sigkill_timeout"] == "str(STOP_GRACE_S)"
    assert STOP_GRACE_S >= 30


def test_only_the_arguments_given_are_set_after_the_package_and_user_params_files(tmp_path: Path) -> None:
    (node,) = plan_trainer(TrainingLaunchArguments.from_strings({"bags": "", "mode": ""}), share_dir=SHARE)
    assert (node.package, node.executable, node.name, node.namespace) == (
        "mono_depth_ros", "trainer_node", "trainer_node", "/",
    )  # fmt: skip
    assert node.parameters == (SHARE / "config/trainer.yaml", {})
    assert (node.remappings, node.arguments) == ((), ())
    bags = [tmp_path / "a", tmp_path / "b.mcap"]
    bags[0].mkdir()
    bags[1].write_bytes(b"")
    params, config = tmp_path / "params.yaml", tmp_path / "train.yaml"
    params.write_text("/**:\n  ros__parameters:\n    max_steps: 7\n")
    config.write_text("batch_size: 2\n")
    arguments = TrainingLaunchArguments.from_strings(
        {
            "bags": f"{bags[0]}, {bags[1]}", "image_topic": "/front/image_raw/compressed", "mode": "mono_stereo",
            "right_image_topic": "/right/image_raw", "config": str(config), "output_dir": "runs/x",
            "max_steps": "20", "device": "cuda:1", "freeze_encoder": "True", "exit_when_done": "0",
            "params_file": str(params),
        }
    )  # fmt: skip
    (node,) = plan_trainer(arguments, share_dir=SHARE)
    assert node.parameters == (
        SHARE / "config/trainer.yaml",
        params,
        {
            "bags": [str(bags[0]), str(bags[1])], "image_topic": "/front/image_raw/compressed",
            "right_image_topic": "/right/image_raw", "mode": "mono_stereo", "config": str(config),
            "output_dir": str(Path("runs/x").absolute()), "max_steps": 20, "device": "cuda:1",
            "freeze_encoder": True, "exit_when_done": False,
        },
    )  # fmt: skip


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"bags": "/no/such/bag"}, r"bag /no/such/bag does not exist"),
        ({"bags": "/,"}, r"bags must be comma-separated paths without empty entries, got '/,'"),
        ({"mode": "video"}, r"mode must be one of mono, stereo, mono_stereo, siamese_stereo, got 'video'"),
        ({"image_topic": "a b"}, r"image_topic must be a ROS topic name .*got 'a b'"),
        ({"max_steps": "ten"}, r"max_steps must be a positive integer, got 'ten'"),
        ({"max_steps": "0"}, r"max_steps must be a positive integer, got '0'"),
        ({"device": "gpu"}, r"device must be empty, auto, cpu, cuda or cuda:N, got 'gpu'"),
        ({"exit_when_done": "maybe"}, r"exit_when_done must be true or false, got 'maybe'"),
        ({"config": "/no/train.yaml"}, r"config /no/train.yaml does not exist"),
        ({"params_file": "/"}, r"params_file / is not a file"),
        ({"bag": "/data"}, r"unknown launch argument 'bag'; expected one of bags, image_topic, .*params_file"),
    ],
)
def test_invalid_arguments_are_named_with_their_value(values: dict[str, str], message: str) -> None:
    with pytest.raises(LaunchArgumentError, match=message):
        TrainingLaunchArguments.from_strings(values)


@pytest.mark.ros
def test_the_planned_command_line_gives_trainer_node_its_parameters(tmp_path: Path) -> None:
    """rcl parses the package's config/trainer.yaml (bags: [] included), the params_file and the -p overrides."""
    bag = tmp_path / "drive, one"
    bag.mkdir()
    params = tmp_path / "params.yaml"
    params.write_text("/**:\n  ros__parameters:\n    max_steps: 7\n    odom_topic: /odom\n    device: cuda\n")
    arguments = TrainingLaunchArguments.from_strings({"output_dir": str(tmp_path / "run"), "params_file": str(params)})
    (node_spec,) = plan_trainer(arguments, share_dir=ROOT)
    # A comma inside a path cannot go through the comma-separated argument, but the parameter carries it.
    with_bag = NodeSpec(**{**node_spec.__dict__, "parameters": (*node_spec.parameters, {"bags": [str(bag)]})})
    context = Context()
    rclpy.init(context=context, args=["trainer_node", *with_bag.command_arguments(), "-p", "device:=cpu"])
    try:
        node = rclpy.create_node("unnamed", context=context)
        try:
            settings = TrainerSettings.from_values(declare_parameters(node, TRAINER_PARAMETERS))
        finally:
            node.destroy_node()
    finally:
        rclpy.shutdown(context=context)
    expected = TrainerSettings(
        bags=(str(bag),), output_dir=str(tmp_path / "run"), max_steps=7, odom_topic="/odom", device="cpu"
    )
    assert settings == expected
