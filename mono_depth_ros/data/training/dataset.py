"""`build_bag_data`: training and validation windows from recorded bags, as the trainer's `TrainingDataset`.

    data = build_bag_data(config, BagSelection((Path("drive.mcap"),), "/camera/image_raw"))
    Trainer(config, data.train, "runs/bag", validation=data.validation, validation_windows=data.validation_windows)

Per bag: the left (and right) frames come from the decoded-frame cache (`data.training.cache`); stereo frames pair
by stamp; frames where the camera did not move are skipped; the last `validation_fraction` of the bag's time is
held out; windows t - stride, t, t + stride stay inside one camera calibration. Odometry, when a topic is given, is
interpolated at every frame's stamp (`BagDataset.odometry`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from mono_depth_ros.core.training.config import TrainingConfig
from mono_depth_ros.core.training.data import DatasetInfo, TrainingSample
from mono_depth_ros.core.training.validation import ValidationSet
from mono_depth_ros.core.wire.errors import WireFormatError
from mono_depth_ros.core.wire.stamps import stamp_ns
from mono_depth_ros.data.bag.frames import IMAGE_TYPES, message_to_depth
from mono_depth_ros.data.bag.reading import iter_messages
from mono_depth_ros.data.bag.summary import summarise_bag
from mono_depth_ros.data.training.cache import CachedFrames, FrameSource, default_cache_dir, load_frames
from mono_depth_ros.data.training.cameras import ImageFit, Rectify, fitted_region
from mono_depth_ros.data.training.errors import BagDataError
from mono_depth_ros.data.training.odometry import OdometryTrack
from mono_depth_ros.data.training.selection import BagSelection
from mono_depth_ros.data.training.summary import BagDataSummary, BagReport
from mono_depth_ros.data.training.windows import Window, moving_frames, pair_by_stamp, split_by_time, triplets

__all__ = ["BagData", "BagDataset", "build_bag_data"]

_EXPECTED_TYPES = {
    "image": IMAGE_TYPES,
    "camera_info": ("sensor_msgs/msg/CameraInfo",),
    "odometry": ("nav_msgs/msg/Odometry",),
    "depth": ("sensor_msgs/msg/Image",),
}

ProgressFn = Callable[[str, int, int], None]
"""progress(what, done, total): frames decoded of a bag's topic."""


@dataclass(frozen=True)
class _BagFrames:
    path: Path
    left: CachedFrames
    right: CachedFrames | None
    odometry: np.ndarray | None
    """(N, 4, 4) odom_from_base at each left frame's stamp, NaN where the odometry does not cover it."""


class BagDataset:
    """`TrainingDataset` over windows of recorded bags; see the module docstring."""

    def __init__(
        self, bags: list[_BagFrames], windows: list[tuple[int, Window]], info: DatasetInfo, baselines: list[float]
    ) -> None:
        self._bags = bags
        self._windows = windows
        self._info = info
        self._baselines = baselines

    @property
    def info(self) -> DatasetInfo:
        return self._info

    def __len__(self) -> int:
        return len(self._windows)

    def window(self, index: int) -> tuple[Path, Window]:
        bag, window = self._windows[self._check(index)]
        return self._bags[bag].path, window

    def stamps_ns(self, index: int) -> tuple[int, int, int]:
        """Header stamps of the (previous, target, next) frames of sample `index` (-1 where absent)."""
        bag, window = self._windows[self._check(index)]
        stamps = self._bags[bag].left.stamps_ns
        return tuple(int(stamps[i]) if i >= 0 else -1 for i in (window.previous, window.target, window.next))

    def odometry(self, index: int) -> np.ndarray | None:
        """(3, 4, 4) odom_from_base at the previous, target and next frames of sample `index` (NaN where the
        odometry does not cover a frame or the window has no such frame); None without an odometry topic."""
        bag, window = self._windows[self._check(index)]
        poses = self._bags[bag].odometry
        if poses is None:
            return None
        nan = np.full((4, 4), np.nan)
        return np.stack([poses[i] if i >= 0 else nan for i in (window.previous, window.target, window.next)])

    def _check(self, index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self):
            raise BagDataError(f"sample index must be an integer in [0, {len(self) - 1}], got {index!r}")
        return int(index)

    def __getitem__(self, index: int) -> TrainingSample:
        position = self._check(index)
        bag_index, window = self._windows[position]
        bag = self._bags[bag_index]
        left = bag.left
        right_image = None
        if window.right >= 0 and bag.right is not None:
            right_image = bag.right.pixels[window.right]
        return TrainingSample(
            image=left.pixels[window.target],
            camera_matrix=left.camera_matrices[left.segments[window.target]],
            previous_image=left.pixels[window.previous] if window.previous >= 0 else None,
            next_image=left.pixels[window.next] if window.next >= 0 else None,
            right_image=right_image,
            stereo_baseline=self._baselines[position] if right_image is not None else None,
        )


