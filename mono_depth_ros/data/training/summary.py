"""What the training data made of the bags: frames read, skipped and why, windows, odometry, cache use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["BagDataSummary", "BagReport"]


@dataclass(frozen=True)
class BagReport:
    """One bag's account: every image message is either in a window's frames or counted as skipped."""

    path: Path
    messages: int
    """Image messages on the (left) image topic."""
    before_camera_info: int
    """Frames skipped because no camera_info had been seen at their stamp."""
    unpaired: int
    """Left frames without a right frame within the stereo tolerance (stereo modes), skipped."""
    right_unpaired: int
    static: int
    """Frames skipped because the camera had not moved since the previous kept frame."""
    segments: int
    """Distinct camera calibrations (a change mid-bag starts a new segment)."""
    training_windows: int
    validation_windows: int
    odometry_frames: int
    """Frames with an odometry pose interpolated at their stamp (0 without an odometry topic)."""
    distance_m: float
    """Odometry distance travelled over the bag's frames."""
    cache_hit: bool


@dataclass(frozen=True)
class BagDataSummary:
    reports: tuple[BagReport, ...]
    width: int
    height: int
    stereo_baseline: float | None

    @property
    def training_windows(self) -> int:
        return sum(r.training_windows for r in self.reports)

    @property
    def validation_windows(self) -> int:
        return sum(r.validation_windows for r in self.reports)

    def format(self) -> str:
        lines = [
            f"bag data at {self.width}x{self.height}: {self.training_windows} training and "
            f"{self.validation_windows} validation windows from {len(self.reports)} bag(s)"
            + (f", stereo baseline {self.stereo_baseline:.4g} m" if self.stereo_baseline else "")
        ]
        for r in self.reports:
            skipped = [
                f"{count} {why}"
                for count, why in (
                    (r.before_camera_info, "before any camera_info"),
                    (r.unpaired, "without a right frame"),
                    (r.static, "static"),
                )
                if count
            ]
            odometry = f", odometry at {r.odometry_frames} frames ({r.distance_m:.1f} m)" if r.odometry_frames else ""
            lines.append(
                f"  {r.path}: {r.messages} frames ({'cached' if r.cache_hit else 'decoded'}), "
                f"skipped {', '.join(skipped) if skipped else 'none'}; {r.segments} calibration(s); "
                f"{r.training_windows} + {r.validation_windows} windows{odometry}"
            )
        return "\n".join(lines)
