"""The launch arguments of `depth.launch.py` and `mono-depth-ros launch`: one table, one validated record.

Launch arguments are strings (as `ros2 launch ... name:=value` gives them); `LaunchArguments.from_strings` turns
them into typed, checked values once, and both the launch file and the CLI read the same `ARGUMENTS` table for
names, defaults, descriptions and choices.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from enum import Enum
from pathlib import Path

from mono_depth_ros.data.topics import CAMERA_NAMESPACE, SIM_TOPICS, SimTopics
from mono_depth_ros.launch_plan.errors import LaunchArgumentError

__all__ = [
    "ARGUMENTS",
    "ARGUMENT_NAMES",
    "ArgumentSpec",
    "Calibration",
    "LaunchArguments",
    "argument_spec",
    "check_namespace",
    "check_topic",
    "parse_flag",
]


class Calibration(str, Enum):
    """Where the depth node's metric scale comes from at run time."""

    NONE = "none"
    """No calibration node: depth_node's scale_source is the params files' (topic: a metric checkpoint uses its own
    scale, a relative one waits for a depth_scale)."""
    ODOMETRY = "odometry"
    STEREO = "stereo"
    GROUND = "ground"


@dataclass(frozen=True)
class ArgumentSpec:
    """One launch argument: its default as the launch file declares it (a string) and its description."""

    name: str
    default: str
    description: str
    choices: tuple[str, ...] = ()
    is_flag: bool = False
    """A boolean: true/false or 1/0 in any case, as launch conditions read them (the CLI offers --name/--no-name)."""


# The defaults are a simulate bag's topics, relative to its camera namespace where they are in it.
_DEFAULT_TOPICS = {
    "image": SimTopics.in_camera_namespace(SIM_TOPICS.left_image),
    "camera_info": SimTopics.in_camera_namespace(SIM_TOPICS.left_info),
    "right_image": SimTopics.in_camera_namespace(SIM_TOPICS.right_image),
    "right_camera_info": SimTopics.in_camera_namespace(SIM_TOPICS.right_info),
    "odom": SIM_TOPICS.odometry,
}

ARGUMENTS: tuple[ArgumentSpec, ...] = (
    ArgumentSpec(
        "camera",
        CAMERA_NAMESPACE.strip("/"),
        "Namespace of the camera topics and of the nodes; the outputs are <camera>/depth/image, "
        "<camera>/depth/camera_info and <camera>/points (empty: the root namespace)",
    ),
    ArgumentSpec(
        "image",
        _DEFAULT_TOPICS["image"],
        "Camera image topic (sensor_msgs/Image, or its /compressed companion with image_transport compressed); "
        "relative names resolve in the camera namespace (a simulate bag's /camera/left/image_raw by default)",
    ),
    ArgumentSpec("camera_info", _DEFAULT_TOPICS["camera_info"], "CameraInfo topic of that image"),
    ArgumentSpec("right_image", _DEFAULT_TOPICS["right_image"], "Right camera image topic (calibration stereo)"),
    ArgumentSpec(
        "right_camera_info",
        _DEFAULT_TOPICS["right_camera_info"],
        "Right camera CameraInfo topic (calibration stereo; its projection matrix gives the baseline)",
    ),
    ArgumentSpec("odom", _DEFAULT_TOPICS["odom"], "nav_msgs/Odometry topic (calibration odometry)"),
    ArgumentSpec(
        "checkpoint",
        "",
        "mono_depth_ros checkpoint (.pt) for the depth and calibration nodes (empty: the params files' value)",
    ),
    ArgumentSpec(
        "device",
        "",
        "auto, cpu, cuda or cuda:N for the depth and calibration nodes (empty: the params files' value, auto)",
    ),
    ArgumentSpec(
        "calibration",
        Calibration.NONE.value,
        "Online metric scale: none (a metric checkpoint's own scale; a relative one waits for a depth_scale), "
        "odometry, stereo or ground (a calibration_node publishes depth_scale and the depth node applies it)",
        choices=tuple(c.value for c in Calibration),
    ),
    ArgumentSpec(
        "params_file",
        "",
        "Extra ROS 2 parameters YAML for every node, applied after config/depth.yaml and config/calibration.yaml "
        "(empty: none); the other arguments still win over it",
    ),
    ArgumentSpec("use_rviz", "false", "Start RViz2 with config/depth.rviz (point cloud and depth image)", is_flag=True),
    ArgumentSpec(
        "use_sim_time", "false", "Use the /clock topic (a bag played with its clock) as the nodes' time", is_flag=True
    ),
)

ARGUMENT_NAMES: tuple[str, ...] = tuple(spec.name for spec in ARGUMENTS)
_BY_NAME = {spec.name: spec for spec in ARGUMENTS}