@dataclass(frozen=True)
class BagData:
    """What `train --bag` trains on."""

    train: BagDataset
    validation_windows: BagDataset | None
    """Held-out windows (the end of each bag): the validation loss."""
    validation: ValidationSet | None
    """The held-out frames with ground truth (when a depth topic is given): validation Abs Rel."""
    summary: BagDataSummary


def _check_topics(path: Path, wanted: dict[str, str]) -> None:
    """Every wanted topic exists with a fitting type; errors list what the bag has."""
    summary = summarise_bag(path)
    types = {topic.name: topic.msgtype for topic in summary.topics}
    listing = ", ".join(f"{t.name} ({t.msgtype}, {t.count})" for t in summary.topics) or "no topics"
    for topic, kind in wanted.items():
        if topic not in types:
            raise BagDataError(f"bag {path} has no topic {topic}; it has: {listing}")
        if types[topic] not in _EXPECTED_TYPES[kind]:
            raise BagDataError(
                f"bag {path}: topic {topic} carries {types[topic]}, not {' or '.join(_EXPECTED_TYPES[kind])} "
                f"(it has: {listing})"
            )


def _odometry(path: Path, topic: str, stamps: np.ndarray) -> np.ndarray:
    messages = [item.message for item in iter_messages(path, [topic])]
    return OdometryTrack.from_messages(messages).poses_at(stamps)


def _runs(segments: np.ndarray) -> list[np.ndarray]:
    """Positions of consecutive equal values (one calibration segment each)."""
    if segments.shape[0] == 0:
        return []
    cuts = np.flatnonzero(np.diff(segments)) + 1
    return np.split(np.arange(segments.shape[0]), cuts)


def _windows(frames: np.ndarray, partner: np.ndarray | None, config: TrainingConfig) -> list[Window]:
    """Windows over time-ordered `frames` of one calibration; `partner[frame]` is its right frame."""
    if config.uses_temporal:
        windows = triplets(frames, config.frame_stride)
    else:
        windows = [Window(int(frame)) for frame in frames]
    if partner is not None:
        windows = [w._replace(right=int(partner[w.target])) for w in windows]
    return windows


def build_bag_data(
    config: TrainingConfig,
    selection: BagSelection,
    *,
    progress: ProgressFn | None = None,
) -> BagData:
    """Read, decode (or find in the cache) and window the selected bags for `config`; see the module docstring."""
    cache_dir = Path(config.frame_cache_dir) if config.frame_cache_dir else default_cache_dir()
    use_right = config.uses_right
    if use_right and not selection.stereo:
        raise BagDataError(
            f"mode {config.mode.value!r} needs a right image: give the right camera's image topic "
            "(--right-image-topic, parameter right_image_topic)"
        )
    wanted = {selection.image_topic: "image", selection.camera_info_topic: "camera_info"}
    if use_right:
        wanted |= {selection.right_image_topic: "image", selection.right_camera_info_topic: "camera_info"}
    if selection.odom_topic:
        wanted[selection.odom_topic] = "odometry"
    if selection.depth_topic:
        wanted[selection.depth_topic] = "depth"
    for path in selection.bags:  # every bag before any decoding: a mistake in the last one fails at once
        _check_topics(path, wanted)
    bags: list[_BagFrames] = []
    train: list[tuple[int, Window]] = []
    held_out: list[tuple[int, Window]] = []
    held_out_frames: list[tuple[int, int]] = []
    reports: list[BagReport] = []
    for bag_index, path in enumerate(selection.bags):
        bag, training_windows, validation_windows, frames, report = _read_bag(
            path, selection, config, cache_dir, progress
        )
        bags.append(bag)
        held_out_frames.extend((bag_index, int(frame)) for frame in frames)
        train.extend((bag_index, window) for window in training_windows)
        held_out.extend((bag_index, window) for window in validation_windows)
        reports.append(report)
    if not train:
        raise BagDataError(_too_few_message(reports, config))
    baselines = _baselines(bags, train + held_out, config) if use_right else {}
    summary = BagDataSummary(
        tuple(reports), config.width, config.height, float(np.median(list(baselines.values()))) if baselines else None
    )
    info = DatasetInfo(
        width=config.width,
        height=config.height,
        temporal=config.uses_temporal,
        right=use_right,
        depth=False,
        stereo_baseline=summary.stereo_baseline,
        name=", ".join(str(p) for p in selection.bags) if len(selection.bags) < 3 else f"{len(selection.bags)} bags",
    )

    def dataset(windows: list[tuple[int, Window]], name: str) -> BagDataset:
        return BagDataset(
            bags, windows, DatasetInfo(**{**info.__dict__, "name": name}),
            [baselines.get((b, w.right), 0.0) for b, w in windows],
        )  # fmt: skip

    validation_windows = dataset(held_out, f"held-out end of {info.name}") if held_out else None
    validation = None
    if selection.depth_topic and held_out_frames:
        validation = _ground_truth(bags, held_out_frames, selection.depth_topic, config)
    return BagData(dataset(train, info.name), validation_windows, validation, summary)


