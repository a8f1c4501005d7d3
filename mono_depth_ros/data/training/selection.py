"""Which bags and topics a training run reads: `BagSelection`, with image_transport's naming conventions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mono_depth_ros.data.training.errors import BagDataError

__all__ = ["TRANSPORT_SUFFIXES", "BagSelection", "camera_info_topic_for"]

TRANSPORT_SUFFIXES = ("compressed", "compressedDepth", "theora", "zstd")
"""image_transport publishes `<image>/<transport>`; the camera_info topic sits beside `<image>`."""


def _absolute(topic: str) -> str:
    return topic if topic.startswith("/") else f"/{topic}"


def camera_info_topic_for(image_topic: str) -> str:
    """The camera_info topic image_transport pairs with `image_topic`: /cam/image_raw[/compressed] ->
    /cam/camera_info."""
    parts = _absolute(image_topic).rstrip("/").split("/")
    if len(parts) > 2 and parts[-1] in TRANSPORT_SUFFIXES:
        parts = parts[:-1]
    return "/".join([*parts[:-1], "camera_info"])


@dataclass(frozen=True)
class BagSelection:
    """The recordings and topics to train on; empty strings mean "not used" (or, for camera_info, the topic beside
    the image's). Topics are made absolute (bags store absolute names)."""

    bags: tuple[Path, ...]
    image_topic: str
    camera_info_topic: str = ""
    right_image_topic: str = ""
    right_camera_info_topic: str = ""
    odom_topic: str = ""
    depth_topic: str = ""
    """Optional ground-truth depth (32FC1 / 16UC1) of the left camera: validation then reports Abs Rel."""

    def __post_init__(self) -> None:
        bags = tuple(Path(bag) for bag in self.bags)
        if not bags:
            raise BagDataError("give at least one bag to train on")
        if len({bag.resolve() for bag in bags}) != len(bags):
            raise BagDataError(f"a bag is listed twice: {', '.join(str(b) for b in bags)}")
        object.__setattr__(self, "bags", bags)
        if not self.image_topic.strip("/"):
            raise BagDataError(f"image topic must be a topic name, got {self.image_topic!r}")
        for name in ("image_topic", "right_image_topic", "odom_topic", "depth_topic"):
            value = getattr(self, name)
            if value:
                object.__setattr__(self, name, _absolute(value))
        left_info = self.camera_info_topic or camera_info_topic_for(self.image_topic)
        object.__setattr__(self, "camera_info_topic", _absolute(left_info))
        if self.right_image_topic:
            if self.right_image_topic == self.image_topic:
                raise BagDataError(f"the left and right image topics must differ, both are {self.image_topic}")
            right_info = self.right_camera_info_topic or camera_info_topic_for(self.right_image_topic)
            object.__setattr__(self, "right_camera_info_topic", _absolute(right_info))
        elif self.right_camera_info_topic:
            raise BagDataError(
                f"right camera_info topic {self.right_camera_info_topic!r} given without a right image topic"
            )

    @property
    def stereo(self) -> bool:
        return bool(self.right_image_topic)
