"""The launch arguments of `train.launch.py` and the trainer_node they start: `plan_trainer(arguments)`.

Every argument but `params_file` sets the trainer_node parameter of the same name, and only when given: empty keeps
the params files' value (config/trainer.yaml, then the user's params_file), so a params_file can hold a whole run
while the command line changes one thing. The parameters are applied in that order, a later value winning:
  1. config/trainer.yaml of the package;
  2. the user's params_file;
  3. the arguments given.
`bags` is a comma-separated list on the command line (launch arguments are strings) and a string array parameter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from mono_depth_ros.launch_plan.arguments import ArgumentSpec, check_topic, parse_flag
from mono_depth_ros.launch_plan.errors import LaunchArgumentError
from mono_depth_ros.launch_plan.nodes import NodeSpec, ParameterValue
from mono_depth_ros.launch_plan.share import PACKAGE, TRAINER_PARAMS, find_share_dir

__all__ = [
    "STOP_GRACE_S",
    "TRAINING_ARGUMENTS",
    "TRAINING_ARGUMENT_NAMES",
    "TRAINING_MODES",
    "TrainingLaunchArguments",
    "plan_trainer",
    "training_argument_spec",
]

TRAINING_MODES = ("mono", "stereo", "mono_stereo", "siamese_stereo")
STOP_GRACE_S = 60
"""Seconds `ros2 launch` waits after SIGINT, and again after SIGTERM, before killing trainer_node: it saves a
checkpoint after the current step first (a step plus a ~300 MB write; launch's default is 5 s)."""

_GIVEN = "empty: the params files' value"
TRAINING_ARGUMENTS: tuple[ArgumentSpec, ...] = (
    ArgumentSpec("bags", "", "Comma-separated rosbag2 folders or files to train on (required unless a params file "
                 "sets bags)"),
    ArgumentSpec("image_topic", "", f"Image topic in the bags, sensor_msgs/Image or CompressedImage ({_GIVEN}, "
                 "/camera/left/image_raw)"),
    ArgumentSpec("camera_info_topic", "", f"CameraInfo topic of the image ({_GIVEN}; by default the one beside "
                 "the image)"),
    ArgumentSpec("right_image_topic", "", f"Right image topic of a rectified pair, for the stereo modes ({_GIVEN})"),
    ArgumentSpec("odom_topic", "", f"nav_msgs/Odometry topic in the bags, optional ({_GIVEN})"),
    ArgumentSpec("depth_topic", "", f"Ground-truth depth topic for validation, optional ({_GIVEN})"),
    ArgumentSpec("mode", "", f"mono, stereo, mono_stereo or siamese_stereo ({_GIVEN}, mono)"),
    ArgumentSpec("config", "", f"Training YAML with the keys of config/train.yaml ({_GIVEN}; none: the defaults)"),
    ArgumentSpec("init_checkpoint", "", f"Start a new run from this checkpoint's weights ({_GIVEN})"),
    ArgumentSpec("output_dir", "", "Folder of the run (checkpoints, losses.csv); a run there is resumed (required "
                 "unless a params file sets output_dir)"),
    ArgumentSpec("max_steps", "", f"Train to this step ({_GIVEN}, 1000)"),
    ArgumentSpec("device", "", f"auto, cpu, cuda or cuda:N ({_GIVEN}, auto)"),
    ArgumentSpec("freeze_encoder", "", f"true: fine-tune the decoder only ({_GIVEN}, false)"),
    ArgumentSpec("exit_when_done", "", f"End trainer_node, and so the launch, when training finishes ({_GIVEN}, "
                 "true)"),
    ArgumentSpec("params_file", "", "trainer_node parameters YAML applied after the package's config/trainer.yaml "
                 "(empty: that file alone); the arguments given still win over it"),
)  # fmt: skip

TRAINING_ARGUMENT_NAMES: tuple[str, ...] = tuple(spec.name for spec in TRAINING_ARGUMENTS)
_BY_NAME = {spec.name: spec for spec in TRAINING_ARGUMENTS}
_DEVICE = re.compile(r"auto|cpu|cuda(?::\d+)?")
_TOPICS = ("image_topic", "camera_info_topic", "right_image_topic", "odom_topic", "depth_topic")


def training_argument_spec(name: str) -> ArgumentSpec:
    """The table entry of `name`; a LaunchArgumentError listing the known names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise LaunchArgumentError(
            f"unknown launch argument {name!r}; expected one of {', '.join(TRAINING_ARGUMENT_NAMES)}"
        ) from None


def _absolute(name: str, value: str, *, kind: str = "") -> Path:
    """`value` as an absolute path (the node may run in another folder); `kind` 'file' or 'exists' checks it."""
    path = Path(value).expanduser().absolute()
    if kind and not path.exists():
        raise LaunchArgumentError(f"{name} {path} does not exist")
    if kind == "file" and not path.is_file():
        raise LaunchArgumentError(f"{name} {path} is not a file")
    return path


@dataclass(frozen=True)
class TrainingLaunchArguments:
    """The validated launch arguments, each None (or empty) when not given; see `TRAINING_ARGUMENTS`.

    Paths become absolute and must exist (bags, config, init_checkpoint, params_file); any invalid value is a
    LaunchArgumentError that names the argument and the value.
    """

    bags: tuple[Path, ...] = ()
    image_topic: str = ""
    camera_info_topic: str = ""
    right_image_topic: str = ""
    odom_topic: str = ""
    depth_topic: str = ""
    mode: str = ""
    config: Path | None = None
    init_checkpoint: Path | None = None
    output_dir: Path | None = None
    max_steps: int | None = None
    device: str = ""
    freeze_encoder: bool | None = None
    exit_when_done: bool | None = None
    params_file: Path | None = None

    @classmethod
    def from_strings(cls, values: Mapping[str, str]) -> TrainingLaunchArguments:
        """From launch-argument strings (name -> value); missing or empty ones are not given."""
        for name in values:
            training_argument_spec(name)
        given = {name: value.strip() for name, value in values.items() if value.strip()}
        parsed: dict[str, object] = {}
        if "bags" in given:
            entries = [entry.strip() for entry in given["bags"].split(",")]
            if not all(entries):
                raise LaunchArgumentError(
                    f"bags must be comma-separated paths without empty entries, got {given['bags']!r}"
                )
            parsed["bags"] = tuple(_absolute("bag", entry, kind="exists") for entry in entries)
        for name in _TOPICS:
            if name in given:
                parsed[name] = check_topic(name, given[name])
        if "mode" in given:
            if given["mode"] not in TRAINING_MODES:
                raise LaunchArgumentError(f"mode must be one of {', '.join(TRAINING_MODES)}, got {given['mode']!r}")
            parsed["mode"] = given["mode"]
        for name in ("config", "init_checkpoint", "params_file"):
            if name in given:
                parsed[name] = _absolute(name, given[name], kind="file")
        if "output_dir" in given:
            parsed["output_dir"] = _absolute("output_dir", given["output_dir"])
        if "max_steps" in given:
            parsed["max_steps"] = _positive_int("max_steps", given["max_steps"])
        if "device" in given:
            if not _DEVICE.fullmatch(given["device"]):
                raise LaunchArgumentError(f"device must be empty, auto, cpu, cuda or cuda:N, got {given['device']!r}")
            parsed["device"] = given["device"]
        for name in ("freeze_encoder", "exit_when_done"):
            if name in given:
                parsed[name] = parse_flag(name, given[name])
        return cls(**parsed)  # type: ignore[arg-type]

    def overrides(self) -> dict[str, ParameterValue]:
        """The trainer_node parameters the given arguments set (params_file is a file, not a parameter)."""
        out: dict[str, ParameterValue] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "params_file" or value is None or value in ("", ()):
                continue
            if isinstance(value, tuple):
                out[field.name] = [str(path) for path in value]
            elif isinstance(value, Path):
                out[field.name] = str(value)
            else:
                out[field.name] = value
        return out


def _positive_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise LaunchArgumentError(f"{name} must be a positive integer, got {text!r}")
    return value


def plan_trainer(arguments: TrainingLaunchArguments, share_dir: Path | None = None) -> list[NodeSpec]:
    """trainer_node with its parameters in the order of the module docstring. `share_dir` holds config/ (default:
    `find_share_dir()`, the running package's). The bag topics are not ROS topics: nothing is remapped."""
    share = find_share_dir() if share_dir is None else Path(share_dir)
    user_file = () if arguments.params_file is None else (arguments.params_file,)
    parameters = (share / TRAINER_PARAMS, *user_file, arguments.overrides())
    return [
        NodeSpec(package=PACKAGE, executable="trainer_node", name="trainer_node", namespace="/", parameters=parameters)
    ]