def _read_bag(
    path: Path, selection: BagSelection, config: TrainingConfig, cache_dir: Path, progress: ProgressFn | None
) -> tuple[_BagFrames, list[Window], list[Window], np.ndarray, BagReport]:
    """One bag's frames, its training and validation windows, its held-out frames, and its report."""
    use_right = config.uses_right

    def frames(image: str, info: str) -> CachedFrames:
        fit, rectify = ImageFit(config.image_fit), Rectify(config.rectify)
        report = None if progress is None else (lambda done: progress(f"{path.name} {image}", done, 0))
        source = FrameSource(path, image, info, config.width, config.height, fit, rectify)
        return load_frames(source, cache_dir, progress=report)

    left = frames(selection.image_topic, selection.camera_info_topic)
    right = frames(selection.right_image_topic, selection.right_camera_info_topic) if use_right else None
    odometry = _odometry(path, selection.odom_topic, left.stamps_ns) if selection.odom_topic else None

    order = np.argsort(left.stamps_ns, kind="stable")
    partner = None
    unpaired = right_unpaired = 0
    if right is not None:
        partner = pair_by_stamp(left.stamps_ns, right.stamps_ns, round(config.stereo_tolerance_ms * 1e6))
        paired = partner[order] >= 0
        unpaired = int((~paired).sum())
        right_unpaired = len(right) - int(paired.sum())
        if len(left) and not paired.any():
            raise BagDataError(_no_pairs_message(path, left, right, selection, config.stereo_tolerance_ms))
        order = order[paired]
    moving = moving_frames(left.pixels, order, config.static_threshold)
    windows: list[list[Window]] = [[], []]
    parts = split_by_time(moving, config.validation_fraction)
    for part, out in zip(parts, windows, strict=True):
        for run in _runs(left.segments[part]):
            out.extend(_windows(part[run], partner, config))
    covered = 0 if odometry is None else int(np.isfinite(odometry[:, 0, 0]).sum())
    report = BagReport(
        path=path, messages=left.messages, before_camera_info=left.before_camera_info, unpaired=unpaired,
        right_unpaired=right_unpaired, static=int(order.shape[0] - moving.shape[0]),
        segments=int(left.camera_matrices.shape[0]), training_windows=len(windows[0]),
        validation_windows=len(windows[1]), odometry_frames=covered, distance_m=_distance(odometry, order),
        cache_hit=left.from_cache and (right is None or right.from_cache),
    )  # fmt: skip
    return _BagFrames(path, left, right, odometry), windows[0], windows[1], parts[1], report


def _distance(odometry: np.ndarray | None, order: np.ndarray) -> float:
    if odometry is None or order.shape[0] < 2:
        return 0.0
    positions = odometry[order][:, :3, 3]
    steps = np.linalg.norm(np.diff(positions, axis=0), axis=1)
    return float(np.nansum(steps))


