"""nav_msgs/Odometry of a bag, interpolated at image stamps: translation linearly, rotation by slerp."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.core.wire.stamps import stamp_ns
from mono_depth_ros.data.training.errors import BagDataError

__all__ = ["OdometryTrack", "slerp"]


def slerp(q0: np.ndarray, q1: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Spherical interpolation of unit quaternions (..., 4) at `weight` (...) in [0, 1], shortest arc."""
    dot = np.sum(q0 * q1, axis=-1)
    q1 = np.where(dot[..., None] < 0, -q1, q1)
    dot = np.abs(dot).clip(max=1.0)
    angle = np.arccos(dot)
    sin = np.sin(angle)
    small = sin < 1e-9  # nearly equal rotations: linear interpolation is exact to rounding
    safe = np.where(small, 1.0, sin)
    w0 = np.where(small, 1.0 - weight, np.sin((1.0 - weight) * angle) / safe)
    w1 = np.where(small, weight, np.sin(weight * angle) / safe)
    out = w0[..., None] * q0 + w1[..., None] * q1
    return out / np.linalg.norm(out, axis=-1, keepdims=True)


def _rotation_matrices(quaternions: np.ndarray) -> np.ndarray:
    """(N, 4) x, y, z, w -> (N, 3, 3)."""
    x, y, z, w = np.moveaxis(quaternions, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


class OdometryTrack:
    """Poses of the odometry's child frame (base_link) in its frame (odom), by header stamp."""

    def __init__(self, stamps_ns: np.ndarray, translations: np.ndarray, quaternions: np.ndarray) -> None:
        order = np.argsort(stamps_ns, kind="stable")
        self.stamps_ns = np.asarray(stamps_ns, dtype=np.int64)[order]
        self.translations = np.asarray(translations, dtype=np.float64)[order]
        quaternions = np.asarray(quaternions, dtype=np.float64)[order]
        norms = np.linalg.norm(quaternions, axis=-1, keepdims=True)
        if np.any(~np.isfinite(norms)) or np.any(norms < 1e-6):
            bad = int(np.flatnonzero(~np.isfinite(norms[:, 0]) | (norms[:, 0] < 1e-6))[0])
            raise BagDataError(
                f"odometry at {int(self.stamps_ns[bad])} ns has orientation {quaternions[bad].tolist()}, not a rotation"
            )
        self.quaternions = quaternions / norms

    @classmethod
    def from_messages(cls, messages: list[object]) -> OdometryTrack:
        stamps = np.array([stamp_ns(m.header) for m in messages], dtype=np.int64)  # type: ignore[attr-defined]
        poses = [m.pose.pose for m in messages]  # type: ignore[attr-defined]
        translations = np.array([[p.position.x, p.position.y, p.position.z] for p in poses], dtype=np.float64)
        quaternions = np.array(
            [[p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w] for p in poses], dtype=np.float64
        )
        return cls(stamps.reshape(-1), translations.reshape(-1, 3), quaternions.reshape(-1, 4))

    def __len__(self) -> int:
        return int(self.stamps_ns.shape[0])

    def poses_at(self, stamps_ns: np.ndarray) -> np.ndarray:
        """(N, 4, 4) odom_from_base at `stamps_ns`; NaN outside the track's time span (no extrapolation)."""
        stamps = np.asarray(stamps_ns, dtype=np.int64).reshape(-1)
        out = np.full((stamps.shape[0], 4, 4), np.nan)
        if len(self) == 0:
            return out
        inside = (stamps >= self.stamps_ns[0]) & (stamps <= self.stamps_ns[-1])
        if not inside.any():
            return out
        wanted = stamps[inside]
        upper = np.searchsorted(self.stamps_ns, wanted, side="left").clip(0, len(self) - 1)
        lower = np.where(self.stamps_ns[upper] == wanted, upper, (upper - 1).clip(0))
        span = (self.stamps_ns[upper] - self.stamps_ns[lower]).astype(np.float64)
        weight = np.where(span > 0, (wanted - self.stamps_ns[lower]) / np.where(span > 0, span, 1.0), 0.0)
        translation = self.translations[lower] + weight[:, None] * (self.translations[upper] - self.translations[lower])
        rotation = _rotation_matrices(slerp(self.quaternions[lower], self.quaternions[upper], weight))
        poses = np.zeros((wanted.shape[0], 4, 4))
        poses[:, :3, :3] = rotation
        poses[:, :3, 3] = translation
        poses[:, 3, 3] = 1.0
        out[inside] = poses
        return out
