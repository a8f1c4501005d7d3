"""Scale from odometry: the pose network's camera motion against the robot's odometry over the same interval.

The pose network's translation between two processed frames is in the depth network's (relative) units; odometry
interpolated at the two frame stamps and moved into the camera frame gives the same motion in metres. Each pair
gives one scale sample |t_odometry| / |t_network| (a translation's norm is the same for a transform and its
inverse, so the sample does not depend on which way the network's motion points); the `RobustWindow` combines the
newest ones. Samples with too little motion (the ratio is then mostly noise) are skipped; odometry that jumps, a
clock that goes backwards and non-finite values are detected and never used.

`OdometryTrack` keeps the recent odometry poses for a node: it interpolates them at frame stamps and starts a new
segment at every reset, jump or backwards step, so no motion is ever measured across one.

Samples measured another way over the same motion (`reprojection_scale`) go through `check_motion` (the same
checks) and `add_scale`.
"""

from __future__ import annotations

import math
from collections import deque
from enum import Enum

import numpy as np
from scipy.spatial.transform import Rotation

from mono_depth_ros.core.arrays import as_float64
from mono_depth_ros.core.numbers import check_positive, is_finite_number
from mono_depth_ros.core.scale.errors import ScaleError, ScaleInputError
from mono_depth_ros.core.scale.window import ScaleEstimate, WindowedScaleEstimator
from mono_depth_ros.core.shapes import ShapeError, check_shape

__all__ = [
    "OdometryScaleEstimator",
    "OdometryTrack",
    "SampleVerdict",
    "ScaleEstimate",
    "camera_motion",
    "interpolate_pose",
    "rotation_angle",
]


class SampleVerdict(str, Enum):
    """What became of one odometry sample (or motion pair)."""

    USED = "used"
    TOO_LITTLE_MOTION = "too_little_motion"
    """The odometry moved less than min_translation: the ratio would be mostly noise."""
    JUMP = "jump"
    """The odometry moved or turned faster than plausible: a relocalisation, a glitch."""
    RESET = "reset"
    """The odometry jumped back to its origin: it was restarted."""
    TIME_BACKWARDS = "time_backwards"
    """The stamp is not after the previous one (a bag that loops, a clock reset)."""
    NOT_FINITE = "not_finite"
    """NaN or infinite values, or a network that saw no motion at all."""


def interpolate_pose(stamps: object, poses: object, at: float) -> np.ndarray:
    """The pose at time `at` between time-stamped poses: linear in translation, slerp in rotation.

    Args:
        stamps: (N,) strictly increasing times in seconds.
        poses: (N, 4, 4) rigid transforms (e.g. odom_from_base) at those times.
        at: the time to interpolate at, within [stamps[0], stamps[-1]].

    Returns:
        (4, 4) float64.

    Raises:
        ScaleInputError: shapes that do not match, stamps not strictly increasing, or `at` outside their range.
    """
    times = as_float64(stamps, "interpolate_pose stamps", ScaleInputError)
    transforms = as_float64(poses, "interpolate_pose poses", ScaleInputError)
    try:
        bound = check_shape(times, "interpolate_pose stamps", ["N"])
        check_shape(transforms, "interpolate_pose poses", ["N", 4, 4], bound)
    except ShapeError as error:
        raise ScaleInputError(str(error)) from None
    if times.size == 0 or not np.isfinite(times).all() or (np.diff(times) <= 0).any():
        raise ScaleInputError(f"interpolate_pose stamps must be finite and strictly increasing, got {times}")
    if not is_finite_number(at) or not times[0] <= at <= times[-1]:
        raise ScaleInputError(
            f"interpolate_pose time {at!r} is outside the stamps' range [{float(times[0])!r}, {float(times[-1])!r}]"
        )
    index = int(np.clip(np.searchsorted(times, at, side="right") - 1, 0, times.size - 1))
    if index == times.size - 1:
        return transforms[index].copy()
    alpha = (at - times[index]) / (times[index + 1] - times[index])
    first, second = transforms[index], transforms[index + 1]
    step = Rotation.from_matrix(first[:3, :3].T @ second[:3, :3]).as_rotvec()
    result = np.eye(4)
    result[:3, :3] = first[:3, :3] @ Rotation.from_rotvec(alpha * step).as_matrix()
    result[:3, 3] = (1 - alpha) * first[:3, 3] + alpha * second[:3, 3]
    return result


def camera_motion(odom_from_base_a: object, odom_from_base_b: object, base_from_camera: object) -> np.ndarray:
    """camera_a_from_camera_b (4, 4): where the camera at time b is, seen from the camera at time a.

    For a camera moving forward its translation points along +z (the optical axis). All arguments are (4, 4)
    rigid transforms; base_from_camera is the camera optical frame's pose on the robot (the odometry child frame).

    Raises:
        ScaleInputError: an argument that is not a (4, 4) array.
    """
    matrices = []
    for name, value in (
        ("odom_from_base_a", odom_from_base_a),
        ("odom_from_base_b", odom_from_base_b),
        ("base_from_camera", base_from_camera),
    ):
        matrix = as_float64(value, name, ScaleInputError)
        if matrix.shape != (4, 4):
            raise ScaleInputError(f"camera_motion {name} must be a (4, 4) transform, got shape {matrix.shape}")
        matrices.append(matrix)
    a, b, camera = matrices
    return _invert(camera) @ _invert(a) @ b @ camera


