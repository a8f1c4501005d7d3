"""KITTI evaluation frames: depth-benchmark ground truth paired with the raw images it was made for.

Layouts (Uhrig et al., 3DV 2017; Geiger et al., IJRR 2013):

- ground truth: ``<root>/{train,val}/<drive>/proj_depth/groundtruth/image_02/0000000005.png`` (uint16, metres * 256,
  0 = no measurement);
- raw images: ``<root>/<date>/<drive>/image_02/data/0000000005.png``.

Frames pair up on (drive name, frame file name). Either directory may be the leaf folder, the drive folder, or any
folder above them: both are searched recursively (without descending into the ``data`` folders).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mono_depth_ros.core.evaluation.errors import EvaluationDataError
from mono_depth_ros.core.geometry import read_kitti_depth_png

__all__ = ["KittiEvalFiles", "KittiEvalFrame", "find_kitti_eval_files", "find_kitti_eval_frames"]


class KittiEvalFrame(NamedTuple):
    """One evaluation frame, ground truth loaded."""

    name: str
    """``<drive>/<frame>``, e.g. ``2011_09_26_drive_0001_sync/0000000005``."""
    image_path: Path
    """The raw colour image (not loaded)."""
    gt_depth: np.ndarray
    """(H, W) float32 depth in metres, 0 where there is no measurement."""
    gt_path: Path
    """The ground-truth PNG it was read from."""


class KittiEvalFiles(NamedTuple):
    """One evaluation frame's files, nothing loaded: `load()` reads the ground truth."""

    name: str
    image_path: Path
    gt_path: Path

    def load(self) -> KittiEvalFrame:
        """Read the ground-truth PNG (raises `KittiFileError` from the geometry core if it is not a depth PNG)."""
        depth = np.nan_to_num(read_kitti_depth_png(self.gt_path), nan=0.0)
        return KittiEvalFrame(self.name, self.image_path, depth, self.gt_path)


def find_kitti_eval_frames(raw_dir: str | Path, gt_dir: str | Path, camera: str = "image_02") -> list[KittiEvalFrame]:
    """`find_kitti_eval_files`, with every frame's ground truth loaded eagerly (1.8 MB per 375x1242 frame; for
    large sets, iterate over `find_kitti_eval_files` and `load()` one at a time)."""
    return [files.load() for files in find_kitti_eval_files(raw_dir, gt_dir, camera)]


def find_kitti_eval_files(raw_dir: str | Path, gt_dir: str | Path, camera: str = "image_02") -> list[KittiEvalFiles]:
    """Every ground-truth frame of `camera` under `gt_dir` whose raw image exists under `raw_dir`, sorted by name.

    Ground-truth frames without a raw image are left out (the raw set is often a subset).

    Raises:
        EvaluationDataError: a directory that does not exist, a bad camera name, no ground-truth or raw folder of the
            camera, the same drive found twice, or no frame in common (the message lists what was found).
    """
    if not camera or camera != Path(camera).name or camera in (".", ".."):
        raise EvaluationDataError(f"camera must be a folder name such as 'image_02', got {camera!r}")
    gt_frames = _collect(Path(gt_dir), camera, "ground-truth", _gt_pngs)
    raw_frames = _collect(Path(raw_dir), camera, "raw image", _raw_pngs)
    names = sorted(gt_frames.keys() & raw_frames.keys())
    if not names:
        raise EvaluationDataError(
            f"no {camera} ground-truth frame under {gt_dir} has a raw image under {raw_dir}: ground truth has "
            f"{_summary(gt_frames)}; raw images have {_summary(raw_frames)}"
        )
    return [KittiEvalFiles(name, raw_frames[name], gt_frames[name]) for name in names]


def _gt_pngs(folder: Path) -> tuple[str, Path] | None:
    """(drive, PNG folder) of a ``<drive>/proj_depth/groundtruth/<camera>`` folder, None for any other folder."""
    if folder.parent.name == "groundtruth" and folder.parent.parent.name == "proj_depth":
        return folder.parent.parent.parent.name, folder
    return None


def _raw_pngs(folder: Path) -> tuple[str, Path] | None:
    """(drive, PNG folder) of a ``<drive>/<camera>`` folder holding ``data/``, None for any other folder."""
    return (folder.parent.name, folder / "data") if (folder / "data").is_dir() else None


_LAYOUTS = {"ground-truth": "<drive>/proj_depth/groundtruth/{camera}/*.png", "raw image": "<drive>/{camera}/data/*.png"}


def _collect(root: Path, camera: str, kind: str, pngs_of: Callable[[Path], tuple[str, Path] | None]) -> dict[str, Path]:
    """{"<drive>/<frame>": PNG path} over every `camera` folder under `root` that `pngs_of` recognises."""
    if not root.is_dir():
        raise EvaluationDataError(f"KITTI {kind} directory not found: {root}")
    frames: dict[str, Path] = {}
    seen: dict[str, Path] = {}
    for folder in _camera_folders(root, camera):
        recognised = pngs_of(folder)
        if recognised is None:
            continue
        drive, png_folder = recognised
        if drive in seen:
            raise EvaluationDataError(f"drive {drive} has two KITTI {kind} folders: {seen[drive]} and {folder}")
        seen[drive] = folder
        frames.update((f"{drive}/{png.stem}", png) for png in png_folder.glob("*.png"))
    if not frames:
        layout = _LAYOUTS[kind].format(camera=camera)
        raise EvaluationDataError(f"no KITTI {kind} PNG ({layout}) under {root}")
    return frames


def _camera_folders(root: Path, camera: str) -> list[Path]:
    """`root` itself if it is named `camera`, and every folder named `camera` below it (data folders pruned)."""
    # Absolute, so that the parents of `root` are known when it is the camera folder itself; not resolved, so the
    # paths returned stay under the root the caller gave (through any symlink).
    root = Path(os.path.abspath(root))
    found = [root] if root.name == camera else []
    for directory, subdirectories, _ in os.walk(root):
        found.extend(Path(directory, name) for name in subdirectories if name == camera)
        subdirectories[:] = sorted(name for name in subdirectories if name not in (camera, "data"))
    return found


def _summary(frames: dict[str, Path]) -> str:
    drives: dict[str, int] = {}
    for name in frames:
        drive = name.rpartition("/")[0]
        drives[drive] = drives.get(drive, 0) + 1
    return ", ".join(f"{drive} ({count} frames)" for drive, count in sorted(drives.items()))
