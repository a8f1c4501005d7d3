"""The street's centre path as an arc-length table, its cross-section, and curvilinear coordinates (s, d).

s is the arc length along the car's path and d the signed lateral offset (positive to the left). The car drives at
d = 0 in the right lane; the road's centre line is at d = lane_width / 2. Everything on the ground (lanes, curbs,
sidewalks) is a function of (s, d), found for any ground point by projecting it on the path: two Newton steps on the
tangent lines of a fine table (0.25 m), exact to well under a millimetre for the curvatures the drive allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["PATH_SPACING_M", "PathWindow", "RoadLayout", "StreetPath"]

PATH_SPACING_M = 0.25


@dataclass(frozen=True)
class RoadLayout:
    """The street's cross-section, as distances e = |d - lane_width / 2| from the road's centre line."""

    lane_width: float
    parking_width: float
    curb_width: float
    sidewalk_width: float
    dash_length: float
    dash_period: float
    dash_phase: float
    crosswalk_period: float
    crosswalk_phase: float

    @classmethod
    def random(cls, rng: np.random.Generator) -> RoadLayout:
        return cls(
            lane_width=float(rng.uniform(3.2, 3.7)),
            parking_width=float(rng.uniform(2.0, 2.5)),
            curb_width=0.25,
            sidewalk_width=float(rng.uniform(2.5, 4.0)),
            dash_length=3.0,
            dash_period=float(rng.choice([8.0, 9.0, 12.0])),
            dash_phase=float(rng.uniform(0.0, 12.0)),
            crosswalk_period=float(rng.uniform(120.0, 200.0)),
            crosswalk_phase=float(rng.uniform(40.0, 100.0)),
        )

    @property
    def centre_offset(self) -> float:
        """d of the road's centre line (the car keeps right)."""
        return 0.5 * self.lane_width

    @property
    def road_edge(self) -> float:
        """e of the carriageway's edge line (two lanes)."""
        return self.lane_width

    @property
    def curb_start(self) -> float:
        return self.lane_width + self.parking_width

    @property
    def sidewalk_start(self) -> float:
        return self.curb_start + self.curb_width

    @property
    def sidewalk_end(self) -> float:
        """e where private ground (front gardens, lots) begins; buildings stand at or beyond it."""
        return self.sidewalk_start + self.sidewalk_width

    def side_offset(self, side: int, e: float) -> float:
        """d of the point at distance e from the centre line on `side` (+1 left, -1 right)."""
        return self.centre_offset + side * e


class StreetPath:
    """The car's path sampled at uniform arc length: stations s (N,), positions xy (N, 2), headings (N,)."""

    def __init__(self, stations: np.ndarray, xy: np.ndarray, heading: np.ndarray) -> None:
        self.stations = np.asarray(stations, dtype=np.float64)
        self.xy = np.asarray(xy, dtype=np.float64)
        self.heading = np.asarray(heading, dtype=np.float64)
        self.spacing = float(self.stations[1] - self.stations[0])
        self.tangent = np.stack((np.cos(self.heading), np.sin(self.heading)), axis=-1)

    def index_of(self, s: np.ndarray | float) -> np.ndarray:
        """Nearest table index of station(s) s, clipped to the table."""
        index = np.rint((np.asarray(s, dtype=np.float64) - self.stations[0]) / self.spacing)
        return np.clip(index, 0, len(self.stations) - 1).astype(np.int64)

    def frame_at(self, s: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Position (..., 2) and unit tangent (..., 2) at station(s) s (first order from the nearest sample)."""
        index = self.index_of(s)
        offset = (np.asarray(s, dtype=np.float64) - self.stations[index])[..., None]
        return self.xy[index] + offset * self.tangent[index], self.tangent[index]

    def point(self, s: np.ndarray | float, d: np.ndarray | float) -> np.ndarray:
        """World xy (..., 2) of curvilinear coordinates (s, d)."""
        position, tangent = self.frame_at(s)
        normal = np.stack((-tangent[..., 1], tangent[..., 0]), axis=-1)
        return position + np.asarray(d, dtype=np.float64)[..., None] * normal

    def project(self, points: np.ndarray, guess: np.ndarray, steps: int = 4) -> tuple[np.ndarray, np.ndarray]:
        """(s, d) of world points (..., 2), by Newton steps from stations `guess` (...,) near the answer."""
        s = np.asarray(guess, dtype=np.float64)
        for _ in range(steps):
            index = self.index_of(s)
            delta = points - self.xy[index]
            s = self.stations[index] + np.sum(delta * self.tangent[index], axis=-1)
        index = self.index_of(s)
        delta = points - self.xy[index]
        tangent = self.tangent[index]
        return s, tangent[..., 0] * delta[..., 1] - tangent[..., 1] * delta[..., 0]

    def window(self, camera_xy: np.ndarray, s_low: float, s_high: float) -> PathWindow:
        """The table between s_low and s_high with positions relative to `camera_xy` (precision for float32)."""
        low, high = int(self.index_of(s_low)), int(self.index_of(s_high)) + 1
        return PathWindow(
            first_station=float(self.stations[low]),
            spacing=self.spacing,
            relative_xy=self.xy[low:high] - camera_xy,
            tangent=self.tangent[low:high],
        )


@dataclass(frozen=True)
class PathWindow:
    """A piece of the path table, positions relative to a camera, for projecting that camera's ground pixels."""

    first_station: float
    spacing: float
    relative_xy: np.ndarray
    tangent: np.ndarray

    def project_torch(
        self, x: torch.Tensor, y: torch.Tensor, s_guess: torch.Tensor, steps: int = 2
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(s - first_station, d, tangent x, tangent y) of camera-relative ground points x, y (any shape).

        s is returned relative to `first_station` to keep float32 precision on long drives.
        """
        table = torch.from_numpy(np.concatenate((self.relative_xy, self.tangent), axis=1).astype(np.float32))
        table = table.to(x.device)
        last = table.shape[0] - 1

        def tangent_projection(s: torch.Tensor) -> tuple[torch.Tensor, ...]:
            # Project on the tangent line of the nearest table sample.
            index = torch.round(s * (1.0 / self.spacing)).clamp_(0, last).long()
            row = table.index_select(0, index.reshape(-1)).reshape(*index.shape, 4)
            dx, dy = x - row[..., 0], y - row[..., 1]
            tx, ty = row[..., 2], row[..., 3]
            return index * self.spacing + dx * tx + dy * ty, dx, dy, tx, ty

        s = s_guess
        for _ in range(steps):
            s = tangent_projection(s)[0]
        s, dx, dy, tx, ty = tangent_projection(s)
        return s, tx * dy - ty * dx, tx, ty
