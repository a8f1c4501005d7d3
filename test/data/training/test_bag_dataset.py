"""build_bag_data on simulated drives and hand-made recordings: windows, intrinsics, pairs, odometry, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import TrainingDataset
from mono_depth_ros.data.bag import BagError
from mono_depth_ros.data.recording import SIM_TOPICS, RecordingOptions, frame_stamp_ns
from mono_depth_ros.data.sim import SyntheticWorld
from mono_depth_ros.data.training import BagDataError, BagSelection, build_bag_data

from .conftest import SIM_FRAMES, SIM_HEIGHT, SIM_WIDTH, camera, random_frames, write_camera_bag

MS = 1_000_000


def _config(tmp_path: Path, **values: object) -> TrainingConfig:
    settings = {"width": 64, "height": 64, "frame_cache_dir": str(tmp_path / "cache"), "validation_fraction": 0.0}
    return TrainingConfig(**{**settings, **values})


def _sim_selection(bag: Path, *, compressed: bool) -> BagSelection:
    image = SIM_TOPICS.compressed(SIM_TOPICS.left_image) if compressed else SIM_TOPICS.left_image
    right = SIM_TOPICS.compressed(SIM_TOPICS.right_image) if compressed else SIM_TOPICS.right_image
    return BagSelection(
        (bag,), image, right_image_topic=right, odom_topic=SIM_TOPICS.odometry, depth_topic=SIM_TOPICS.left_depth
    )


@pytest.mark.parametrize("name", ["mcap-raw", "mcap-jpeg", "sqlite3-raw", "sqlite3-jpeg"])
def test_simulated_drives_give_windows_pairs_intrinsics_and_odometry(
    sim_bags: dict[str, Path], tmp_path: Path, name: str
) -> None:
    config = _config(tmp_path, mode="mono_stereo", validation_fraction=0.25)
    data = build_bag_data(config, _sim_selection(sim_bags[name], compressed="jpeg" in name))
    assert isinstance(data.train, TrainingDataset)
    # 12 moving frames: the last 3 held out; triplets over 9 and over 3.
    assert (len(data.train), len(data.validation_windows)) == (SIM_FRAMES - 3 - 2, 1)
    report = data.summary.reports[0]
    assert (report.messages, report.static, report.unpaired, report.before_camera_info) == (SIM_FRAMES, 0, 0, 0)

    world = SyntheticWorld(RecordingOptions(out=tmp_path / "unused", width=SIM_WIDTH, height=SIM_HEIGHT, stereo=True,
                                            seed=5).sim_config(), SIM_FRAMES)  # fmt: skip
    sample = data.train[0]
    expected_k = world.intrinsics.resized(64, 64).as_array()
    np.testing.assert_allclose(sample.camera_matrix, expected_k, atol=1e-9)
    assert sample.image.shape == (64, 64, 3)
    assert sample.right_image is not None
    assert sample.stereo_baseline == pytest.approx(world.config.baseline)

    for index in range(len(data.train)):
        _, window = data.train.window(index)
        stamps = data.train.stamps_ns(index)
        assert stamps == tuple(frame_stamp_ns(world, i) for i in (index, index + 1, index + 2))
        assert window.right >= 0
        poses = data.train.odometry(index)
        for stamp, pose in zip(stamps, poses, strict=True):
            truth = world.base_pose((stamp - frame_stamp_ns(world, 0)) / 1e9)
            np.testing.assert_allclose(pose, truth, atol=1e-6)
    assert data.validation is not None  # the ground-truth depth topic gives validation Abs Rel
    assert data.validation.images.shape == (3, 64, 64, 3)
    assert np.isfinite(data.validation.depths).any()


def test_jpeg_and_raw_bags_decode_to_nearly_the_same_frames(sim_bags: dict[str, Path], tmp_path: Path) -> None:
    config = _config(tmp_path, mode="stereo")
    raw = build_bag_data(config, _sim_selection(sim_bags["mcap-raw"], compressed=False))
    jpeg = build_bag_data(config, _sim_selection(sim_bags["sqlite3-jpeg"], compressed=True))
    assert len(raw.train) == len(jpeg.train) == SIM_FRAMES
    difference = np.abs(raw.train[4].image.astype(int) - jpeg.train[4].image.astype(int)).mean()
    assert difference < 4.0
    assert np.abs(raw.train[4].image.astype(int) - raw.train[5].image.astype(int)).mean() > 4 * difference


@pytest.mark.parametrize(("distribution", "storage"), [("humble", "sqlite3"), ("jazzy", "mcap"), ("kilted", "mcap")])
def test_bags_of_every_distribution_read(tmp_path: Path, distribution: str, storage: str) -> None:
    frames = [(i * 100 * MS, f) for i, f in enumerate(random_frames(6))]
    bag = write_camera_bag(tmp_path / distribution, frames, [(0, camera())], distribution=distribution, storage=storage)
    data = build_bag_data(_config(tmp_path), BagSelection((bag,), "/cam/image_raw"))
    assert len(data.train) == 4


def test_a_calibration_change_starts_a_segment_and_windows_stay_inside_one(tmp_path: Path) -> None:
    small = [(i * 100 * MS, f) for i, f in enumerate(random_frames(5))]
    large = [((5 + i) * 100 * MS, f) for i, f in enumerate(random_frames(5, width=96, height=72, seed=1))]
    infos = [(0, camera()), (500 * MS, camera(96, 72, fx=70.0))]
    bag = write_camera_bag(tmp_path / "bag", small + large, infos)
    data = build_bag_data(_config(tmp_path), BagSelection((bag,), "/cam/image_raw"))
    assert data.summary.reports[0].segments == 2
    assert len(data.train) == 3 + 3  # no window across the change
    stamps = [data.train.stamps_ns(i) for i in range(len(data.train))]
    assert all((s[0] < 500 * MS) == (s[2] < 500 * MS) for s in stamps)
    np.testing.assert_allclose(data.train[0].camera_matrix[0, 0], 50.0)
    np.testing.assert_allclose(data.train[5].camera_matrix[0, 0], 70.0 * 64 / 96)


def test_frames_before_any_camera_info_are_skipped_and_counted(tmp_path: Path) -> None:
    frames = [(i * 100 * MS, f) for i, f in enumerate(random_frames(8))]
    bag = write_camera_bag(tmp_path / "bag", frames, [(300 * MS, camera())])
    data = build_bag_data(_config(tmp_path), BagSelection((bag,), "/cam/image_raw"))
    assert data.summary.reports[0].before_camera_info == 3
    assert len(data.train) == 5 - 2
    assert "3 before any camera_info" in data.summary.format()


def test_static_frames_are_skipped_and_counted(tmp_path: Path) -> None:
    moving = random_frames(5)
    sequence = [moving[0], moving[1], moving[1], moving[1], moving[2], moving[3], moving[3], moving[4]]
    bag = write_camera_bag(tmp_path / "bag", [(i * 100 * MS, f) for i, f in enumerate(sequence)], [(0, camera())])
    data = build_bag_data(_config(tmp_path), BagSelection((bag,), "/cam/image_raw"))
    assert data.summary.reports[0].static == 3
    assert len(data.train) == 3
    assert data.train.stamps_ns(0) == (0, 100 * MS, 400 * MS)


def _stereo_bag(tmp_path: Path, right_offset_ns: int, missing: tuple[int, ...] = ()) -> Path:
    left = [(i * 100 * MS, f) for i, f in enumerate(random_frames(6))]
    right = [(i * 100 * MS + right_offset_ns, f) for i, f in enumerate(random_frames(6, seed=3)) if i not in missing]
    return write_camera_bag(
        tmp_path / f"stereo{right_offset_ns}-{len(missing)}", left, [(0, camera())],
        right=right, right_infos=[(0, camera(baseline=0.12))],
    )  # fmt: skip


def _stereo_selection(bag: Path) -> BagSelection:
    return BagSelection((bag,), "/cam/image_raw", right_image_topic="/right/image_raw")


def test_stereo_frames_pair_by_stamp_and_unpaired_ones_are_counted(tmp_path: Path) -> None:
    data = build_bag_data(_config(tmp_path, mode="stereo"), _stereo_selection(_stereo_bag(tmp_path, 0, (2, 4))))
    report = data.summary.reports[0]
    assert (report.unpaired, len(data.train)) == (2, 4)
    assert data.summary.stereo_baseline == pytest.approx(0.12)
    assert [data.train.stamps_ns(i)[1] for i in range(4)] == [0, 100 * MS, 300 * MS, 500 * MS]


def test_a_stereo_tolerance_pairs_frames_stamped_apart(tmp_path: Path) -> None:
    bag = _stereo_bag(tmp_path, 1 * MS)
    with pytest.raises(
        BagDataError,
        match=r"no left frame of /cam/image_raw has a right frame of /right/image_raw within 0 ms \(the nearest are "
        r"1 ms apart at the median\); raise stereo_tolerance_ms",
    ):
        build_bag_data(_config(tmp_path, mode="stereo"), _stereo_selection(bag))
    data = build_bag_data(_config(tmp_path, mode="stereo", stereo_tolerance_ms=2.0), _stereo_selection(bag))
    assert len(data.train) == 6


def test_a_right_camera_info_without_a_baseline_is_refused(tmp_path: Path) -> None:
    left = [(i * 100 * MS, f) for i, f in enumerate(random_frames(3))]
    bag = write_camera_bag(tmp_path / "bag", left, [(0, camera())], right=left, right_infos=[(0, camera())])
    with pytest.raises(
        BagDataError, match=r"the right camera_info gives a stereo baseline of 0 m .*Are left and right"
    ):
        build_bag_data(_config(tmp_path, mode="stereo"), _stereo_selection(bag))
    data = build_bag_data(_config(tmp_path, mode="stereo", stereo_baseline=0.3), _stereo_selection(bag))
    assert data.train[0].stereo_baseline == pytest.approx(0.3)


def test_stereo_modes_need_a_right_topic(tmp_path: Path) -> None:
    with pytest.raises(BagDataError, match="mode 'mono_stereo' needs a right image: give the right camera's image"):
        build_bag_data(_config(tmp_path, mode="mono_stereo"), BagSelection((tmp_path,), "/cam/image_raw"))


@pytest.fixture
def small_bag(tmp_path: Path) -> Path:
    frames = [(i * 100 * MS, f) for i, f in enumerate(random_frames(4))]
    return write_camera_bag(tmp_path / "small", frames, [(0, camera())], extra_topic=True)


def test_a_missing_bag_is_named(tmp_path: Path) -> None:
    with pytest.raises(BagError, match=f"bag {tmp_path / 'nope'} does not exist"):
        build_bag_data(_config(tmp_path), BagSelection((tmp_path / "nope",), "/cam/image_raw"))


def test_an_unreadable_bag_is_named(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mcap"
    garbage.write_bytes(b"not a bag at all")
    with pytest.raises(BagError, match=f"cannot read bag {garbage}"):
        build_bag_data(_config(tmp_path), BagSelection((garbage,), "/cam/image_raw"))


def test_a_missing_topic_lists_the_topics_with_types_and_counts(small_bag: Path, tmp_path: Path) -> None:
    with pytest.raises(
        BagDataError,
        match=r"has no topic /front/image_raw; it has: /cam/camera_info \(sensor_msgs/msg/CameraInfo, 1\), "
        r"/cam/image_raw \(sensor_msgs/msg/Image, 4\), /chatter \(std_msgs/msg/String, 1\)",
    ):
        build_bag_data(_config(tmp_path), BagSelection((small_bag,), "/front/image_raw"))


def test_a_topic_that_is_not_an_image_is_refused(small_bag: Path, tmp_path: Path) -> None:
    with pytest.raises(
        BagDataError,
        match=r"topic /chatter carries std_msgs/msg/String, not sensor_msgs/msg/Image or "
        r"sensor_msgs/msg/CompressedImage",
    ):
        build_bag_data(_config(tmp_path), BagSelection((small_bag,), "/chatter", camera_info_topic="/cam/camera_info"))


def test_too_few_frames_for_one_window_say_what_there_was(small_bag: Path, tmp_path: Path) -> None:
    with pytest.raises(
        BagDataError,
        match=r"the bags give no training window: one needs 5 moving frames in a row of one calibration "
        r"\(frame_stride 2, validation_fraction 0.0\); .*small: 4 frames, 0 before camera_info, 0 unpaired, 0 static",
    ):
        build_bag_data(_config(tmp_path, frame_stride=2), BagSelection((small_bag,), "/cam/image_raw"))


def test_several_bags_add_up_and_each_holds_out_its_end(small_bag: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    shutil.copytree(small_bag, other)
    config = _config(tmp_path, mode="stereo", validation_fraction=0.25)  # stereo: every frame is a window
    selection = BagSelection((small_bag, other), "/cam/image_raw", right_image_topic="/cam/image_raw/compressed")
    with pytest.raises(BagDataError, match="has no topic /cam/image_raw/compressed"):
        build_bag_data(config, selection)
    data = build_bag_data(
        _config(tmp_path, validation_fraction=0.25), BagSelection((small_bag, other), "/cam/image_raw")
    )
    assert [r.training_windows for r in data.summary.reports] == [1, 1]
    assert len(data.train) == 2
    assert data.validation_windows is None  # one held-out frame per bag is too few for a triplet