def rotation_angle(transform: object) -> float:
    """The rotation angle (radians, in [0, pi]) of a (4, 4) transform or (3, 3) rotation matrix."""
    matrix = as_float64(transform, "transform", ScaleInputError)[:3, :3]
    return float(np.arccos(np.clip((np.trace(matrix) - 1) / 2, -1.0, 1.0)))


class OdometryScaleEstimator(WindowedScaleEstimator):
    """Scale = |odometry translation| / |network translation| over a robust sliding window of motion pairs.

    Args:
        window: the newest samples kept.
        min_translation: metres; pairs where the odometry moved less are skipped (TOO_LITTLE_MOTION).
        max_rotation_rate: rad/s; pairs whose odometry rotation (when given to `add`) is faster are not used (JUMP).
        max_speed: m/s; pairs whose odometry moved faster are not used (JUMP).
        min_samples, tolerance, rejection: see `RobustWindow` (min_samples is capped at `window`).

    Raises:
        ScaleError: a setting out of range (see `RobustWindow` too).
    """

    def __init__(
        self,
        window: int = 100,
        min_translation: float = 0.2,
        max_rotation_rate: float = 2.0,
        max_speed: float = 40.0,
        min_samples: int = 20,
        tolerance: float = 0.01,
        rejection: float = 3.0,
    ) -> None:
        self.min_translation = check_positive(min_translation, "min_translation", ScaleError)
        self.max_rotation_rate = check_positive(max_rotation_rate, "max_rotation_rate", ScaleError)
        self.max_speed = check_positive(max_speed, "max_speed", ScaleError)
        super().__init__(window, min_samples, tolerance, rejection)
        self._last_stamp: float | None = None

    def add(
        self,
        stamp_s: float,
        network_translation: object,
        odometry_translation: object,
        *,
        interval_s: float | None = None,
        rotation: float | None = None,
    ) -> SampleVerdict:
        """One motion pair over the interval ending at `stamp_s`: the sample |odometry| / |network translation|.

        Args:
            stamp_s: end of the interval, seconds; a stamp before the previous one clears the window (a new run).
            network_translation: (3,) the pose network's camera translation, relative units.
            odometry_translation: (3,) the odometry's camera translation over the same interval, metres, in the
                camera frame (`camera_motion`).
            interval_s: the interval's length, seconds (default: since the previous stamp), for the speed check.
            rotation: the odometry's rotation angle over the interval, radians, for the rotation-rate check.

        Raises:
            ScaleInputError: a translation that is not (3,).
        """
        network = _vector3(network_translation, "network_translation")
        odometry = _vector3(odometry_translation, "odometry_translation")
        verdict = self.check_motion(stamp_s, odometry, interval_s=interval_s, rotation=rotation)
        if verdict is not SampleVerdict.USED:
            return verdict
        if not np.isfinite(network).all():
            return SampleVerdict.NOT_FINITE
        network_distance = float(np.linalg.norm(network))
        distance = float(np.linalg.norm(odometry))
        return self.add_scale(distance / network_distance if network_distance > 0 else math.inf)

    def check_motion(
        self,
        stamp_s: float,
        odometry_translation: object,
        *,
        interval_s: float | None = None,
        rotation: float | None = None,
    ) -> SampleVerdict:
        """Whether the odometry's motion over the interval ending at `stamp_s` can give a sample (USED) or why
        not; the stamp becomes the previous one. Arguments as `add`; for samples measured another way (e.g.
        `reprojection_scale`), call this first and `add_scale` with the sample when USED."""
        odometry = _vector3(odometry_translation, "odometry_translation")
        if not is_finite_number(stamp_s):
            return SampleVerdict.NOT_FINITE
        stamp = float(stamp_s)
        previous, self._last_stamp = self._last_stamp, stamp
        if previous is not None and stamp <= previous:
            if stamp < previous:
                self.window.clear()
            return SampleVerdict.TIME_BACKWARDS
        if not np.isfinite(odometry).all() or (rotation is not None and not is_finite_number(rotation)):
            return SampleVerdict.NOT_FINITE
        interval = interval_s if interval_s is not None else (None if previous is None else stamp - previous)
        distance = float(np.linalg.norm(odometry))
        if interval is not None and is_finite_number(interval) and interval > 0:
            too_fast = distance > self.max_speed * interval
            if too_fast or (rotation is not None and abs(rotation) > self.max_rotation_rate * interval):
                return SampleVerdict.JUMP
        if distance < self.min_translation:
            return SampleVerdict.TOO_LITTLE_MOTION
        return SampleVerdict.USED

    def add_scale(self, scale: float) -> SampleVerdict:
        """One scale sample (metres per relative unit) whose motion `check_motion` accepted."""
        if not (is_finite_number(scale) and scale > 0):
            return SampleVerdict.NOT_FINITE
        self.window.add(float(scale))
        return SampleVerdict.USED

    def clear(self) -> None:
        """Forget every sample and the previous stamp."""
        super().clear()
        self._last_stamp = None


