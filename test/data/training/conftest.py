"""Bags for the training-data tests: simulated drives (`record_drive`) and hand-made camera recordings."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.geometry import PinholeIntrinsics
from mono_depth_ros.core.wire import CameraModel
from mono_depth_ros.data.bag import BagWriter, typestore_for
from mono_depth_ros.data.bag.messages import MessageFactory
from mono_depth_ros.data.recording import RecordingOptions, record_drive

SIM_WIDTH, SIM_HEIGHT, SIM_FRAMES = 128, 64, 12


@pytest.fixture(scope="session")
def sim_bags(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Simulated stereo drives: mcap raw, mcap jpeg, sqlite3 raw, sqlite3 jpeg (same seed, so same poses)."""
    folder = tmp_path_factory.mktemp("sim_bags")
    bags = {}
    for storage in ("mcap", "sqlite3"):
        for compressed in (False, True):
            name = f"{storage}-{'jpeg' if compressed else 'raw'}"
            bags[name] = folder / name
            record_drive(
                RecordingOptions(
                    out=bags[name], frames=SIM_FRAMES, width=SIM_WIDTH, height=SIM_HEIGHT, stereo=True,
                    compressed=compressed, storage=storage, seed=5,
                )
            )  # fmt: skip
    return bags


def camera(width: int = 64, height: int = 48, fx: float = 50.0, baseline: float = 0.0) -> CameraModel:
    return CameraModel.from_intrinsics(
        PinholeIntrinsics(fx, fx, width / 2 - 0.5, height / 2 - 0.5, width, height), baseline
    )


def random_frames(count: int, width: int = 64, height: int = 48, seed: int = 0) -> list[np.ndarray]:
    """Frames that all differ strongly from each other (the camera 'moves')."""
    generator = np.random.default_rng(seed)
    return [generator.integers(0, 256, (height, width, 3), dtype=np.uint8) for _ in range(count)]


def write_camera_bag(
    path: Path,
    frames: Sequence[tuple[int, np.ndarray]],
    infos: Sequence[tuple[int, CameraModel]],
    *,
    right: Sequence[tuple[int, np.ndarray]] = (),
    right_infos: Sequence[tuple[int, CameraModel]] = (),
    distribution: str = "kilted",
    storage: str = "mcap",
    extra_topic: bool = False,
) -> Path:
    """A bag with /cam/image_raw (+ /cam/camera_info) and optionally /right/image_raw (+ camera_info); each list
    holds (header stamp ns, payload), written in stamp order."""
    typestore = typestore_for(distribution)
    messages = MessageFactory(typestore)
    entries = [(s, "/cam/image_raw", m) for s, m in frames] + [(s, "/cam/camera_info", m) for s, m in infos]
    entries += [(s, "/right/image_raw", m) for s, m in right] + [(s, "/right/camera_info", m) for s, m in right_infos]
    with BagWriter(path, typestore, storage=storage) as bag:
        bag.add_topic("/cam/image_raw", "sensor_msgs/msg/Image")
        bag.add_topic("/cam/camera_info", "sensor_msgs/msg/CameraInfo")
        if right:
            bag.add_topic("/right/image_raw", "sensor_msgs/msg/Image")
            bag.add_topic("/right/camera_info", "sensor_msgs/msg/CameraInfo")
        if extra_topic:
            bag.add_topic("/chatter", "std_msgs/msg/String")
            bag.write("/chatter", typestore.types["std_msgs/msg/String"](data="hi"), 1)
        # camera_info before the frame of the same stamp, as a camera driver publishes them
        for stamp, topic, payload in sorted(entries, key=lambda e: (e[0], "image" in e[1])):
            if "camera_info" in topic:
                bag.write(topic, messages.camera_info(payload, stamp, "cam"), stamp)
            else:
                bag.write(topic, messages.image(payload, "rgb8", stamp, "cam"), stamp)
    return path
