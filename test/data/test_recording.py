"""Bags written by `record_drive` (what `mono-depth-ros simulate` runs), checked only through what they hold."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
import torch

from mono_depth_ros.core.geometry import (
    invert_transform,
    make_transform,
    quaternion_to_matrix,
    warp_source_to_target,
)
from mono_depth_ros.core.wire import decode_compressed_message, decode_image_message, stamp_ns
from mono_depth_ros.data.bag import BagError, iter_messages, summarise_bag
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, record_drive
from mono_depth_ros.data.sim import SyntheticWorld
from mono_depth_ros.errors import ConfigError

FRAMES = 4
WIDTH, HEIGHT = 160, 64
T = SIM_TOPICS


def _options(tmp_path: Path, storage: str, compressed: bool, stereo: bool) -> RecordingOptions:
    name = f"{storage}-{'jpeg' if compressed else 'raw'}-{'stereo' if stereo else 'mono'}"
    return RecordingOptions(
        out=tmp_path / name,
        frames=FRAMES,
        width=WIDTH,
        height=HEIGHT,
        stereo=stereo,
        compressed=compressed,
        storage=storage,
        seed=3,
    )


def _image(message: object) -> np.ndarray:
    if hasattr(message, "format"):
        array, encoding = decode_compressed_message(message)
        assert encoding == "rgb8"
        return array
    return decode_image_message(message)


def _transform(translation: object, rotation: object) -> np.ndarray:
    quaternion = torch.tensor([rotation.x, rotation.y, rotation.z, rotation.w], dtype=torch.float64)
    return make_transform(
        quaternion_to_matrix(quaternion), torch.tensor([translation.x, translation.y, translation.z])
    ).numpy()


def _by_topic(path: Path, topics: list[str]) -> dict[str, list]:
    out: dict[str, list] = {t: [] for t in topics}
    for item in iter_messages(path, topics):
        out[item.topic].append(item)
    return out


CASES = [
    pytest.param(
        storage, compressed, stereo, id=f"{storage}-{'jpeg' if compressed else 'raw'}-{'stereo' if stereo else 'mono'}"
    )
    for storage in ("mcap", "sqlite3")
    for compressed in (False, True)
    for stereo in (False, True)
]


@pytest.mark.parametrize(("storage", "compressed", "stereo"), CASES)
def test_recorded_bag_holds_a_consistent_drive(tmp_path: Path, storage: str, compressed: bool, stereo: bool) -> None:
    options = _options(tmp_path, storage, compressed, stereo)
    summary = record_drive(options)
    world = SyntheticWorld(options.sim_config(), FRAMES)

    cameras = [(T.left_image, T.left_info, T.left_frame)]
    if stereo:
        cameras.append((T.right_image, T.right_info, T.right_frame))
    image_topics = [f"{image}/compressed" if compressed else image for image, _, _ in cameras]
    info_topics = [info for _, info, _ in cameras]
    topics = [*image_topics, *info_topics, T.left_depth, T.odometry, T.tf_static]

    assert summary.storage == storage
    assert sorted(t.name for t in summary.topics) == sorted(topics)
    odometry_count = round((FRAMES - 1) / world.config.camera_rate_hz * world.config.odom_rate_hz) + 1
    for topic in topics:
        expected = {T.odometry: odometry_count, T.tf_static: 1}.get(topic, FRAMES)
        assert summary.count(topic) == expected, topic

    messages = _by_topic(options.out, topics)  # every message deserialises
    for topic, items in messages.items():
        stamps = [item.stamp_ns for item in items]
        assert stamps == sorted(set(stamps)), f"{topic} stamps must increase"
        if topic != T.tf_static:
            assert [stamp_ns(item.message.header) for item in items] == stamps, topic

    # Camera intrinsics and the stereo baseline in the right camera's P.
    fx = world.intrinsics.fx
    for (_, info_topic, frame_id), baseline in zip(cameras, (0.0, world.config.baseline)[: len(cameras)], strict=True):
        for item in messages[info_topic]:
            info = item.message
            assert info.header.frame_id == frame_id
            assert (info.width, info.height) == (WIDTH, HEIGHT)
            np.testing.assert_allclose(info.k.reshape(3, 3), world.intrinsics.as_array(), atol=1e-9)
            assert info.p[3] == pytest.approx(-fx * baseline, abs=1e-9)
    # The static transforms are the world's camera mounting.
    (tf_static,) = messages[T.tf_static]
    mounts = {t.child_frame_id: t for t in tf_static.message.transforms}
    expected_mounts = {T.left_frame: world.base_from_left_camera}
    if stereo:
        expected_mounts[T.right_frame] = world.base_from_right_camera
    assert set(mounts) == set(expected_mounts)
    for frame_id, base_from_camera in expected_mounts.items():
        mount = mounts[frame_id]
        assert mount.header.frame_id == T.base_frame
        np.testing.assert_allclose(
            _transform(mount.transform.translation, mount.transform.rotation), base_from_camera, atol=1e-9
        )

    # Images and depth are the world's, exactly for raw images and within jpeg's error when compressed.
    for index in range(FRAMES):
        frame = world.render_frame(index)
        left = _image(messages[image_topics[0]][index].message)
        assert left.shape == (HEIGHT, WIDTH, 3)
        error = np.abs(left.astype(np.float64) - frame.left_rgb).mean()
        assert error < 4.0 if compressed else error == 0.0
        depth_message = messages[T.left_depth][index].message
        assert depth_message.encoding == "32FC1"
        np.testing.assert_array_equal(_image(depth_message), frame.depth)
        if stereo:
            right = _image(messages[image_topics[1]][index].message)
            assert np.abs(right.astype(np.float64) - frame.right_rgb).mean() < (4.0 if compressed else 1e-12)


def _odometry_pose(message: object) -> np.ndarray:
    pose = message.pose.pose
    return _transform(pose.position, pose.orientation)


def _photometric_error(
    target: np.ndarray, source: np.ndarray, depth: np.ndarray, source_from_target: np.ndarray, camera: np.ndarray
) -> float:
    def as_tensor(image: np.ndarray) -> torch.Tensor:
        return torch.tensor(image, dtype=torch.float64).permute(2, 0, 1) / 255.0

    finite = np.isfinite(depth)
    warped = warp_source_to_target(
        as_tensor(source),
        torch.from_numpy(np.where(finite, depth, 1e3)).double(),
        torch.tensor(source_from_target),
        torch.tensor(camera),
    )
    usable = warped.valid & torch.from_numpy(finite)
    return float((warped.image - as_tensor(target)).abs().mean(dim=0)[usable].mean())


def test_depth_and_odometry_explain_the_images(tmp_path: Path) -> None:
    """Warp frame 2 into frame 1 with the bag's depth, odometry and tf_static: the pixels agree, and clearly less
    so with the odometry's motion doubled or ignored. Stereo: the right image warps into the left the same way."""
    options = _options(tmp_path, "mcap", False, True)
    record_drive(options)
    topics = [T.left_image, T.right_image, T.left_info, T.left_depth, T.odometry, T.tf_static]
    messages = _by_topic(options.out, topics)
    odometry = {item.stamp_ns: item.message for item in messages[T.odometry]}
    mounts = {t.child_frame_id: t.transform for t in messages[T.tf_static][0].message.transforms}
    base_from_left = _transform(mounts[T.left_frame].translation, mounts[T.left_frame].rotation)
    base_from_right = _transform(mounts[T.right_frame].translation, mounts[T.right_frame].rotation)
    camera = messages[T.left_info][1].message.k.reshape(3, 3)

    def left_pose(index: int) -> np.ndarray:
        stamp = messages[T.left_image][index].stamp_ns
        return _odometry_pose(odometry[stamp]) @ base_from_left

    target = _image(messages[T.left_image][1].message)
    source = _image(messages[T.left_image][2].message)
    depth = _image(messages[T.left_depth][1].message)
    true_motion = invert_transform(torch.from_numpy(left_pose(2))).numpy() @ left_pose(1)
    doubled = true_motion.copy()
    doubled[:3, 3] *= 2.0
    error_true = _photometric_error(target, source, depth, true_motion, camera)
    error_doubled = _photometric_error(target, source, depth, doubled, camera)
    error_static = _photometric_error(target, source, depth, np.eye(4), camera)
    assert error_true < 0.5 * min(error_doubled, error_static)

    right = _image(messages[T.right_image][1].message)
    right_from_left = invert_transform(torch.from_numpy(base_from_right)).numpy() @ base_from_left
    stereo_error = _photometric_error(target, right, depth, right_from_left, camera)
    assert stereo_error < 0.5 * _photometric_error(target, right, depth, np.eye(4), camera)


