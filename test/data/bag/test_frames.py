"""Camera frames read back from real bags: RGB from raw and compressed topics, depth in both REP 118 encodings, and
image/depth pairing by header stamp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.data.bag import BagError, BagWriter, typestore_for
from mono_depth_ros.data.bag.frames import iter_rgb_depth_pairs, iter_rgb_frames
from mono_depth_ros.data.bag.messages import MessageFactory

RNG = np.random.default_rng(5)
IMAGES = [RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8) for _ in range(3)]
DEPTHS = [RNG.uniform(0.5, 60.0, (6, 8)).astype(np.float32) for _ in range(3)]
STAMPS = [1_000_000_000 + 100_000_000 * i for i in range(3)]


def write_bag(path: Path, *, image_encoding: str = "rgb8", compressed: bool = False, depth_mm: bool = False) -> Path:
    typestore = typestore_for("kilted")
    make = MessageFactory(typestore)
    image_topic = "/cam/image/compressed" if compressed else "/cam/image"
    with BagWriter(path, typestore) as bag:
        bag.add_topic(image_topic, "sensor_msgs/msg/" + ("CompressedImage" if compressed else "Image"))
        bag.add_topic("/cam/depth", "sensor_msgs/msg/Image")
        bag.add_topic("/chatter", "std_msgs/msg/String")
        # Depth of frame 0 is written after the image of frame 1: pairing goes by header stamp, not arrival order.
        order = [("image", 0), ("image", 1), ("depth", 0), ("depth", 1), ("depth", 2), ("image", 2)]
        for receive, (kind, index) in enumerate(order):
            stamp = STAMPS[index]
            if kind == "image" and compressed:
                message = make.compressed_image(IMAGES[index], stamp, "cam", fmt="png")
            elif kind == "image":
                pixels = IMAGES[index][..., ::-1] if image_encoding == "bgr8" else IMAGES[index]
                message = make.image(np.ascontiguousarray(pixels), image_encoding, stamp, "cam")
            elif depth_mm:
                millimetres = np.round(DEPTHS[index] * 1000).astype(np.uint16)
                millimetres[0, 0] = 0
                message = make.image(millimetres, "16UC1", stamp, "cam")
            else:
                message = make.depth_image(DEPTHS[index], stamp, "cam")
            bag.write(image_topic if kind == "image" else "/cam/depth", message, 5_000_000_000 + receive)
        bag.write("/chatter", typestore.types["std_msgs/msg/String"](data="hello"), 6_000_000_000)
    return path


@pytest.mark.parametrize("encoding", ["rgb8", "bgr8"])
def test_rgb_frames_of_a_raw_topic(tmp_path, encoding):
    bag = write_bag(tmp_path / "bag", image_encoding=encoding)
    frames = list(iter_rgb_frames(bag, "/cam/image"))
    assert [f.stamp_ns for f in frames] == STAMPS
    assert all(f.frame_id == "cam" for f in frames)
    for frame, expected in zip(frames, IMAGES, strict=True):
        np.testing.assert_array_equal(frame.pixels, expected)
    assert len(list(iter_rgb_frames(bag, "/cam/image", max_frames=2))) == 2


def test_rgb_frames_of_a_compressed_topic(tmp_path):
    bag = write_bag(tmp_path / "bag", compressed=True)
    frames = list(iter_rgb_frames(bag, "/cam/image/compressed"))
    for frame, expected in zip(frames, IMAGES, strict=True):
        np.testing.assert_array_equal(frame.pixels, expected)


@pytest.mark.parametrize("depth_mm", [False, True])
def test_pairs_match_on_header_stamps(tmp_path, depth_mm):
    bag = write_bag(tmp_path / "bag", depth_mm=depth_mm)
    pairs = list(iter_rgb_depth_pairs(bag, "/cam/image", "/cam/depth"))
    assert [(image.stamp_ns, depth.stamp_ns) for image, depth in pairs] == [(s, s) for s in STAMPS]
    for (image, depth), rgb, metres in zip(pairs, IMAGES, DEPTHS, strict=True):
        np.testing.assert_array_equal(image.pixels, rgb)
        assert depth.pixels.dtype == np.float32
        if depth_mm:
            assert np.isnan(depth.pixels[0, 0])
            np.testing.assert_allclose(depth.pixels.ravel()[1:], metres.ravel()[1:], atol=5e-4)
        else:
            np.testing.assert_array_equal(depth.pixels, metres)
    assert len(list(iter_rgb_depth_pairs(bag, "/cam/image", "/cam/depth", max_frames=1))) == 1


def test_errors_name_the_bag_and_topic(tmp_path):
    bag = write_bag(tmp_path / "bag")
    with pytest.raises(BagError, match=r"has no topic /nope; it has: /cam/image \(sensor_msgs/msg/Image, 3\)"):
        list(iter_rgb_frames(bag, "/nope"))
    with pytest.raises(BagError, match=r"topic /chatter does not carry images \(std_msgs__msg__String\)"):
        list(iter_rgb_frames(bag, "/chatter"))
    with pytest.raises(BagError, match=r"topic /cam/image at .* ns: depth image encoding 'rgb8' is not 32FC1"):
        list(iter_rgb_depth_pairs(bag, "/cam/depth", "/cam/image"))
    with pytest.raises(BagError, match="the image and depth topics must differ, both are /cam/image"):
        list(iter_rgb_depth_pairs(bag, "/cam/image", "/cam/image"))
