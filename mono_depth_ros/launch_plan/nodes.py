"""The node set of a launch, as data: `plan_nodes(arguments)` -> NodeSpecs that `depth.launch.py` turns into
launch_ros Nodes and `mono-depth-ros launch` turns into processes with `--ros-args`.

Parameters are an ordered list of params files and override dicts, applied in order (a later value wins), as
launch_ros and rcl both apply them:
  1. the package's config file of the node (config/depth.yaml, config/calibration.yaml);
  2. the user's params_file;
  3. what the launch arguments set explicitly: use_sim_time, checkpoint and device when given, the calibration
     mode, and depth_node's scale_source topic when a calibration node feeds depth_scale. Without calibration
     scale_source stays the params files' (topic in config/depth.yaml: a metric checkpoint uses its own scale, a
     relative one waits for a depth_scale; a params_file may choose fixed with its scale).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mono_depth_ros.launch_plan.arguments import Calibration, LaunchArguments
from mono_depth_ros.launch_plan.errors import LaunchArgumentError
from mono_depth_ros.launch_plan.share import CALIBRATION_PARAMS, DEPTH_PARAMS, PACKAGE, RVIZ_CONFIG, find_share_dir

__all__ = [
    "DEPTH_OUTPUTS",
    "RVIZ_CONFIG_NAMESPACE",
    "RVIZ_TOPICS",
    "NodeSpec",
    "ParameterValue",
    "format_parameter_value",
    "plan_nodes",
]

ParameterValue = bool | int | float | str | Sequence[bool] | Sequence[int] | Sequence[float] | Sequence[str]
ParameterEntry = Path | Mapping[str, ParameterValue]

#: Topics depth_node publishes, relative to its namespace (shared/DESIGN.md section 4).
DEPTH_OUTPUTS = ("depth/image", "depth/camera_info", "points")
#: config/depth.rviz shows these topics of the default camera namespace; RViz is remapped for any other.
RVIZ_CONFIG_NAMESPACE = "/camera"
RVIZ_TOPICS = ("points", "depth/image")

# A string rcl's YAML parser reads back as this same string without quotes (no number, bool or null look-alike).
_PLAIN_STRING = re.compile(r"[A-Za-z_/][A-Za-z0-9_./:+-]*")
_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf", "infinity"}


def _format_scalar(value: bool | int | float | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr keeps a decimal point (1.0, not 1), so the parameter stays a double.
        return repr(value) if value == value and abs(value) != float("inf") else _bad_value(value)
    if isinstance(value, str):
        if _PLAIN_STRING.fullmatch(value) and value.lower() not in _YAML_WORDS:
            return value
        return _quoted(value)
    return _bad_value(value)


def _bad_value(value: object) -> str:
    raise LaunchArgumentError(f"a ROS parameter value must be a finite bool, int, float or string, got {value!r}")


def format_parameter_value(value: ParameterValue) -> str:
    """`value` as the YAML text of `-p name:=value` (strings quoted only where YAML would read another type)."""
    if isinstance(value, (list, tuple)):
        # Inside a flow sequence ',' and ']' end a plain string: quote every string item.
        items = [_quoted(item) if isinstance(item, str) else _format_scalar(item) for item in value]
        return "[" + ", ".join(items) + "]"
    return _format_scalar(value)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class NodeSpec:
    """One node to start: what `launch_ros.actions.Node` takes, and the `--ros-args` form of the same."""

    package: str
    executable: str
    name: str
    namespace: str
    """Absolute ('/camera', or '/' for the root namespace)."""
    parameters: tuple[ParameterEntry, ...] = ()
    """Params files and override dicts, applied in order (a later value wins)."""
    remappings: tuple[tuple[str, str], ...] = ()
    arguments: tuple[str, ...] = ()
    """Non-ROS command-line arguments (given before --ros-args)."""

    def ros_args(self) -> list[str]:
        """`--ros-args -r __node:=name -r __ns:=namespace -r from:=to ... --params-file F -p name:=value ...`."""
        args = ["--ros-args", "-r", f"__node:={self.name}", "-r", f"__ns:={self.namespace}"]
        for source, target in self.remappings:
            args += ["-r", f"{source}:={target}"]
        for entry in self.parameters:
            if isinstance(entry, Path):
                args += ["--params-file", str(entry)]
            else:
                for key, value in entry.items():
                    args += ["-p", f"{key}:={format_parameter_value(value)}"]
        return args

    def command_arguments(self) -> list[str]:
        """Everything after the executable on its command line."""
        return [*self.arguments, *self.ros_args()]

    def launch_namespace(self) -> str | None:
        """`namespace=` of a launch_ros Node: relative ('camera'), so that a PushRosNamespace around an include of
        the launch file prefixes it; None for the root namespace."""
        return self.namespace.strip("/") or None

    def launch_parameters(self) -> list[str | dict[str, ParameterValue]]:
        """`parameters=` of a launch_ros Node: file paths as strings, override dicts as dicts."""
        return [str(entry) if isinstance(entry, Path) else dict(entry) for entry in self.parameters]

    def launch_node_arguments(self) -> dict[str, object]:
        """The keyword arguments of `launch_ros.actions.Node` for this node (the launch files add output= and
        timeouts)."""
        return {
            "package": self.package,
            "executable": self.executable,
            "name": self.name,
            "namespace": self.launch_namespace(),
            "parameters": self.launch_parameters(),
            "remappings": list(self.remappings),
            "arguments": list(self.arguments),
        }


def _image_remaps(local: str, target: str) -> list[tuple[str, str]]:
    # rcl remaps exact names: the image_transport companion topic needs its own rule.
    return [(local, target), (f"{local}/compressed", f"{target}/compressed")]


def _camera_remaps(arguments: LaunchArguments) -> list[tuple[str, str]]:
    """The node's `image` (and its compressed companion) and `camera_info` to the chosen camera topics."""
    return [*_image_remaps("image", arguments.image), ("camera_info", arguments.camera_info)]


