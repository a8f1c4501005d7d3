"""The launch plan: arguments table and validation, and the node set of every calibration mode."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from mono_depth_ros.launch_plan import (
    ARGUMENT_NAMES,
    ARGUMENTS,
    Calibration,
    LaunchArgumentError,
    LaunchArguments,
    LaunchError,
    NodeSpec,
    PlaybackOptions,
    TopicRemap,
    find_share_dir,
    format_parameter_value,
    plan_nodes,
)

ROOT = Path(__file__).resolve().parents[1]
SHARE = Path("/opt/share/mono_depth_ros")
DEPTH_YAML = SHARE / "config/depth.yaml"
CALIBRATION_YAML = SHARE / "config/calibration.yaml"
IMAGE_REMAPS = (
    ("image", "left/image_raw"),
    ("image/compressed", "left/image_raw/compressed"),
    ("camera_info", "left/camera_info"),
)


def plan(**values: str) -> list[NodeSpec]:
    return plan_nodes(LaunchArguments.from_strings(values), share_dir=SHARE)


def test_the_table_and_the_record_have_the_same_arguments_and_defaults() -> None:
    assert tuple(f.name for f in dataclasses.fields(LaunchArguments)) == ARGUMENT_NAMES
    assert LaunchArguments.from_strings({}) == LaunchArguments()
    assert {spec.name: spec.default for spec in ARGUMENTS} == LaunchArguments().to_strings() | {"camera": "camera"}
    for spec in ARGUMENTS:
        assert len(spec.description) > 20, spec.name
        assert not spec.choices or spec.default in spec.choices
    assert dict(zip(ARGUMENT_NAMES, (s.choices for s in ARGUMENTS), strict=True))["calibration"] == (
        "none",
        "odometry",
        "stereo",
        "ground",
    )


def test_without_calibration_only_the_depth_node_runs_with_the_params_files_scale_source() -> None:
    (depth,) = plan()
    assert (depth.package, depth.executable, depth.name, depth.namespace) == (
        "mono_depth_ros",
        "depth_node",
        "depth_node",
        "/camera",
    )
    assert depth.remappings == IMAGE_REMAPS
    assert depth.parameters == (DEPTH_YAML, {"use_sim_time": False})
    assert depth.arguments == ()


@pytest.mark.parametrize(
    ("mode", "calibration_remaps", "depth_extra_remaps"),
    [
        ("odometry", (*IMAGE_REMAPS, ("odom", "/odom")), ()),
        ("ground", IMAGE_REMAPS, ()),
        (
            "stereo",
            (
                ("left/image", "left/image_raw"),
                ("left/image/compressed", "left/image_raw/compressed"),
                ("left/camera_info", "left/camera_info"),
                ("right/image", "right/image_raw"),
                ("right/image/compressed", "right/image_raw/compressed"),
                ("right/camera_info", "right/camera_info"),
            ),
            (("right/camera_info", "right/camera_info"),),
        ),
    ],
)
def test_each_calibration_mode_adds_a_calibration_node_that_feeds_the_depth_node(
    mode: str, calibration_remaps: tuple, depth_extra_remaps: tuple
) -> None:
    depth, calibration = plan(calibration=mode)
    assert (calibration.executable, calibration.name, calibration.namespace) == (
        "calibration_node",
        "calibration_node",
        "/camera",
    )
    assert calibration.remappings == calibration_remaps
    assert calibration.parameters == (CALIBRATION_YAML, {"use_sim_time": False, "mode": mode})
    # depth_scale: relative in both nodes of one namespace, so not remapped; the depth node must read it.
    assert depth.parameters == (DEPTH_YAML, {"use_sim_time": False, "scale_source": "topic"})
    assert depth.remappings == IMAGE_REMAPS + depth_extra_remaps
    assert not any("depth_scale" in source for source, _ in depth.remappings + calibration.remappings)


def test_arguments_reach_both_nodes_in_the_documented_order(tmp_path: Path) -> None:
    checkpoint = tmp_path / "model.pt"
    checkpoint.write_bytes(b"x")
    params = tmp_path / "params.yaml"
    params.write_text("/**:\n  ros__parameters:\n    points_stride: 2\n")
    depth, calibration = plan(
        camera="/robot/front",
        image="image_raw",
        camera_info="/drivers/info",
        odom="odometry/filtered",
        checkpoint=str(checkpoint),
        device="cuda:1",
        calibration="odometry",
        params_file=str(params),
        use_sim_time="True",
    )
    given = {"use_sim_time": True, "checkpoint": str(checkpoint), "device": "cuda:1"}
    assert depth.namespace == calibration.namespace == "/robot/front"
    assert depth.parameters == (DEPTH_YAML, params, {**given, "scale_source": "topic"})
    assert calibration.parameters == (CALIBRATION_YAML, params, {**given, "mode": "odometry"})
    assert depth.remappings == (
        ("image", "image_raw"),
        ("image/compressed", "image_raw/compressed"),
        ("camera_info", "/drivers/info"),
    )
    assert calibration.remappings[-1] == ("odom", "odometry/filtered")
    (alone,) = plan(params_file=str(params))
    assert alone.parameters == (DEPTH_YAML, params, {"use_sim_time": False})


def test_rviz_shows_the_planned_topics_of_any_namespace() -> None:
    _, rviz = plan(use_rviz="1")
    assert (rviz.package, rviz.executable, rviz.namespace) == ("rviz2", "rviz2", "/")
    assert rviz.arguments == ("-d", str(SHARE / "config/depth.rviz"))
    assert rviz.remappings == ()
    assert rviz.parameters == ({"use_sim_time": False},)
    _, rviz = plan(use_rviz="true", camera="front")
    assert rviz.remappings == (("/camera/points", "/front/points"), ("/camera/depth/image", "/front/depth/image"))
    _, rviz = plan(use_rviz="true", camera="")
    assert rviz.remappings == (("/camera/points", "/points"), ("/camera/depth/image", "/depth/image"))
    assert rviz.ros_args()[:5] == ["--ros-args", "-r", "__node:=rviz2", "-r", "__ns:=/"]
    assert rviz.launch_namespace() is None
    assert plan(camera="/robot/front")[0].launch_namespace() == "robot/front"
    assert rviz.command_arguments()[:2] == ["-d", str(SHARE / "config/depth.rviz")]


def test_ros_args_are_the_command_line_form_of_the_spec() -> None:
    depth, _ = plan(calibration="ground")
    assert depth.ros_args() == [
        "--ros-args",
        "-r",
        "__node:=depth_node",
        "-r",
        "__ns:=/camera",
        "-r",
        "image:=left/image_raw",
        "-r",
        "image/compressed:=left/image_raw/compressed",
        "-r",
        "camera_info:=left/camera_info",
        "--params-file",
        str(DEPTH_YAML),
        "-p",
        "use_sim_time:=false",
        "-p",
        "scale_source:=topic",
    ]
    assert depth.launch_parameters() == [str(DEPTH_YAML), {"use_sim_time": False, "scale_source": "topic"}]


@pytest.mark.parametrize(
    "value",
    ["model", "/tmp/a b.pt", "cuda:0", "true", "", "1e3", "it's", "nan", "-x", 1, 2.0, 0.1, True, False],
)
def test_parameter_values_read_back_as_the_same_yaml_value(value: object) -> None:
    text = format_parameter_value(value)
    assert yaml.safe_load(text) == value
    assert type(yaml.safe_load(text)) is type(value)


def test_parameter_lists_and_bad_values() -> None:
    assert format_parameter_value([1.0, 0.5]) == "[1.0, 0.5]"
    assert yaml.safe_load(format_parameter_value(["a,b", "true"])) == ["a,b", "true"]
    with pytest.raises(LaunchArgumentError, match=r"finite bool, int, float or string, got nan"):
        format_parameter_value(float("nan"))
    with pytest.raises(LaunchArgumentError, match=r"got None"):
        format_parameter_value(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"calibration": "lidar"}, r"calibration must be one of none, odometry, stereo, ground, got 'lidar'"),
        ({"camera": "1cam"}, r"camera must be a ROS namespace .*got '1cam'"),
        ({"camera": "a//b"}, r"camera must be a ROS namespace .*got 'a//b'"),
        ({"image": "left image"}, r"image must be a ROS topic name .*got 'left image'"),
        ({"odom": "/odom/"}, r"odom must be a ROS topic name .*got '/odom/'"),
        ({"device": "gpu"}, r"device must be empty, auto, cpu, cuda or cuda:N, got 'gpu'"),
        ({"use_rviz": "maybe"}, r"use_rviz must be true or false, got 'maybe'"),
        ({"use_sim_time": "yes"}, r"use_sim_time must be true or false, got 'yes'"),
        ({"checkpoint": "/no/such/model.pt"}, r"checkpoint /no/such/model.pt does not exist"),
        ({"params_file": "/"}, r"params_file / is not a file"),
        ({"cam": "front"}, r"unknown launch argument 'cam'; expected one of camera, image, .*use_sim_time"),
    ],
)
def test_invalid_arguments_are_named_with_their_value(values: dict[str, str], message: str) -> None:
    with pytest.raises(LaunchArgumentError, match=message):
        LaunchArguments.from_strings(values)


def test_normalisation() -> None:
    arguments = LaunchArguments.from_strings({"camera": "/robot/cam/", "calibration": "stereo", "use_rviz": "TRUE"})
    assert arguments.camera == "/robot/cam"
    assert arguments.calibration is Calibration.STEREO
    assert arguments.use_rviz is True
    assert LaunchArguments.from_strings({"camera": ""}).camera == "/"
    assert LaunchArguments.from_strings({"image": "~/image"}).image == "~/image"


def test_the_package_share_dir_is_found_for_a_source_tree_and_an_install(tmp_path: Path) -> None:
    assert find_share_dir() == ROOT
    prefix = tmp_path / "install" / "mono_depth_ros"
    module = prefix / "lib/python3.10/site-packages/mono_depth_ros/launch_plan/share.py"
    with pytest.raises(LaunchError, match=r"cannot find config/depth.yaml of mono_depth_ros; searched .*install"):
        find_share_dir(module)
    config = prefix / "share/mono_depth_ros/config"
    config.mkdir(parents=True)
    (config / "depth.yaml").write_text("{}\n")
    assert find_share_dir(module) == prefix / "share/mono_depth_ros"
    # The default plan reads the running package's own config files.
    assert plan_nodes(LaunchArguments())[0].parameters[0] == ROOT / "config/depth.yaml"


def test_playback_options_and_remaps(tmp_path: Path) -> None:
    remap = TopicRemap.parse("/camera/left:=/camera")
    assert remap.apply("/camera/left") == "/camera"
    assert remap.apply("/camera/left/image_raw") == "/camera/image_raw"
    assert remap.apply("/camera/leftover") is None
    options = PlaybackOptions(tmp_path, rate=2.0, loop=True, remaps=(remap, TopicRemap("/odom", "/wheel/odom")))
    assert options.rename("/camera/left/camera_info") == "/camera/camera_info"
    assert options.rename("/odom") == "/wheel/odom"
    assert options.rename("/tf_static") == "/tf_static"
    assert options.command_arguments() == [
        str(tmp_path),
        "--rate",
        "2.0",
        "--loop",
        "--remap",
        "/camera/left:=/camera",
        "--remap",
        "/odom:=/wheel/odom",
    ]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: PlaybackOptions(p / "nope"), r"bag .*nope does not exist"),
        (lambda p: PlaybackOptions(p, rate=0.0), r"rate must be a positive finite number, got 0.0"),
        (lambda p: PlaybackOptions(p, rate=float("inf")), r"rate must be a positive finite number, got inf"),
        (lambda p: PlaybackOptions(p, delay_s=-1.0), r"delay must be a finite number of seconds >= 0, got -1.0"),
        (lambda p: PlaybackOptions(p, topics=("odom",)), r"a played topic must be an absolute topic name .*'odom'"),
        (lambda p: TopicRemap.parse("/a=/b"), r"a remap must look like /from:=/to, got '/a=/b'"),
        (lambda p: TopicRemap.parse("/a:=b c"), r"a remap's target must be a ROS topic name .*'b c'"),
    ],
)
def test_invalid_playback_options_are_named(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(LaunchArgumentError, match=message):
        make(tmp_path)


def test_the_plan_imports_without_ros_torch_or_rosbags(import_blocking) -> None:  # type: ignore[no-untyped-def]
    """launch files import it inside `ros2 launch`, and the CLI parses with it: nothing heavy may come along."""
    blocked = {"rclpy", "launch", "launch_ros", "torch", "cv2", "rosbags", "sensor_msgs", "std_msgs"}
    assert import_blocking(blocked, "mono_depth_ros.launch_plan", also=["mono_depth_ros.commands.launch"]) >= 5
