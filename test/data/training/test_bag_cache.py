from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.data.training import BagDataError, FrameSource, default_cache_dir, load_frames

from .conftest import camera, random_frames, write_camera_bag

MS = 1_000_000


@pytest.fixture
def bag(tmp_path: Path) -> Path:
    frames = [(i * 100 * MS, f) for i, f in enumerate(random_frames(5))]
    return write_camera_bag(tmp_path / "bag", frames, [(100 * MS, camera())])


def _source(bag: Path) -> FrameSource:
    return FrameSource(bag, "/cam/image_raw", "/cam/camera_info", 32, 32)


def test_frames_are_decoded_once_then_read_from_the_cache(bag: Path, tmp_path: Path) -> None:
    decoded: list[int] = []
    cold = load_frames(_source(bag), tmp_path / "cache", progress=decoded.append)
    assert not cold.from_cache
    assert decoded == [1, 2, 3, 4]
    assert (cold.messages, cold.before_camera_info, len(cold)) == (5, 1, 4)
    assert cold.pixels.shape == (4, 32, 32, 3)
    assert cold.stamps_ns.tolist() == [100 * MS, 200 * MS, 300 * MS, 400 * MS]
    warm = load_frames(_source(bag), tmp_path / "cache", progress=decoded.append)
    assert warm.from_cache
    assert decoded == [1, 2, 3, 4]  # nothing decoded again
    np.testing.assert_array_equal(warm.pixels, cold.pixels)
    np.testing.assert_array_equal(warm.camera_matrices, cold.camera_matrices)
    assert isinstance(warm.pixels, np.memmap)
    assert not warm.pixels.flags.writeable
    other_size = load_frames(FrameSource(bag, "/cam/image_raw", "/cam/camera_info", 64, 32), tmp_path / "cache")
    assert not other_size.from_cache
    assert len(list((tmp_path / "cache").glob("*.frames"))) == 2


def test_a_changed_bag_invalidates_its_entry(bag: Path, tmp_path: Path) -> None:
    first = load_frames(_source(bag), tmp_path / "cache")
    storage = next(p for p in bag.iterdir() if p.suffix == ".mcap")
    stat = storage.stat()
    os.utime(storage, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    again = load_frames(_source(bag), tmp_path / "cache")
    assert not again.from_cache
    np.testing.assert_array_equal(again.pixels, first.pixels)


def test_an_entry_without_its_index_or_with_a_short_frames_file_is_rebuilt(bag: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_frames(_source(bag), cache)
    index = next(cache.glob("*.json"))
    frames = next(cache.glob("*.frames"))
    frames.write_bytes(frames.read_bytes()[:-1])  # truncated by hand: the size check refuses it
    assert not load_frames(_source(bag), cache).from_cache
    index.unlink()
    assert not load_frames(_source(bag), cache).from_cache
    assert json.loads(index.read_text())["count"] == 4
    assert [p.name for p in cache.iterdir() if p.name.startswith(".")] == []  # no temporary files left


def test_the_default_cache_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "mono_depth_ros" / "frames"


def test_an_unwritable_cache_folder_is_named(bag: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BagDataError, match=f"cannot create the frame cache folder {blocker / 'cache'}"):
        load_frames(_source(bag), blocker / "cache")


def test_a_camera_info_that_is_not_calibrated_is_named(tmp_path: Path) -> None:
    from mono_depth_ros.data.bag import BagWriter, typestore_for
    from mono_depth_ros.data.bag.messages import MessageFactory

    typestore = typestore_for("kilted")
    messages = MessageFactory(typestore)
    info = messages.camera_info(camera(), 0, "cam")
    info.k[0] = 0.0  # fx = 0: not calibrated
    with BagWriter(tmp_path / "bag", typestore) as writer:
        writer.add_topic("/cam/camera_info", "sensor_msgs/msg/CameraInfo")
        writer.add_topic("/cam/image_raw", "sensor_msgs/msg/Image")
        writer.write("/cam/camera_info", info, 0)
    with pytest.raises(BagDataError, match=r"topic /cam/camera_info at 0 ns is not a usable camera_info: .*fx is 0.0"):
        load_frames(_source(tmp_path / "bag"), tmp_path / "cache")