def _calibration_remaps(arguments: LaunchArguments) -> list[tuple[str, str]]:
    mode = arguments.calibration
    if mode is Calibration.STEREO:
        return [
            *_image_remaps("left/image", arguments.image),
            ("left/camera_info", arguments.camera_info),
            *_image_remaps("right/image", arguments.right_image),
            ("right/camera_info", arguments.right_camera_info),
        ]
    remaps = _camera_remaps(arguments)
    if mode is Calibration.ODOMETRY:
        remaps.append(("odom", arguments.odom))
    return remaps


def _model_overrides(arguments: LaunchArguments) -> dict[str, ParameterValue]:
    overrides: dict[str, ParameterValue] = {"use_sim_time": arguments.use_sim_time}
    if arguments.checkpoint is not None:
        overrides["checkpoint"] = str(arguments.checkpoint)
    if arguments.device:
        overrides["device"] = arguments.device
    return overrides


def _package_node(
    name: str,
    arguments: LaunchArguments,
    config: Path,
    overrides: dict[str, ParameterValue],
    remappings: list[tuple[str, str]],
) -> NodeSpec:
    """One of the package's nodes in the camera namespace, its parameters in the order of the module docstring:
    its config file under the share folder, the user's params_file, then the launch arguments' `overrides`."""
    user_file: list[ParameterEntry] = [] if arguments.params_file is None else [arguments.params_file]
    return NodeSpec(
        package=PACKAGE,
        executable=name,
        name=name,
        namespace=arguments.camera,
        parameters=(config, *user_file, overrides),
        remappings=tuple(remappings),
    )


def plan_nodes(arguments: LaunchArguments, share_dir: Path | None = None) -> list[NodeSpec]:
    """The nodes `arguments` ask for: depth_node, a calibration_node unless calibration is none, RViz2 with
    use_rviz. `share_dir` holds config/ (default: `find_share_dir()`, the running package's)."""
    share = find_share_dir() if share_dir is None else Path(share_dir)
    calibrated = arguments.calibration is not Calibration.NONE

    depth_overrides = _model_overrides(arguments)
    if calibrated:
        depth_overrides["scale_source"] = "topic"
    depth_remaps = _camera_remaps(arguments)
    if arguments.calibration is Calibration.STEREO:
        depth_remaps.append(("right/camera_info", arguments.right_camera_info))
    nodes = [_package_node("depth_node", arguments, share / DEPTH_PARAMS, depth_overrides, depth_remaps)]

    if calibrated:
        # depth_scale is relative in both nodes, and they share the namespace: no remapping needed.
        calibration_overrides = {**_model_overrides(arguments), "mode": arguments.calibration.value}
        calibration_remaps = _calibration_remaps(arguments)
        nodes.append(
            _package_node(
                "calibration_node", arguments, share / CALIBRATION_PARAMS, calibration_overrides, calibration_remaps
            )
        )

    if arguments.use_rviz:
        remaps = ()
        if arguments.camera != RVIZ_CONFIG_NAMESPACE:
            prefix = arguments.camera.rstrip("/")
            remaps = tuple((f"{RVIZ_CONFIG_NAMESPACE}/{topic}", f"{prefix}/{topic}") for topic in RVIZ_TOPICS)
        nodes.append(
            NodeSpec(
                package="rviz2",
                executable="rviz2",
                name="rviz2",
                namespace="/",
                parameters=({"use_sim_time": arguments.use_sim_time},),
                remappings=remaps,
                arguments=("-d", str(share / RVIZ_CONFIG)),
            )
        )
    return nodes
