"""Camera frames from a bag as numpy images: RGB frames of an Image or CompressedImage topic, and depth frames.

The one place that turns bag image messages into arrays, shared by `predict`, `eval` and the training data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mono_depth_ros.core.wire.errors import UnsupportedEncodingError, WireFormatError
from mono_depth_ros.core.wire.image import decode_compressed_message, decode_image_message, image_to_rgb8
from mono_depth_ros.core.wire.stamps import stamp_ns
from mono_depth_ros.data.bag.errors import BagError
from mono_depth_ros.data.bag.reading import iter_messages

IMAGE_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage")


class ImageFrame(NamedTuple):
    stamp_ns: int
    """The message header's stamp (the camera's time), nanoseconds."""
    frame_id: str
    pixels: np.ndarray
    """(H, W, 3) uint8 RGB for colour frames; (H, W) float32 metres for depth frames."""


def message_to_rgb(message: object) -> np.ndarray:
    """A sensor_msgs/Image or CompressedImage (rosbags or rclpy object) as (H, W, 3) uint8 RGB."""
    if hasattr(message, "format"):
        pixels, encoding = decode_compressed_message(message)
    else:
        pixels, encoding = decode_image_message(message), message.encoding
    return image_to_rgb8(pixels, encoding)


def message_to_depth(message: object) -> np.ndarray:
    """A REP 118 depth image (32FC1 metres, or 16UC1 millimetres with 0 = no measurement) as (H, W) float32 metres;
    no measurement becomes NaN."""
    pixels = decode_image_message(message)
    if message.encoding == "32FC1":
        return pixels.astype(np.float32, copy=False)
    if message.encoding in ("16UC1", "mono16"):
        depth = pixels.astype(np.float32) / 1000.0
        depth[pixels == 0] = np.nan
        return depth
    raise UnsupportedEncodingError(f"depth image encoding {message.encoding!r} is not 32FC1 or 16UC1 (REP 118)")


def iter_rgb_frames(path: Path | str, topic: str, *, max_frames: int | None = None) -> Iterator[ImageFrame]:
    """Frames of an Image or CompressedImage topic, in bag order, as RGB."""
    for index, item in enumerate(iter_messages(path, [topic])):
        if max_frames is not None and index >= max_frames:
            return
        yield _frame(item, path, "rgb")


def iter_rgb_depth_pairs(
    path: Path | str, image_topic: str, depth_topic: str, *, max_frames: int | None = None
) -> Iterator[tuple[ImageFrame, ImageFrame]]:
    """(RGB frame, depth frame) pairs with identical header stamps, in bag order; frames without a partner are
    skipped (a depth frame may arrive before or after its image)."""
    if image_topic == depth_topic:
        raise BagError(f"the image and depth topics must differ, both are {image_topic}")
    waiting: dict[str, dict[int, ImageFrame]] = {image_topic: {}, depth_topic: {}}
    produced = 0
    for item in iter_messages(path, [image_topic, depth_topic]):
        kind = "rgb" if item.topic == image_topic else "depth"
        frame = _frame(item, path, kind)
        other = depth_topic if item.topic == image_topic else image_topic
        partner = waiting[other].pop(frame.stamp_ns, None)
        if partner is None:
            waiting[item.topic][frame.stamp_ns] = frame
            continue
        yield (frame, partner) if kind == "rgb" else (partner, frame)
        produced += 1
        if max_frames is not None and produced >= max_frames:
            return


def _frame(item: object, path: Path | str, kind: str) -> ImageFrame:
    message = item.message
    try:
        pixels = message_to_rgb(message) if kind == "rgb" else message_to_depth(message)
        return ImageFrame(stamp_ns(message.header), message.header.frame_id, pixels)
    except WireFormatError as error:
        raise BagError(f"bag {path}, topic {item.topic} at {item.stamp_ns} ns: {error}") from None
    except AttributeError:
        raise BagError(
            f"bag {path}, topic {item.topic} does not carry images ({type(item.message).__name__}); "
            f"expected one of {', '.join(IMAGE_TYPES)}"
        ) from None