def test_odometry_twist_matches_its_poses(tmp_path: Path) -> None:
    options = _options(tmp_path, "mcap", False, False)
    record_drive(options)
    items = list(iter_messages(options.out, [T.odometry]))
    for before, after in itertools.pairwise(items):
        dt = (after.stamp_ns - before.stamp_ns) / 1e9
        motion = np.linalg.inv(_odometry_pose(before.message)) @ _odometry_pose(after.message)
        twist = before.message.twist.twist
        mean_speed = 0.5 * (twist.linear.x + after.message.twist.twist.linear.x)
        assert motion[0, 3] / dt == pytest.approx(mean_speed, rel=1e-3)
        assert 5.0 <= twist.linear.x <= 15.0
        assert after.message.child_frame_id == T.base_frame
        assert after.message.header.frame_id == T.odom_frame


def test_humble_and_jazzy_bags_read_back(tmp_path: Path) -> None:
    for distribution in ("humble", "jazzy"):
        out = tmp_path / distribution
        record_drive(RecordingOptions(out=out, frames=1, width=64, height=32, distribution=distribution))
        assert summarise_bag(out).count(T.left_image) == 1
        assert len(list(iter_messages(out, [T.left_image, T.odometry]))) == 2


def test_recording_options_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="frames must be at least 1, got 0"):
        RecordingOptions(out=tmp_path / "x", frames=0)
    with pytest.raises(ConfigError, match="format must be mcap or sqlite3, got 'bag'"):
        RecordingOptions(out=tmp_path / "x", storage="bag")
    with pytest.raises(ConfigError, match="jpeg quality must be in"):
        RecordingOptions(out=tmp_path / "x", jpeg_quality=0)


def test_an_existing_output_is_not_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "bag"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(BagError, match="already exists"):
        record_drive(RecordingOptions(out=out, frames=1, width=64, height=32))
    assert (out / "keep.txt").read_text() == "mine"
