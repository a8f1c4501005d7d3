"""The scene's solid primitives: vertical prisms (boxes turned about z, and upright cylinders) in a flat table.

Every object of the street (building, car part, pole, sign, tree) is a vertical prism: a convex footprint (a
rectangle or a disc) extruded between two heights. With a level camera that structure makes ray casting separable
(see `raycast`), which is what makes the renderer fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

__all__ = ["Material", "PrismBuilder", "Prisms", "Shape"]


class Shape(IntEnum):
    BOX = 0
    CYLINDER = 1


class Material(IntEnum):
    """Surface classes; each has its own noise contrast (see `textures.MATERIAL_CONTRAST`)."""

    FACADE = 0
    PAINT = 1
    GLASS = 2
    RUBBER = 3
    METAL = 4
    BARK = 5
    FOLIAGE = 6
    CONCRETE = 7
    SIGN = 8


@dataclass(frozen=True)
class Prisms:
    """P prisms; all arrays have P rows. Heights are world z (ground = 0); yaw is about world z."""

    shape: np.ndarray  # (P,) int8 Shape
    centre: np.ndarray  # (P, 2) float64 world x, y
    yaw: np.ndarray  # (P,) float64; the box's first half-size runs along (cos yaw, sin yaw)
    half_size: np.ndarray  # (P, 2) float64 half length, half width (cylinders: radius, radius)
    z_range: np.ndarray  # (P, 2) float64 bottom, top
    material: np.ndarray  # (P,) int8 Material
    colour: np.ndarray  # (P, 3) float32 linear albedo in [0, 1]
    texture_offset: np.ndarray  # (P, 2) float32 random shift of the noise, so no two objects share a texture
    windows: np.ndarray  # (P, 6) float32 pitch_u, width_u, phase_u, pitch_v, width_v, phase_v (width 0: none)

    def __len__(self) -> int:
        return len(self.shape)

    @property
    def radius(self) -> np.ndarray:
        """(P,) radius of the footprint's bounding circle."""
        return np.hypot(self.half_size[:, 0], self.half_size[:, 1])

    def footprint_corners(self, rows: np.ndarray) -> np.ndarray:
        """(R, 4, 2) world xy of the footprint's bounding rectangle of prisms `rows` (R,), counter-clockwise."""
        yaw, half, centre = self.yaw[rows], self.half_size[rows], self.centre[rows]
        axis_u = np.stack((np.cos(yaw), np.sin(yaw)), axis=-1)
        axis_v = np.stack((-axis_u[:, 1], axis_u[:, 0]), axis=-1)
        signs = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
        along = signs[None, :, 0:1] * (half[:, None, 0:1] * axis_u[:, None, :])
        across = signs[None, :, 1:2] * (half[:, None, 1:2] * axis_v[:, None, :])
        return centre[:, None, :] + along + across

    def subset(self, keep: np.ndarray) -> Prisms:
        return Prisms(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})


@dataclass
class PrismBuilder:
    """Collects prisms one by one, then `build()`s the table.

    Each object draws its random texture offset from `rng`, which the caller points at the random stream of the
    kind of object being placed (so that adding objects of one kind never shifts the draws of another).
    """

    rng: np.random.Generator
    rows: list[tuple] = field(default_factory=list)

    def box(
        self,
        centre: np.ndarray,
        yaw: float,
        half_length: float,
        half_width: float,
        bottom: float,
        top: float,
        material: Material,
        colour: np.ndarray,
        windows: tuple[float, ...] = (0.0,) * 6,
    ) -> None:
        self._add(Shape.BOX, centre, yaw, (half_length, half_width), (bottom, top), material, colour, windows)

    def cylinder(
        self, centre: np.ndarray, radius: float, bottom: float, top: float, material: Material, colour: np.ndarray
    ) -> None:
        self._add(Shape.CYLINDER, centre, 0.0, (radius, radius), (bottom, top), material, colour, (0.0,) * 6)

    def _add(
        self,
        shape: Shape,
        centre: np.ndarray,
        yaw: float,
        half_size: tuple[float, float],
        z_range: tuple[float, float],
        material: Material,
        colour: np.ndarray,
        windows: tuple[float, ...],
    ) -> None:
        offset = self.rng.uniform(0.0, 512.0, 2)
        row = (shape, tuple(centre), yaw, half_size, z_range, material, tuple(colour), tuple(offset), windows)
        self.rows.append(row)

    def build(self) -> Prisms:
        if not self.rows:
            return Prisms(
                shape=np.zeros(0, np.int8),
                centre=np.zeros((0, 2)),
                yaw=np.zeros(0),
                half_size=np.zeros((0, 2)),
                z_range=np.zeros((0, 2)),
                material=np.zeros(0, np.int8),
                colour=np.zeros((0, 3), np.float32),
                texture_offset=np.zeros((0, 2), np.float32),
                windows=np.zeros((0, 6), np.float32),
            )
        columns = list(zip(*self.rows, strict=True))
        return Prisms(
            shape=np.array(columns[0], np.int8),
            centre=np.array(columns[1], np.float64),
            yaw=np.array(columns[2], np.float64),
            half_size=np.array(columns[3], np.float64),
            z_range=np.array(columns[4], np.float64),
            material=np.array(columns[5], np.int8),
            colour=np.array(columns[6], np.float32),
            texture_offset=np.array(columns[7], np.float32),
            windows=np.array(columns[8], np.float32),
        )
