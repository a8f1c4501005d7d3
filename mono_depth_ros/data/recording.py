"""Record a drive through the synthetic world into a rosbag2, as a robot's `ros2 bag record` would.

Topics and frames follow shared/DESIGN.md ("Bags written by simulate"): camera images and camera_info for the
left (and right) camera, the left camera's ground-truth depth, odometry of base_link in odom at 50 Hz and the static
base_link -> camera optical transforms. Image and odometry stamps are exact integer nanoseconds, so every image
stamp coincides with an odometry sample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mono_depth_ros.core.wire import CameraModel
from mono_depth_ros.core.wire.stamps import NS_PER_S
from mono_depth_ros.data.bag import (
    DEFAULT_DISTRIBUTION,
    DISTRIBUTIONS,
    STORAGE_PLUGINS,
    BagSummary,
    BagWriter,
    StorageFormat,
    summarise_bag,
    typestore_for,
)
from mono_depth_ros.data.bag.messages import MessageFactory
from mono_depth_ros.data.sim import SimConfig, SyntheticWorld
from mono_depth_ros.data.topics import SIM_TOPICS, SimTopics
from mono_depth_ros.errors import ConfigError

#: Stamp of the first frame: a fixed epoch keeps bags from the same seed byte-identical.
START_STAMP_NS = 1_700_000_000 * NS_PER_S


@dataclass(frozen=True)
class RecordingOptions:
    """What `mono-depth-ros simulate` records; validated on construction."""

    out: Path
    frames: int = 100
    width: int = 640
    height: int = 192
    stereo: bool = False
    compressed: bool = False
    storage: StorageFormat = "mcap"
    seed: int = 0
    distribution: str = DEFAULT_DISTRIBUTION
    jpeg_quality: int = 90

    def __post_init__(self) -> None:
        if self.frames < 1:
            raise ConfigError(f"frames must be at least 1, got {self.frames}")
        if self.storage not in STORAGE_PLUGINS:
            raise ConfigError(f"format must be mcap or sqlite3, got {self.storage!r}")
        if self.distribution not in DISTRIBUTIONS:
            raise ConfigError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got {self.distribution!r}")
        if not 1 <= self.jpeg_quality <= 100:
            raise ConfigError(f"jpeg quality must be in [1, 100], got {self.jpeg_quality}")

    def sim_config(self) -> SimConfig:
        return SimConfig(width=self.width, height=self.height, stereo=self.stereo, seed=self.seed)


def frame_stamp_ns(world: SyntheticWorld, index: int) -> int:
    """Stamp of camera frame `index` in integer nanoseconds."""
    return START_STAMP_NS + round(world.frame_time(index) * NS_PER_S)


def record_drive(options: RecordingOptions, progress: Callable[[int], None] | None = None) -> BagSummary:
    """Render `options.frames` frames of a drive, write them to a new bag at `options.out`, return its summary.

    `progress(frames_done)` is called after each frame. The bag appears at `options.out` only once complete.
    """
    world = SyntheticWorld(options.sim_config(), options.frames)
    typestore = typestore_for(options.distribution)
    messages = MessageFactory(typestore)
    topics = SIM_TOPICS
    cameras = [(topics.left_image, topics.left_info, topics.left_frame, world.base_from_left_camera, 0.0)]
    if options.stereo:
        baseline = world.config.baseline
        cameras.append(
            (topics.right_image, topics.right_info, topics.right_frame, world.base_from_right_camera, baseline)
        )
    image_type = "sensor_msgs/msg/CompressedImage" if options.compressed else "sensor_msgs/msg/Image"

    with BagWriter(options.out, typestore, storage=options.storage) as bag:
        bag.add_topic(topics.tf_static, "tf2_msgs/msg/TFMessage", latched=True)
        bag.add_topic(topics.odometry, "nav_msgs/msg/Odometry")
        for image_topic, info_topic, _, _, _ in cameras:
            bag.add_topic(_image_topic(image_topic, options.compressed), image_type)
            bag.add_topic(info_topic, "sensor_msgs/msg/CameraInfo")
        bag.add_topic(topics.left_depth, "sensor_msgs/msg/Image")

        start = frame_stamp_ns(world, 0)
        static = [
            messages.transform_stamped(start, topics.base_frame, frame, base_from_camera)
            for _, _, frame, base_from_camera, _ in cameras
        ]
        bag.write(topics.tf_static, messages.tf_message(static), start)

        odometry_period_ns = round(NS_PER_S / world.config.odom_rate_hz)
        next_odometry_ns = start
        for index in range(options.frames):
            stamp = frame_stamp_ns(world, index)
            # Odometry up to and including this frame's stamp, so the bag is in time order.
            while next_odometry_ns <= stamp:
                _write_odometry(bag, messages, world, next_odometry_ns)
                next_odometry_ns += odometry_period_ns
            frame = world.render_frame(index)
            images = [frame.left_rgb] + ([frame.right_rgb] if options.stereo else [])
            for (image_topic, info_topic, frame_id, _, baseline), rgb in zip(cameras, images, strict=True):
                if options.compressed:
                    message = messages.compressed_image(rgb, stamp, frame_id, quality=options.jpeg_quality)
                else:
                    message = messages.image(rgb, "rgb8", stamp, frame_id)
                # camera_info first: a node replaying the bag then has it before the frame it describes.
                info = CameraModel.from_intrinsics(world.intrinsics, baseline=baseline)
                bag.write(info_topic, messages.camera_info(info, stamp, frame_id), stamp)
                bag.write(_image_topic(image_topic, options.compressed), message, stamp)
            bag.write(topics.left_depth, messages.depth_image(frame.depth, stamp, topics.left_frame), stamp)
            if progress is not None:
                progress(index + 1)
    return summarise_bag(options.out)


def _image_topic(topic: str, compressed: bool) -> str:
    return SimTopics.compressed(topic) if compressed else topic


def _write_odometry(bag: BagWriter, messages: MessageFactory, world: SyntheticWorld, stamp_ns: int) -> None:
    t = (stamp_ns - START_STAMP_NS) / NS_PER_S
    linear, angular = world.base_twist(t)
    message = messages.odometry(stamp_ns, world.base_pose(t), np.asarray(linear), np.asarray(angular))
    bag.write(SIM_TOPICS.odometry, message, stamp_ns)
