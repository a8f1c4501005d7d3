"""trainer_node's parameters (shared/DESIGN.md section 4) as specs, and the validated settings they map to: which
bags and topics to train on (`BagSelection`), the `TrainingConfig` (the training YAML named by `config`, then the
node's parameters), and where the run is written.

ROS-free apart from the spec records. Precedence of the training settings: the node's `mode`, `max_steps` and
`device` replace the training YAML's keys (they are the node's interface; `training_config` reports each key the
file sets differently so that the override is never silent); a non-empty `init_checkpoint` and a true
`freeze_encoder` replace the file's too, while their defaults keep what the file says.

Every parameter but `exit_when_done` is fixed once the node runs (training starts at once): the descriptors are
not marked read-only because rclpy would then refuse a change with a reason that omits the value, so the node's
`ParameterGuard` refuses instead, naming the parameter, the value asked for and the value in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mono_depth_ros.core.models import TrainingMode
from mono_depth_ros.core.training.config import TrainingConfig, load_training_config
from mono_depth_ros.data.training.selection import BagSelection
from mono_depth_ros.launch_plan.arguments import check_topic
from mono_depth_ros.launch_plan.errors import LaunchArgumentError
from mono_depth_ros.ros.depth_config import check_device
from mono_depth_ros.ros.errors import ParameterError
from mono_depth_ros.ros.parameters import NodeSettings, ParameterSpec

__all__ = ["MODES", "OVERRIDDEN_KEYS", "RUNTIME_PARAMETERS", "TRAINER_PARAMETERS", "TrainerSettings"]

MODES: tuple[str, ...] = tuple(mode.value for mode in TrainingMode)
MAX_STEPS = 10**9

TRAINER_PARAMETERS: tuple[ParameterSpec, ...] = (
    ParameterSpec("bags", [], "rosbag2 folders or files (mcap, sqlite3) to train on; at least one"),
    ParameterSpec("image_topic", "/camera/left/image_raw", "(left) camera image topic in the bags: "
                  "sensor_msgs/Image or CompressedImage"),
    ParameterSpec("camera_info_topic", "", "CameraInfo topic of the image (empty: the one beside it, as "
                  "image_transport names it: /cam/image_raw[/compressed] -> /cam/camera_info)"),
    ParameterSpec("right_image_topic", "", "right camera image topic of a rectified pair (stereo modes; its "
                  "camera_info is the one beside it)"),
    ParameterSpec("odom_topic", "", "nav_msgs/Odometry topic (optional: odometry at the frames' stamps)"),
    ParameterSpec("depth_topic", "", "optional ground-truth depth (32FC1 / 16UC1) of the image: validation then "
                  "reports Abs Rel"),
    ParameterSpec("mode", "mono", "training mode (replaces the training YAML's mode)", choices=MODES),
    ParameterSpec("config", "", "training YAML with the keys of config/train.yaml (empty: the defaults)"),
    ParameterSpec("init_checkpoint", "", "start a new run from this checkpoint's weights (empty: the training "
                  "YAML's; resuming the run in output_dir comes first)"),
    ParameterSpec("output_dir", "", "folder of the run: checkpoints, losses.csv; a run there is resumed"),
    ParameterSpec("max_steps", 1000, "train to this step (replaces the training YAML's max_steps)", minimum=1,
                  maximum=MAX_STEPS),
    ParameterSpec("device", "auto", "training device: auto (CUDA when present), cpu, cuda or cuda:N (replaces the "
                  "training YAML's)"),
    ParameterSpec("freeze_encoder", False, "true: fine-tune the decoder only, the depth encoder fixed (false: the "
                  "training YAML's setting)"),
    ParameterSpec("exit_when_done", True, "end the process when training finishes (a batch job in a launch file); "
                  "false: keep running so late subscribers get trained_checkpoint; may change at run time"),
)  # fmt: skip

#: The only parameter that may change while the node runs.
RUNTIME_PARAMETERS = frozenset(("exit_when_done",))
#: Training YAML keys the node's parameters replace.
OVERRIDDEN_KEYS = ("mode", "max_steps", "device")
_TOPICS = ("image_topic", "camera_info_topic", "right_image_topic", "odom_topic", "depth_topic")


@dataclass(frozen=True)
class TrainerSettings(NodeSettings):
    """The node's parameter values, checked together (see the module docstring for what each means)."""

    bags: tuple[str, ...] = ()
    image_topic: str = "/camera/left/image_raw"
    camera_info_topic: str = ""
    right_image_topic: str = ""
    odom_topic: str = ""
    depth_topic: str = ""
    mode: str = "mono"
    config: str = ""
    init_checkpoint: str = ""
    output_dir: str = ""
    max_steps: int = 1000
    device: str = "auto"
    freeze_encoder: bool = False
    exit_when_done: bool = True

    def validated(self) -> TrainerSettings:
        """At least one bag and no empty entry, an image topic, valid topic names, an output folder, an existing
        init_checkpoint when one is named, a device this machine has; `bags` as a tuple."""
        bags = tuple(self.bags)
        object.__setattr__(self, "bags", bags)
        if not bags:
            raise ParameterError(
                "parameter 'bags' is empty: name at least one rosbag2 folder or file, e.g. -p bags:=[/data/drive]"
            )
        for index, bag in enumerate(bags):
            if not str(bag).strip():
                raise ParameterError(f"parameter 'bags'[{index}] is an empty path (in {list(bags)!r})")
        if not self.image_topic.strip():
            raise ParameterError(
                f"parameter 'image_topic' must name the image topic in the bags, got {self.image_topic!r}"
            )
        for name in _TOPICS:
            value = getattr(self, name)
            if value:
                try:
                    check_topic(f"parameter {name!r}", value)
                except LaunchArgumentError as exc:
                    raise ParameterError(str(exc)) from None
        if not self.output_dir.strip():
            raise ParameterError(
                "parameter 'output_dir' is empty: name the folder for the run's checkpoints, e.g. "
                "-p output_dir:=runs/finetune"
            )
        if self.init_checkpoint and not Path(self.init_checkpoint).expanduser().is_file():
            raise ParameterError(f"parameter 'init_checkpoint': {self.init_checkpoint!r} is not a file")
        check_device(self.device)
        return self

    @property
    def output_path(self) -> Path:
        return Path(self.output_dir).expanduser()

    @property
    def config_path(self) -> Path | None:
        return Path(self.config).expanduser() if self.config.strip() else None

    def selection(self) -> BagSelection:
        """The bags and topics to read (BagDataError naming a value when they do not fit together)."""
        return BagSelection(
            bags=tuple(Path(bag).expanduser() for bag in self.bags),
            image_topic=self.image_topic,
            camera_info_topic=self.camera_info_topic,
            right_image_topic=self.right_image_topic,
            odom_topic=self.odom_topic,
            depth_topic=self.depth_topic,
        )

    def training_config(self) -> tuple[TrainingConfig, list[str]]:
        """The run's `TrainingConfig` (TrainingConfigError naming a bad key or value) and a note for each key of
        the training YAML that a parameter replaced with another value."""
        path = self.config_path
        overrides: dict[str, Any] = {"mode": self.mode, "max_steps": self.max_steps, "device": self.device}
        if self.init_checkpoint:
            overrides["init_checkpoint"] = str(Path(self.init_checkpoint).expanduser())
        if self.freeze_encoder:
            overrides["freeze_encoder"] = True
        config = load_training_config(path, **overrides)
        notes: list[str] = []
        if path is not None:
            given = _yaml_mapping(path)
            for key in (*OVERRIDDEN_KEYS, "init_checkpoint", "freeze_encoder"):
                if key in given and key in overrides and given[key] != overrides[key]:
                    notes.append(f"parameter {key!r} ({overrides[key]!r}) replaces {key}: {given[key]!r} of {path}")
        return config, notes


def _yaml_mapping(path: Path) -> Mapping[str, Any]:
    """The keys of a training YAML that `load_training_config` has already accepted."""
    import yaml

    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, Mapping) else {}