def _baselines(
    bags: list[_BagFrames], windows: list[tuple[int, Window]], config: TrainingConfig
) -> dict[tuple[int, int], float]:
    """The stereo baseline of each used right frame: from its camera_info's P, or the configured one."""
    found: dict[tuple[int, int], float] = {}
    for bag_index, window in windows:
        right = bags[bag_index].right
        if right is None or window.right < 0:
            continue
        baseline = config.stereo_baseline or float(right.baselines[right.segments[window.right]])
        if not baseline > 0:
            raise BagDataError(
                f"bag {bags[bag_index].path}: the right camera_info gives a stereo baseline of {baseline:.6g} m "
                "(-P[0, 3] / P[0, 0]); a right camera of a calibrated pair has a positive one. Are left and right "
                "swapped? Or set stereo_baseline in the training configuration"
            )
        found[(bag_index, window.right)] = baseline
    return found


def _no_pairs_message(
    path: Path, left: CachedFrames, right: CachedFrames, selection: BagSelection, tolerance_ms: float
) -> str:
    if len(right) == 0:
        return f"bag {path}: the right topic {selection.right_image_topic} has no frame after its camera_info"
    ordered = np.sort(right.stamps_ns)
    after = np.searchsorted(ordered, left.stamps_ns).clip(0, ordered.shape[0] - 1)
    before = (after - 1).clip(0)
    nearest = np.minimum(np.abs(ordered[after] - left.stamps_ns), np.abs(ordered[before] - left.stamps_ns))
    return (
        f"bag {path}: no left frame of {selection.image_topic} has a right frame of {selection.right_image_topic} "
        f"within {tolerance_ms:g} ms (the nearest are {np.median(nearest) / 1e6:.3g} ms apart at the median); "
        "raise stereo_tolerance_ms"
    )


def _too_few_message(reports: list[BagReport], config: TrainingConfig) -> str:
    used = ", ".join(
        f"{r.path}: {r.messages} frames, {r.before_camera_info} before camera_info, {r.unpaired} unpaired, "
        f"{r.static} static"
        for r in reports
    )
    needs = f"{2 * config.frame_stride + 1} moving frames in a row" if config.uses_temporal else "one frame"
    return (
        f"the bags give no training window: one needs {needs} of one calibration (frame_stride "
        f"{config.frame_stride}, validation_fraction {config.validation_fraction}); {used}"
    )


def _ground_truth(
    bags: list[_BagFrames], frames: list[tuple[int, int]], topic: str, config: TrainingConfig
) -> ValidationSet | None:
    """The held-out `frames` (bag, frame) with the depth image of the same stamp, resized (nearest) to the training
    size."""
    images, depths, matrices = [], [], []
    for bag_index, bag in enumerate(bags):
        targets = {int(bag.left.stamps_ns[f]): f for b, f in frames if b == bag_index}
        if not targets:
            continue
        for item in iter_messages(bag.path, [topic]):
            stamp = stamp_ns(item.message.header)
            if stamp not in targets:
                continue
            try:
                depth = message_to_depth(item.message)
            except WireFormatError as error:
                raise BagDataError(f"bag {bag.path}, topic {topic} at {stamp} ns: {error}") from None
            frame = targets.pop(stamp)
            images.append(np.asarray(bag.left.pixels[frame]))
            depths.append(_fit_depth(depth, config))
            matrices.append(bag.left.camera_matrices[bag.left.segments[frame]])
    if not images:
        return None
    # Validation scores every image with one K; frames of other calibrations are left out of it.
    same = [i for i, matrix in enumerate(matrices) if np.allclose(matrix, matrices[0])]
    return ValidationSet(
        np.stack([images[i] for i in same]), np.stack([depths[i] for i in same]), matrices[0],
        name=f"held-out frames with {topic}",
    )  # fmt: skip


def _fit_depth(depth: np.ndarray, config: TrainingConfig) -> np.ndarray:
    height, width = depth.shape
    left, top, crop_w, crop_h = fitted_region(width, height, config.width, config.height, ImageFit(config.image_fit))
    depth = depth[top : top + crop_h, left : left + crop_w]
    return cv2.resize(depth, (config.width, config.height), interpolation=cv2.INTER_NEAREST)