class OdometryTrack:
    """Recent odometry poses of one continuous segment, for motion between frame stamps.

    `add` checks each odometry sample against the previous one: a backwards stamp, a jump faster than `max_speed`
    or `max_rotation_rate`, or a jump back to the origin (a reset, within `reset_radius` metres of it) starts a new
    segment with this sample, so `motion` never spans one. Poses older than `horizon_s` before the newest are
    dropped.

    Raises:
        ScaleError: a setting that is not finite and positive.
    """

    def __init__(
        self,
        max_speed: float = 40.0,
        max_rotation_rate: float = 6.0,
        reset_radius: float = 1e-3,
        horizon_s: float = 30.0,
    ) -> None:
        self.max_speed = check_positive(max_speed, "max_speed", ScaleError)
        self.max_rotation_rate = check_positive(max_rotation_rate, "max_rotation_rate", ScaleError)
        self.reset_radius = check_positive(reset_radius, "reset_radius", ScaleError)
        self.horizon_s = check_positive(horizon_s, "horizon_s", ScaleError)
        self._stamps: deque[float] = deque()
        self._poses: deque[np.ndarray] = deque()

    def __len__(self) -> int:
        return len(self._stamps)

    def add(self, stamp_s: float, odom_from_base: object) -> SampleVerdict:
        """Add one odometry pose (4, 4) at `stamp_s`; anything but USED starts a new segment (or drops the sample).

        Raises:
            ScaleInputError: a pose that is not (4, 4).
        """
        pose = as_float64(odom_from_base, "odom_from_base", ScaleInputError)
        if pose.shape != (4, 4):
            raise ScaleInputError(f"odom_from_base must be a (4, 4) transform, got shape {pose.shape}")
        if not is_finite_number(stamp_s) or not np.isfinite(pose).all():
            return SampleVerdict.NOT_FINITE
        stamp = float(stamp_s)
        if self._stamps and stamp <= self._stamps[-1]:
            if stamp == self._stamps[-1]:
                return SampleVerdict.TIME_BACKWARDS  # a duplicate: keep the segment, drop the sample
            self._restart(stamp, pose)
            return SampleVerdict.TIME_BACKWARDS
        if self._stamps:
            interval = stamp - self._stamps[-1]
            previous = self._poses[-1]
            moved = float(np.linalg.norm(pose[:3, 3] - previous[:3, 3]))
            turned = rotation_angle(previous[:3, :3].T @ pose[:3, :3])
            if moved > self.max_speed * interval or turned > self.max_rotation_rate * interval:
                at_origin = float(np.linalg.norm(pose[:3, 3])) <= self.reset_radius
                self._restart(stamp, pose)
                return SampleVerdict.RESET if at_origin else SampleVerdict.JUMP
        self._stamps.append(stamp)
        self._poses.append(pose)
        while self._stamps[0] < stamp - self.horizon_s:
            self._stamps.popleft()
            self._poses.popleft()
        return SampleVerdict.USED

    def clear(self) -> None:
        self._stamps.clear()
        self._poses.clear()

    @property
    def newest_stamp(self) -> float | None:
        """The stamp of the newest pose, or None while empty."""
        return self._stamps[-1] if self._stamps else None

    def covers(self, stamp_s: float) -> bool:
        """Whether `stamp_s` lies within the current segment."""
        return bool(self._stamps) and self._stamps[0] <= stamp_s <= self._stamps[-1]

    def pose_at(self, stamp_s: float) -> np.ndarray | None:
        """odom_from_base (4, 4) interpolated at `stamp_s`, or None outside the current segment."""
        if not self.covers(stamp_s):
            return None
        return interpolate_pose(np.fromiter(self._stamps, dtype=np.float64), np.stack(self._poses), stamp_s)

    def motion(self, stamp_a: float, stamp_b: float, base_from_camera: object) -> np.ndarray | None:
        """camera_a_from_camera_b (4, 4) between two stamps of the current segment, or None when it does not
        cover both (no odometry yet, a reset or jump in between, a frame newer than the newest odometry)."""
        pose_a, pose_b = self.pose_at(stamp_a), self.pose_at(stamp_b)
        if pose_a is None or pose_b is None:
            return None
        return camera_motion(pose_a, pose_b, base_from_camera)

    def _restart(self, stamp: float, pose: np.ndarray) -> None:
        self.clear()
        self._stamps.append(stamp)
        self._poses.append(pose)


def _vector3(value: object, name: str) -> np.ndarray:
    vector = as_float64(value, name, ScaleInputError)
    if vector.shape != (3,):
        raise ScaleInputError(f"{name} must have shape (3,), got {vector.shape}")
    return vector


def _invert(transform: np.ndarray) -> np.ndarray:
    """Closed-form inverse of a rigid (4, 4) transform."""
    inverse = np.eye(4)
    inverse[:3, :3] = transform[:3, :3].T
    inverse[:3, 3] = -transform[:3, :3].T @ transform[:3, 3]
    return inverse
