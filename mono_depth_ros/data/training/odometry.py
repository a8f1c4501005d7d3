"""nav_msgs/Odometry of a bag at image stamps, interpolated by `core.scale.interpolate_pose` (linear translation,
slerp rotation), the same interpolation calibration_node uses online."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from mono_depth_ros.core.scale.odometry import interpolate_pose
from mono_depth_ros.core.wire.stamps import NS_PER_S, stamp_ns
from mono_depth_ros.data.training.errors import BagDataError

__all__ = ["OdometryTrack"]


class OdometryTrack:
    """Poses of the odometry's child frame (base_link) in its frame (odom), by header stamp; of messages with the
    same stamp the last one counts."""

    def __init__(self, stamps_ns: np.ndarray, translations: np.ndarray, quaternions: np.ndarray) -> None:
        stamps = np.asarray(stamps_ns, dtype=np.int64).reshape(-1)
        translations = np.asarray(translations, dtype=np.float64).reshape(-1, 3)
        quaternions = np.asarray(quaternions, dtype=np.float64).reshape(-1, 4)
        norms = np.linalg.norm(quaternions, axis=-1)
        bad = np.flatnonzero(~np.isfinite(norms) | (norms < 1e-6) | ~np.isfinite(translations).all(axis=1))
        if bad.size:
            raise BagDataError(
                f"odometry at {int(stamps[bad[0]])} ns has position {translations[bad[0]].tolist()} and orientation "
                f"{quaternions[bad[0]].tolist()}, not a pose"
            )
        # Sorted by stamp, the last of equal stamps kept (interpolation needs strictly increasing times).
        order = np.lexsort((np.arange(stamps.shape[0]), stamps))
        stamps, translations, quaternions = stamps[order], translations[order], quaternions[order]
        last = np.append(stamps[1:] != stamps[:-1], True)[: stamps.shape[0]]
        self.stamps_ns = stamps[last]
        self.poses = np.zeros((self.stamps_ns.shape[0], 4, 4))
        self.poses[:, :3, :3] = Rotation.from_quat(quaternions[last]).as_matrix()
        self.poses[:, :3, 3] = translations[last]
        self.poses[:, 3, 3] = 1.0

    @classmethod
    def from_messages(cls, messages: list[object]) -> OdometryTrack:
        stamps = np.array([stamp_ns(m.header) for m in messages], dtype=np.int64)  # type: ignore[attr-defined]
        poses = [m.pose.pose for m in messages]  # type: ignore[attr-defined]
        translations = np.array([[p.position.x, p.position.y, p.position.z] for p in poses], dtype=np.float64)
        quaternions = np.array(
            [[p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w] for p in poses], dtype=np.float64
        )
        return cls(stamps, translations, quaternions)

    def __len__(self) -> int:
        return int(self.stamps_ns.shape[0])

    def poses_at(self, stamps_ns: np.ndarray) -> np.ndarray:
        """(N, 4, 4) odom_from_base at `stamps_ns`; NaN outside the track's time span (no extrapolation)."""
        stamps = np.asarray(stamps_ns, dtype=np.int64).reshape(-1)
        out = np.full((stamps.shape[0], 4, 4), np.nan)
        if len(self) == 0:
            return out
        # Seconds from the first sample: exact to the nanosecond in float64 (absolute epoch seconds are not).
        times = (self.stamps_ns - self.stamps_ns[0]) / NS_PER_S
        for index, stamp in enumerate(stamps):
            if self.stamps_ns[0] <= stamp <= self.stamps_ns[-1]:
                out[index] = interpolate_pose(times, self.poses, (stamp - self.stamps_ns[0]) / NS_PER_S)
        return out
