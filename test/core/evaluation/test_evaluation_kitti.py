"""KITTI evaluation frames on the real slice in ../shared/data, and their errors on small fake trees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mono_depth_ros.core.evaluation import (
    EvaluationDataError,
    EvaluationError,
    EvaluationOptions,
    KittiEvalFiles,
    evaluate_depths,
    find_kitti_eval_files,
    find_kitti_eval_frames,
)
from mono_depth_ros.core.geometry import KittiFileError

DRIVE = "2011_09_26_drive_0001_sync"
FRAMES = ("0000000005", "0000000025", "0000000045", "0000000065", "0000000085")


def _gt_folder(kitti_root: Path, camera: str = "image_02") -> Path:
    return kitti_root / "kitti_depth_mini" / "train" / DRIVE / "proj_depth" / "groundtruth" / camera


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def test_finds_the_five_ground_truth_frames(kitti_root: Path) -> None:
    frames = find_kitti_eval_frames(kitti_root, kitti_root)
    assert [frame.name for frame in frames] == [f"{DRIVE}/{frame}" for frame in FRAMES]
    for frame, number in zip(frames, FRAMES, strict=True):
        assert frame.image_path == kitti_root / "2011_09_26" / DRIVE / "image_02" / "data" / f"{number}.png"
        assert frame.image_path.is_file()
        assert frame.gt_path == _gt_folder(kitti_root) / f"{number}.png"
        assert frame.gt_depth.shape == (375, 1242)
        assert frame.gt_depth.dtype == np.float32
        # Sparse velodyne ground truth: 0 where there is no measurement, metres elsewhere.
        assert not np.isnan(frame.gt_depth).any()
        measured = frame.gt_depth[frame.gt_depth > 0]
        assert 50_000 < measured.size < 0.3 * frame.gt_depth.size
        assert measured.min() > 1.0
        assert measured.max() < 100.0


@pytest.mark.parametrize(
    ("raw", "gt"),
    [
        ("2011_09_26/" + DRIVE, f"kitti_depth_mini/train/{DRIVE}/proj_depth/groundtruth"),
        ("2011_09_26", f"kitti_depth_mini/train/{DRIVE}"),
        (".", f"kitti_depth_mini/train/{DRIVE}/proj_depth/groundtruth/image_02"),
        ("2011_09_26", "kitti_depth_mini"),
    ],
)
def test_either_folder_may_be_any_level_of_the_tree(kitti_root: Path, raw: str, gt: str) -> None:
    files = find_kitti_eval_files(kitti_root / raw, kitti_root / gt)
    assert [Path(item.name).name for item in files] == list(FRAMES)
    assert all(isinstance(item, KittiEvalFiles) for item in files)


def test_right_camera(kitti_root: Path) -> None:
    files = find_kitti_eval_files(str(kitti_root), str(kitti_root), camera="image_03")
    assert [item.image_path.parent.parent.name for item in files] == ["image_03"] * 5
    assert [item.gt_path.parent.name for item in files] == ["image_03"] * 5


def test_files_load_lazily(kitti_root: Path) -> None:
    files = find_kitti_eval_files(kitti_root, kitti_root)[0]
    frame = files.load()
    assert frame.name == files.name
    assert frame.gt_path == files.gt_path
    np.testing.assert_array_equal(frame.gt_depth, find_kitti_eval_frames(kitti_root, kitti_root)[0].gt_depth)


def test_ground_truth_against_a_scaled_copy_of_itself(kitti_root: Path) -> None:
    frames = find_kitti_eval_frames(kitti_root, kitti_root)
    pairs = [(frame.gt_depth, np.where(frame.gt_depth > 0, frame.gt_depth * 3.0, 1.0)) for frame in frames]
    result = evaluate_depths(pairs, EvaluationOptions())
    assert result.metrics.abs_rel == pytest.approx(0.0, abs=1e-6)
    assert result.metrics.delta1 == 1.0
    assert result.ratio_median == pytest.approx(1 / 3)
    assert result.skipped == 0


def test_missing_directory(kitti_root: Path, tmp_path: Path) -> None:
    with pytest.raises(EvaluationDataError, match=r"KITTI ground-truth directory not found: .*nowhere"):
        find_kitti_eval_files(kitti_root, tmp_path / "nowhere")
    with pytest.raises(EvaluationDataError, match=r"KITTI raw image directory not found: .*nowhere"):
        find_kitti_eval_files(tmp_path / "nowhere", kitti_root)


def test_no_ground_truth_folder(kitti_root: Path) -> None:
    message = r"no KITTI ground-truth PNG \(<drive>/proj_depth/groundtruth/image_02/\*\.png\) under .*2011_09_26"
    with pytest.raises(EvaluationDataError, match=message):
        find_kitti_eval_files(kitti_root, kitti_root / "2011_09_26")


def test_no_raw_folder(kitti_root: Path) -> None:
    with pytest.raises(EvaluationDataError, match=r"no KITTI raw image PNG \(<drive>/image_02/data/\*\.png\) under"):
        find_kitti_eval_files(kitti_root / "kitti_depth_mini", kitti_root)


def test_no_frame_in_common_lists_what_was_found(kitti_root: Path, tmp_path: Path) -> None:
    _touch(tmp_path / "2011_10_03" / "2011_10_03_drive_0027_sync" / "image_02" / "data" / "0000000005.png")
    _touch(tmp_path / "2011_10_03" / "2011_10_03_drive_0027_sync" / "image_02" / "data" / "0000000006.png")
    message = (
        rf"no image_02 ground-truth frame under .* has a raw image under .*: ground truth has {DRIVE} \(5 frames\); "
        r"raw images have 2011_10_03_drive_0027_sync \(2 frames\)"
    )
    with pytest.raises(EvaluationDataError, match=message):
        find_kitti_eval_files(tmp_path, kitti_root)


def test_ground_truth_without_raw_image_is_left_out(kitti_root: Path, tmp_path: Path) -> None:
    raw = _touch(tmp_path / DRIVE / "image_02" / "data" / "0000000025.png")
    files = find_kitti_eval_files(tmp_path, kitti_root)
    assert files == [KittiEvalFiles(f"{DRIVE}/0000000025", raw, _gt_folder(kitti_root) / "0000000025.png")]


def test_a_drive_found_twice_is_an_error(kitti_root: Path, tmp_path: Path) -> None:
    for date in ("copy_a", "copy_b"):
        _touch(tmp_path / date / DRIVE / "image_02" / "data" / "0000000005.png")
    with pytest.raises(EvaluationDataError, match=rf"drive {DRIVE} has two KITTI raw image folders: .*copy_a.* and "):
        find_kitti_eval_files(tmp_path, kitti_root)


@pytest.mark.parametrize("camera", ["", "..", "a/image_02"])
def test_camera_must_be_a_folder_name(kitti_root: Path, camera: str) -> None:
    with pytest.raises(EvaluationDataError, match=rf"camera must be a folder name such as 'image_02', got '{camera}'"):
        find_kitti_eval_files(kitti_root, kitti_root, camera=camera)


def test_unreadable_ground_truth_is_reported_on_load(tmp_path: Path) -> None:
    _touch(tmp_path / "raw" / "drive" / "image_02" / "data" / "0000000001.png")
    _touch(tmp_path / "gt" / "drive" / "proj_depth" / "groundtruth" / "image_02" / "0000000001.png")
    files = find_kitti_eval_files(tmp_path / "raw", tmp_path / "gt")
    assert [item.name for item in files] == ["drive/0000000001"]
    with pytest.raises(KittiFileError, match=r"cannot decode KITTI depth PNG .*0000000001\.png"):
        files[0].load()


def test_data_errors_are_evaluation_errors() -> None:
    assert issubclass(EvaluationDataError, EvaluationError)
