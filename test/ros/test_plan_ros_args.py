"""The plan's `--ros-args` as real rcl reads them: node name, namespace, remapped topics and parameter precedence."""

from __future__ import annotations

from pathlib import Path

import pytest
import rclpy
from rclpy.context import Context

from mono_depth_ros.launch_plan import LaunchArguments, NodeSpec, plan_nodes

pytestmark = pytest.mark.ros

ROOT = Path(__file__).resolve().parents[2]


def node_values(spec: NodeSpec, topics: list[str], parameters: dict[str, object]) -> tuple[str, dict, dict]:
    """(fully qualified name, topic -> resolved name, parameter -> value) of a node started with spec's args."""
    context = Context()
    rclpy.init(args=["node", *spec.ros_args()], context=context)
    try:
        node = rclpy.create_node("unnamed", context=context)
        try:
            resolved = {topic: node.resolve_topic_name(topic) for topic in topics}
            values = {}
            for name, default in parameters.items():
                values[name] = (
                    node.get_parameter(name).value
                    if node.has_parameter(name)
                    else node.declare_parameter(name, default).value
                )
            return node.get_fully_qualified_name(), resolved, values
        finally:
            node.destroy_node()
    finally:
        rclpy.shutdown(context=context)


def test_rcl_reads_the_depth_node_plan_as_planned(tmp_path: Path) -> None:
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(b"x")
    params = tmp_path / "params.yaml"
    # The user's file may set anything, but the arguments given explicitly win over it.
    params.write_text("/**:\n  ros__parameters:\n    points_stride: 4\n    device: cpu\n    scale_source: fixed\n")
    arguments = LaunchArguments.from_strings(
        {
            "camera": "robot/front",
            "image": "image_raw",
            "calibration": "stereo",
            "checkpoint": str(checkpoint),
            "device": "cuda:0",
            "params_file": str(params),
            "use_sim_time": "true",
        }
    )
    depth, calibration = plan_nodes(arguments, share_dir=ROOT)
    name, topics, values = node_values(
        depth,
        ["image", "image/compressed", "camera_info", "right/camera_info", "depth_scale", "points"],
        {"checkpoint": "", "device": "auto", "scale_source": "model", "points_stride": 1, "max_depth": 1.0},
    )
    assert name == "/robot/front/depth_node"
    assert topics == {
        "image": "/robot/front/image_raw",
        "image/compressed": "/robot/front/image_raw/compressed",
        "camera_info": "/robot/front/left/camera_info",
        "right/camera_info": "/robot/front/right/camera_info",
        "depth_scale": "/robot/front/depth_scale",
        "points": "/robot/front/points",
    }
    assert values == {
        "checkpoint": str(checkpoint),
        "device": "cuda:0",
        "scale_source": "topic",
        "points_stride": 4,
        "max_depth": 100.0,  # from config/depth.yaml
    }
    name, topics, values = node_values(calibration, ["left/image", "depth_scale"], {"mode": "x", "use_sim_time": False})
    assert name == "/robot/front/calibration_node"
    assert topics == {"left/image": "/robot/front/image_raw", "depth_scale": "/robot/front/depth_scale"}
    assert values == {"mode": "stereo", "use_sim_time": True}


def test_without_calibration_the_params_files_choose_the_scale_source(tmp_path: Path) -> None:
    (depth,) = plan_nodes(LaunchArguments(), share_dir=ROOT)
    assert node_values(depth, [], {"scale_source": "fixed"})[2] == {"scale_source": "topic"}  # config/depth.yaml
    params = tmp_path / "params.yaml"
    params.write_text("/camera/depth_node:\n  ros__parameters:\n    scale_source: fixed\n    scale: 2.5\n")
    (depth,) = plan_nodes(LaunchArguments(params_file=params), share_dir=ROOT)
    values = node_values(depth, [], {"scale_source": "topic", "scale": 1.0})[2]
    assert values == {"scale_source": "fixed", "scale": 2.5}
