"""launch/depth.launch.py and config/depth.rviz, checked without launch_ros (not installable here): the launch file
compiles, declares exactly the arguments of the launch plan's table, and builds its nodes from plan_nodes."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from mono_depth_ros.data.recording import SIM_TOPICS
from mono_depth_ros.launch_plan import ARGUMENT_NAMES, DEPTH_OUTPUTS, NodeSpec
from mono_depth_ros.launch_plan.nodes import RVIZ_CONFIG_NAMESPACE, RVIZ_TOPICS

from .conftest import ROOT, calls_to, function, parse_launch_file


def launch_tree() -> ast.Module:
    return parse_launch_file("depth.launch.py")


def test_the_launch_file_declares_exactly_the_plans_arguments_in_table_order() -> None:
    tree = launch_tree()
    declared = [call.args[0].value for call in calls_to(tree, "_declare")]
    assert tuple(declared) == ARGUMENT_NAMES
    # _declare takes default, description and choices from the table, for each name.
    (declare,) = calls_to(function(tree, "_declare"), "DeclareLaunchArgument")
    assert {k.arg: ast.unparse(k.value) for k in declare.keywords} == {
        "default_value": "spec.default",
        "description": "spec.description",
        "choices": "list(spec.choices) or None",
    }
    assert [ast.unparse(c) for c in calls_to(function(tree, "_declare"), "argument_spec")] == ["argument_spec(name)"]


def test_the_nodes_come_from_plan_nodes_with_every_field_of_the_node_spec() -> None:
    tree = launch_tree()
    imports = {
        alias.name: node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names
    }
    assert imports["plan_nodes"] == imports["LaunchArguments"] == "mono_depth_ros.launch_plan"
    assert imports["Node"] == "launch_ros.actions"
    assert imports["OpaqueFunction"] == "launch.actions"
    (opaque,) = calls_to(function(tree, "generate_launch_description"), "OpaqueFunction")
    assert ast.unparse(opaque.keywords[0].value) == "_launch_nodes"
    nodes = function(tree, "_launch_nodes")
    (plan_call,) = calls_to(nodes, "plan_nodes")
    assert ast.unparse(plan_call) == "plan_nodes(arguments, share_dir=share_dir)"
    (from_strings,) = calls_to(nodes, "from_strings")
    assert ast.unparse(from_strings) == "LaunchArguments.from_strings(values)"
    (node,) = calls_to(nodes, "Node")
    values = {k.arg: ast.unparse(k.value) for k in node.keywords}
    assert values[None] == "spec.launch_node_arguments()"  # Node(**spec.launch_node_arguments(), ...)
    spec = NodeSpec("pkg", "exe", "name", "/camera", (Path("/p.yaml"), {"a": 1}), (("in", "out"),), ("--x",))
    assert spec.launch_node_arguments() == {
        "package": "pkg", "executable": "exe", "name": "name", "namespace": "camera",
        "parameters": ["/p.yaml", {"a": 1}], "remappings": [("in", "out")], "arguments": ["--x"],
    }  # fmt: skip
    assert set(NodeSpec.__dataclass_fields__) == set(spec.launch_node_arguments())
    # Only the launch file imports launch / launch_ros (the package must not need them).
    for path in (ROOT / "mono_depth_ros").rglob("*.py"):
        for statement in ast.walk(ast.parse(path.read_text())):
            modules = []
            if isinstance(statement, ast.Import):
                modules = [alias.name for alias in statement.names]
            elif isinstance(statement, ast.ImportFrom) and statement.module:
                modules = [statement.module]
            assert not any(m.split(".")[0] in {"launch", "launch_ros"} for m in modules), path


def test_rviz_shows_the_planned_cloud_and_depth_image_in_the_sim_optical_frame() -> None:
    config = yaml.safe_load((ROOT / "config" / "depth.rviz").read_text())
    manager = config["Visualization Manager"]
    assert manager["Global Options"]["Fixed Frame"] == SIM_TOPICS.left_frame
    displays = {d["Class"]: d for d in manager["Displays"]}
    cloud = displays["rviz_default_plugins/PointCloud2"]
    image = displays["rviz_default_plugins/Image"]
    assert cloud["Color Transformer"] == "RGB8"
    assert cloud["Topic"]["Reliability Policy"] == image["Topic"]["Reliability Policy"] == "Best Effort"
    assert [cloud["Topic"]["Value"], image["Topic"]["Value"]] == [f"{RVIZ_CONFIG_NAMESPACE}/{t}" for t in RVIZ_TOPICS]
    assert set(RVIZ_TOPICS) <= set(DEPTH_OUTPUTS)
    assert cloud["Enabled"] is image["Enabled"] is True
