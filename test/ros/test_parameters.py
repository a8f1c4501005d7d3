"""Parameters from specs on a real rclpy node: descriptors, overrides, checks with reasons, and the guard that
refuses bad run-time changes (and changes its apply callback refuses)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
import rclpy
from rcl_interfaces.msg import ParameterType
from rclpy.context import Context
from rclpy.node import Node
from rclpy.parameter import Parameter

from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.parameters import (
    ParameterGuard,
    ParameterSpec,
    ParameterValue,
    check_parameter,
    declare_parameters,
)

SPECS = (
    ParameterSpec("rate_hz", 2.0, "estimation rate (Hz)", minimum=0.1, maximum=10.0),
    ParameterSpec("window", 30, "samples", minimum=2),
    ParameterSpec("mode", "odometry", "where the scale comes from", choices=("odometry", "stereo", "ground")),
    ParameterSpec("freeze", False, "freeze when converged"),
    ParameterSpec("base_to_camera", [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], "camera pose"),
    ParameterSpec("bags", [], "bag paths"),
    ParameterSpec("frame", "camera", "frame", read_only=True),
)


def spec(name: str) -> ParameterSpec:
    return next(s for s in SPECS if s.name == name)


@pytest.fixture
def make_node() -> Iterator:
    contexts: list[Context] = []
    nodes: list[Node] = []

    def make(args: list[str] | None = None) -> Node:
        context = Context()
        rclpy.init(context=context, args=args)
        contexts.append(context)
        node = rclpy.create_node("parameters_test_node", context=context)
        nodes.append(node)
        return node

    try:
        yield make
    finally:
        for node in nodes:
            node.destroy_node()
        for context in contexts:
            rclpy.shutdown(context=context)


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("rate_hz", math.nan, r"parameter 'rate_hz' must be a finite number, got nan"),
        ("rate_hz", 0.0, r"parameter 'rate_hz' must be at least 0.1, got 0.0"),
        ("rate_hz", 11.0, r"parameter 'rate_hz' must be at most 10.0, got 11.0"),
        ("rate_hz", "fast", r"parameter 'rate_hz' must be a number, got 'fast'"),
        ("window", 1, r"parameter 'window' must be at least 2, got 1"),
        ("window", 2.5, r"parameter 'window' must be an integer, got 2.5"),
        ("window", True, r"parameter 'window' must be an integer, got True"),
        ("mode", "lidar", r"parameter 'mode' must be one of odometry, stereo, ground, got 'lidar'"),
        ("freeze", 1, r"parameter 'freeze' must be a boolean, got 1"),
        ("base_to_camera", [0.0, math.inf], r"parameter 'base_to_camera'\[1\] must be a finite number, got inf"),
        ("base_to_camera", 1.0, r"parameter 'base_to_camera' must be a list, got 1.0"),
        ("bags", ["a", 3], r"parameter 'bags'\[1\] must be a string, got 3"),
    ],
)
def test_check_parameter_names_the_parameter_and_the_value(name: str, value: object, reason: str) -> None:
    got = check_parameter(spec(name), value)
    assert got is not None
    assert re.match(reason, got), got


@pytest.mark.parametrize(
    ("name", "value"),
    [("rate_hz", 0.1), ("rate_hz", 10.0), ("window", 2), ("mode", "stereo"), ("bags", []), ("base_to_camera", [1.0])],
)
def test_check_parameter_accepts_good_values(name: str, value: object) -> None:
    assert check_parameter(spec(name), value) is None


def test_declare_parameters_returns_defaults_and_describes_them(make_node) -> None:
    node = make_node()
    values = declare_parameters(node, SPECS)
    assert values == {s.name: s.default for s in SPECS}
    rate = node.describe_parameter("rate_hz")
    assert rate.description == "estimation rate (Hz)"
    assert rate.type == ParameterType.PARAMETER_DOUBLE
    assert (rate.floating_point_range[0].from_value, rate.floating_point_range[0].to_value) == (0.1, 10.0)
    window = node.describe_parameter("window")
    assert window.integer_range[0].from_value == 2
    assert node.describe_parameter("mode").additional_constraints == "one of: odometry, stereo, ground"
    assert node.describe_parameter("bags").type == ParameterType.PARAMETER_STRING_ARRAY
    assert node.describe_parameter("frame").read_only


def test_declare_parameters_takes_overrides(make_node) -> None:
    node = make_node(["--ros-args", "-p", "rate_hz:=3.5", "-p", "mode:=stereo", "-p", "bags:=[a.mcap,b.mcap]"])
    values = declare_parameters(node, SPECS)
    assert values["rate_hz"] == 3.5
    assert values["mode"] == "stereo"
    assert values["bags"] == ["a.mcap", "b.mcap"]


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ("mode:=lidar", r"parameter 'mode' must be one of odometry, stereo, ground, got 'lidar'"),
        ("rate_hz:=50.0", r"parameter 'rate_hz': .*out of range"),
        ("window:=abc", r"parameter 'window': .*"),
    ],
)
def test_declare_parameters_refuses_bad_overrides(make_node, override: str, reason: str) -> None:
    node = make_node(["--ros-args", "-p", override])
    with pytest.raises(ParameterError, match=reason):
        declare_parameters(node, SPECS)


def test_declare_parameters_refuses_a_bad_default(make_node) -> None:
    node = make_node()
    with pytest.raises(ParameterError, match=r"the default of parameter 'x' must be at most 1, got 2"):
        declare_parameters(node, [ParameterSpec("x", 2, "x", maximum=1)])


def test_guard_checks_then_applies(make_node) -> None:
    node = make_node()
    declare_parameters(node, SPECS)
    applied: list[dict[str, ParameterValue]] = []

    def apply(changes: dict[str, ParameterValue]) -> str | None:
        if changes.get("mode") == "ground":
            return "mode 'ground' needs camera_height"
        applied.append(changes)
        return None

    ParameterGuard(node, SPECS, apply)
    cases = [
        (Parameter("rate_hz", value=20.0), r"Parameter rate_hz out of range.*20\.0"),  # rclpy's descriptor range
        (Parameter("mode", value="lidar"), r"parameter 'mode' must be one of odometry, stereo, ground, got 'lidar'"),
        (Parameter("mode", value="ground"), r"mode 'ground' needs camera_height"),
        (Parameter("base_to_camera", value=[0.0, math.nan]), r"parameter 'base_to_camera'\[1\] must be a finite"),
        (Parameter("frame", value="other"), r"read-only"),
    ]
    for parameter, reason in cases:
        result = node.set_parameters([parameter])[0]
        assert not result.successful
        assert re.search(reason, result.reason), result.reason
    assert node.get_parameter("mode").value == "odometry"
    assert applied == []

    assert node.set_parameters([Parameter("rate_hz", value=4.0)])[0].successful
    # An integer for a float parameter is taken as the float.
    assert node.set_parameters([Parameter("rate_hz", value=5)])[0].successful
    assert node.get_parameter("rate_hz").value == 5.0
    assert applied == [{"rate_hz": 4.0}, {"rate_hz": 5.0}]


def test_guard_turns_an_exception_into_a_refusal(make_node) -> None:
    node = make_node()
    declare_parameters(node, SPECS)

    def apply(changes: dict[str, ParameterValue]) -> str | None:
        raise ParameterError(f"cannot apply {changes!r}")

    guard = ParameterGuard(node, SPECS, apply)
    result = node.set_parameters([Parameter("window", value=5)])[0]
    assert not result.successful
    assert result.reason == "ParameterError: cannot apply {'window': 5}"
    guard.close()
    assert node.set_parameters([Parameter("window", value=5)])[0].successful