def argument_spec(name: str) -> ArgumentSpec:
    """The table entry of `name`; a LaunchArgumentError listing the known names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise LaunchArgumentError(
            f"unknown launch argument {name!r}; expected one of {', '.join(ARGUMENT_NAMES)}"
        ) from None


# ROS 2 names: tokens of letters, digits and underscores that do not start with a digit, separated by single '/'.
_TOKENS = r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*"
_NAMESPACE = re.compile(rf"/?(?:{_TOKENS}/?)?")
_TOPIC = re.compile(rf"(?:/|~/)?{_TOKENS}")
_DEVICE = re.compile(r"auto|cpu|cuda(?::\d+)?")
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


def check_namespace(name: str, value: str) -> str:
    """`value` as an absolute ROS namespace ('' and '/' are the root namespace)."""
    if not isinstance(value, str) or not _NAMESPACE.fullmatch(value):
        raise LaunchArgumentError(
            f"{name} must be a ROS namespace (letters, digits and underscores separated by single '/', no token "
            f"starting with a digit), got {value!r}"
        )
    return "/" + value.strip("/")


def check_topic(name: str, value: str) -> str:
    """`value` if it is a valid ROS topic name (absolute, relative or private '~/...')."""
    if not isinstance(value, str) or not _TOPIC.fullmatch(value):
        raise LaunchArgumentError(
            f"{name} must be a ROS topic name (letters, digits and underscores separated by single '/', no token "
            f"starting with a digit), got {value!r}"
        )
    return value


def parse_flag(name: str, value: str | bool) -> bool:
    """A launch-file boolean: true/false or 1/0, any case (as launch's conditions accept them)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise LaunchArgumentError(f"{name} must be true or false, got {value!r}")


def _existing_file(name: str, value: Path | str | None) -> Path | None:
    if value is None or value == "":
        return None
    path = Path(value).expanduser().absolute()
    if not path.exists():
        raise LaunchArgumentError(f"{name} {path} does not exist")
    if not path.is_file():
        raise LaunchArgumentError(f"{name} {path} is not a file")
    return path


@dataclass(frozen=True)
class LaunchArguments:
    """The validated launch arguments (see `ARGUMENTS` for what each one means).

    Construction normalises: `camera` becomes an absolute namespace, paths become absolute (the nodes may run
    in another folder), `calibration` becomes a `Calibration`; any invalid value is a LaunchArgumentError that
    names the argument and the value.
    """

    camera: str = CAMERA_NAMESPACE
    image: str = _DEFAULT_TOPICS["image"]
    camera_info: str = _DEFAULT_TOPICS["camera_info"]
    right_image: str = _DEFAULT_TOPICS["right_image"]
    right_camera_info: str = _DEFAULT_TOPICS["right_camera_info"]
    odom: str = _DEFAULT_TOPICS["odom"]
    checkpoint: Path | None = None
    device: str = ""
    calibration: Calibration = Calibration.NONE
    params_file: Path | None = None
    use_rviz: bool = False
    use_sim_time: bool = False

    def __post_init__(self) -> None:
        normalised = {
            "camera": check_namespace("camera", self.camera),
            "checkpoint": _existing_file("checkpoint", self.checkpoint),
            "params_file": _existing_file("params_file", self.params_file),
            "use_rviz": parse_flag("use_rviz", self.use_rviz),
            "use_sim_time": parse_flag("use_sim_time", self.use_sim_time),
        }
        for topic in ("image", "camera_info", "right_image", "right_camera_info", "odom"):
            check_topic(topic, getattr(self, topic))
        if not isinstance(self.device, str) or (self.device and not _DEVICE.fullmatch(self.device)):
            raise LaunchArgumentError(f"device must be empty, auto, cpu, cuda or cuda:N, got {self.device!r}")
        try:
            normalised["calibration"] = Calibration(self.calibration)
        except ValueError:
            choices = ", ".join(c.value for c in Calibration)
            raise LaunchArgumentError(f"calibration must be one of {choices}, got {self.calibration!r}") from None
        for key, value in normalised.items():
            object.__setattr__(self, key, value)

    @classmethod
    def from_strings(cls, values: Mapping[str, str]) -> LaunchArguments:
        """From launch-argument strings (name -> value); missing names take the table's defaults."""
        for name in values:
            argument_spec(name)
        merged = {spec.name: values.get(spec.name, spec.default) for spec in ARGUMENTS}
        return cls(**merged)

    def to_strings(self) -> dict[str, str]:
        """The launch-argument strings that `from_strings` turns back into this record."""
        out: dict[str, str] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool):
                out[field.name] = "true" if value else "false"
            elif isinstance(value, Calibration):
                out[field.name] = value.value
            elif value is None:
                out[field.name] = ""
            else:
                out[field.name] = str(value)
        return out
