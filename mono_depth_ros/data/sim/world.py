"""The street scene: primitives placed along the drive's path from the seed.

Each kind of object (building rows, parked cars, lamps, signs, trees, street furniture) on each side of the street
draws from its own random stream and is laid out by walking a cursor along the path's arc length s. A longer drive
therefore only appends objects: frame k of a short world is identical to frame k of a longer one with the same seed.
Buildings are finally checked against the whole street corridor (a curve could bring the street back near a far
tower) and pushed back when they would stand on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from mono_depth_ros.data.sim.config import SimConfig
from mono_depth_ros.data.sim.ground import GroundPattern
from mono_depth_ros.data.sim.primitives import Material, PrismBuilder, Prisms
from mono_depth_ros.data.sim.street import PATH_SPACING_M, RoadLayout, StreetPath
from mono_depth_ros.data.sim.textures import NoiseBank
from mono_depth_ros.data.sim.trajectory import Trajectory

__all__ = ["CORRIDOR_REACH_M", "Lighting", "Scene", "build_scene"]

CORRIDOR_REACH_M = 200.0
"""Arc length on either side of a building within which the street must stay clear of it."""

_FACADE_COLOURS = np.array(
    [
        [0.55, 0.27, 0.20],  # brick
        [0.42, 0.22, 0.18],  # dark brick
        [0.76, 0.68, 0.55],  # beige
        [0.80, 0.75, 0.64],  # cream
        [0.55, 0.55, 0.53],  # concrete
        [0.38, 0.38, 0.40],  # dark grey
        [0.78, 0.60, 0.33],  # ochre
        [0.80, 0.55, 0.45],  # salmon
        [0.55, 0.62, 0.70],  # pale blue
        [0.80, 0.79, 0.76],  # white
        [0.50, 0.56, 0.48],  # green grey
    ]
)
_CAR_COLOURS = np.array(
    [
        [0.78, 0.78, 0.78],
        [0.14, 0.14, 0.15],
        [0.58, 0.60, 0.62],
        [0.62, 0.08, 0.06],
        [0.10, 0.20, 0.50],
        [0.10, 0.28, 0.16],
        [0.80, 0.65, 0.10],
        [0.35, 0.36, 0.38],
    ]
)
_SIGN_COLOURS = np.array([[0.10, 0.25, 0.65], [0.75, 0.10, 0.08], [0.90, 0.90, 0.88], [0.90, 0.72, 0.05]])
_GLASS = np.array([0.20, 0.24, 0.30])
_RUBBER = np.array([0.12, 0.12, 0.12])
_METAL = np.array([0.40, 0.42, 0.44])
_BARK = np.array([0.30, 0.22, 0.15])
_FOLIAGE = np.array([0.18, 0.34, 0.12])
_SIDES = (-1, 1)  # right, left


@dataclass(frozen=True)
class Lighting:
    """Fixed Lambertian lighting: a directional sun (unit vector towards it, world frame) plus ambient."""

    sun_direction: np.ndarray
    sun_colour: np.ndarray
    ambient_colour: np.ndarray

    @classmethod
    def random(cls, rng: np.random.Generator) -> Lighting:
        azimuth, elevation = rng.uniform(0.0, 2 * np.pi), rng.uniform(0.5, 0.9)
        direction = np.array(
            [np.cos(azimuth) * np.cos(elevation), np.sin(azimuth) * np.cos(elevation), np.sin(elevation)]
        )
        return cls(direction, np.array([0.70, 0.66, 0.58]), np.array([0.40, 0.43, 0.50]))


@dataclass(frozen=True)
class Scene:
    """Everything the renderer draws; `cache` holds per-device tensors built on first use."""

    prisms: Prisms
    path: StreetPath
    road: RoadLayout
    ground: GroundPattern
    noise: NoiseBank
    lighting: Lighting
    draw_distance: float
    fog_distance: float
    cache: dict = field(default_factory=dict, compare=False, repr=False)


def build_scene(config: SimConfig, trajectory: Trajectory) -> Scene:
    """The street along `trajectory` (its whole [start, end] range), populated unless `config.ground_only`."""
    stations, xy, heading = trajectory.path_samples(PATH_SPACING_M)
    path = StreetPath(stations, xy, heading)
    road = RoadLayout.random(np.random.default_rng([config.seed, 2]))
    builder = PrismBuilder(np.random.default_rng([config.seed, 3]))
    if not config.ground_only:
        # Objects stop CORRIDOR_REACH_M before the path does, so the corridor check always sees the same path.
        street = _Street(builder, path, road, begin=stations[0] + 2.0, end=stations[-1] - CORRIDOR_REACH_M)
        for side_index, side in enumerate(_SIDES):
            for kind, place in enumerate(_PLACERS):
                # One random stream per side and kind: a longer street only appends objects.
                builder.rng = np.random.default_rng([config.seed, 4, side_index, kind])
                place(street, builder.rng, side)
    return Scene(
        prisms=builder.build(),
        path=path,
        road=road,
        ground=GroundPattern(road),
        noise=NoiseBank(np.random.default_rng([config.seed, 5])),
        lighting=Lighting.random(np.random.default_rng([config.seed, 6])),
        draw_distance=config.draw_distance,
        fog_distance=config.fog_distance,
    )


@dataclass(frozen=True)
class _Street:
    """What every placer needs: where the street runs, its cross-section, the stretch to fill, and the builder."""

    builder: PrismBuilder
    path: StreetPath
    road: RoadLayout
    begin: float
    end: float

    def heading(self, s: float) -> float:
        return float(self.path.heading[self.path.index_of(s)])

    def place(self, s: float, side: int, e: float) -> np.ndarray:
        """World xy of the point at station s, distance e from the road's centre line on `side` (+1 left)."""
        return self.path.point(np.asarray(s), np.asarray(self.road.side_offset(side, e)))


# Buildings -----------------------------------------------------------------------------------------------------

# Per row: (gap probability, setback range beyond the sidewalk, depth range, height range, length range).
_ROWS = (
    (0.18, (0.0, 4.0), (8.0, 16.0), (5.0, 22.0), (8.0, 26.0)),
    (0.35, (14.0, 26.0), (10.0, 20.0), (10.0, 32.0), (12.0, 30.0)),
    (0.60, (45.0, 90.0), (15.0, 30.0), (30.0, 70.0), (15.0, 35.0)),
)


def _buildings(street: _Street, rng: np.random.Generator, side: int, row: int) -> None:
    """One row of buildings (0: on the sidewalk's back edge or set back a little, 1: behind, 2: far towers)."""
    road = street.road
    gap_probability, setbacks, depths, heights, lengths = _ROWS[row]
    s = street.begin - rng.uniform(0.0, 20.0)
    while s < street.end:
        length = rng.uniform(*lengths)
        if rng.random() < gap_probability:
            s += rng.uniform(4.0, 14.0) if row == 0 else length
            continue
        front = road.sidewalk_end + (rng.uniform(*setbacks) if row or rng.random() < 0.45 else 0.0)
        depth, height = rng.uniform(*depths), rng.uniform(*heights)
        if row == 0 and rng.random() < 0.08:
            height = rng.uniform(28.0, 45.0)  # an occasional tall block in the front row
        colour = _FACADE_COLOURS[rng.integers(len(_FACADE_COLOURS))] * rng.uniform(0.88, 1.12, 3)
        floor = rng.uniform(2.9, 3.6)
        pitch = rng.uniform(2.2, 3.8)
        windows = (
            pitch,
            pitch * rng.uniform(0.35, 0.65),
            rng.uniform(0.0, pitch),
            floor,
            floor * rng.uniform(0.40, 0.58),
            rng.uniform(0.8, 1.1),
        )
        centre_s = s + 0.5 * length
        yaw = street.heading(centre_s)
        centre = street.place(centre_s, side, front + 0.5 * depth)
        centre = _clear_of_street(street.path, road, centre, yaw, 0.5 * length, 0.5 * depth, side, centre_s)
        street.builder.box(
            centre, yaw, 0.5 * length, 0.5 * depth, 0.0, height, Material.FACADE, np.clip(colour, 0, 1), windows
        )
        s += length + (0.0 if row == 0 and rng.random() < 0.5 else rng.uniform(0.5, 3.0))


def _clear_of_street(
    path: StreetPath,
    road: RoadLayout,
    centre: np.ndarray,
    yaw: float,
    half_length: float,
    half_depth: float,
    side: int,
    station: float,
) -> np.ndarray:
    """Move a building away from the street (along the street's normal at its station) until the whole street
    corridor (carriageway and sidewalks, within CORRIDOR_REACH_M of arc length) stays outside its footprint."""
    lo, hi = path.index_of(station - CORRIDOR_REACH_M), path.index_of(station + CORRIDOR_REACH_M) + 1
    points, tangent = path.xy[lo:hi:4], path.tangent[lo:hi:4]
    heading = float(path.heading[path.index_of(station)])
    normal_here = np.array([-np.sin(heading), np.cos(heading)])
    axis_u = np.array([np.cos(yaw), np.sin(yaw)])
    axis_v = np.array([-axis_u[1], axis_u[0]])
    for _ in range(8):
        # Closest approach of each corridor centre point to the footprint (distance to a rectangle).
        relative = points - centre
        along = np.maximum(np.abs(relative @ axis_u) - half_length, 0.0)
        across = np.maximum(np.abs(relative @ axis_v) - half_depth, 0.0)
        distance = np.hypot(along, across)
        # The corridor spans e <= sidewalk_end around the centre line (d = centre_offset): seen from the path point,
        # its far edge on the building's side is at d = centre_offset +- sidewalk_end.
        building_d = tangent[:, 1] * relative[:, 0] - tangent[:, 0] * relative[:, 1]  # d of the centre from P
        left = building_d > road.centre_offset
        needed = np.where(left, road.sidewalk_end + road.centre_offset, road.sidewalk_end - road.centre_offset)
        shortfall = float(np.max(needed + 0.3 - distance))
        if shortfall <= 0:
            break
        centre = centre + side * normal_here * (shortfall + 0.5)
    return centre


# Cars ----------------------------------------------------------------------------------------------------------


def _parked_cars(street: _Street, rng: np.random.Generator, side: int) -> None:
    s = street.begin
    while s < street.end:
        slot = rng.uniform(5.4, 7.6)
        if rng.random() < 0.6:
            _car(street, rng, s, side)
        s += slot


def _car(street: _Street, rng: np.random.Generator, s: float, side: int) -> None:
    """A car (or a van) parked against the curb: body, glass cabin, roof and four wheels, all boxes."""
    colour = np.clip(_CAR_COLOURS[rng.integers(len(_CAR_COLOURS))] * rng.uniform(0.9, 1.1, 3), 0, 1)
    van = rng.random() < 0.15
    length = rng.uniform(4.8, 5.6) if van else rng.uniform(3.9, 4.8)
    width = rng.uniform(1.75, 2.0) if van else rng.uniform(1.68, 1.88)
    body_top = rng.uniform(1.9, 2.3) if van else rng.uniform(0.85, 1.0)
    # Near the curb, but never over the carriageway's edge, even when slightly askew.
    road, builder = street.road, street.builder
    e = max(road.curb_start - 0.5 * width - rng.uniform(0.15, 0.35), road.road_edge + 0.15 + 0.5 * width)
    yaw = street.heading(s) + rng.uniform(-0.02, 0.02) + (np.pi if side > 0 else 0.0)
    centre = street.place(s, side, e)
    axis_u = np.array([np.cos(yaw), np.sin(yaw)])
    axis_v = np.array([-axis_u[1], axis_u[0]])
    builder.box(centre, yaw, 0.5 * length, 0.5 * width, 0.3, body_top, Material.PAINT, colour)
    if van:
        windscreen = centre + axis_u * (0.5 * length - 0.05)
        builder.box(windscreen, yaw, 0.08, 0.5 * width - 0.1, 1.2, body_top - 0.2, Material.GLASS, _GLASS)
    else:
        cabin_length = length * rng.uniform(0.45, 0.58)
        cabin = centre - axis_u * (length * rng.uniform(0.0, 0.08))
        cabin_top = body_top + rng.uniform(0.4, 0.5)
        half_width = 0.5 * width
        builder.box(
            cabin, yaw, 0.5 * cabin_length, half_width - 0.1, body_top, cabin_top - 0.05, Material.GLASS, _GLASS
        )
        builder.box(
            cabin,
            yaw,
            0.5 * cabin_length - 0.05,
            half_width - 0.12,
            cabin_top - 0.05,
            cabin_top,
            Material.PAINT,
            colour,
        )
    for along in (-1.0, 1.0):
        for across in (-1.0, 1.0):
            wheel = centre + axis_u * along * (0.5 * length - 0.8) + axis_v * across * (0.5 * width - 0.13)
            builder.box(wheel, yaw, 0.31, 0.11, 0.0, 0.62, Material.RUBBER, _RUBBER)


# Street furniture ----------------------------------------------------------------------------------------------


def _lamps(street: _Street, rng: np.random.Generator, side: int) -> None:
    builder, road = street.builder, street.road
    s = street.begin + rng.uniform(0.0, 30.0)
    while s < street.end:
        height, radius = rng.uniform(6.5, 8.0), rng.uniform(0.08, 0.11)
        e = road.sidewalk_start + 0.5
        builder.cylinder(street.place(s, side, e), radius, 0.0, height, Material.METAL, _METAL)
        yaw = street.heading(s) + 0.5 * np.pi
        builder.box(street.place(s, side, e - 0.9), yaw, 0.95, 0.06, height - 0.14, height, Material.METAL, _METAL)
        head = np.array([0.85, 0.85, 0.80])
        builder.box(street.place(s, side, e - 1.6), yaw, 0.35, 0.16, height - 0.3, height - 0.1, Material.METAL, head)
        s += rng.uniform(25.0, 40.0)


def _signs(street: _Street, rng: np.random.Generator, side: int) -> None:
    builder, road = street.builder, street.road
    s = street.begin + rng.uniform(0.0, 60.0)
    while s < street.end:
        top = rng.uniform(2.6, 3.2)
        e = road.sidewalk_start + 0.3
        builder.cylinder(street.place(s, side, e), 0.04, 0.0, top - 0.05, Material.METAL, _METAL)
        colour = _SIGN_COLOURS[rng.integers(len(_SIGN_COLOURS))]
        plate = street.place(s + 0.06, side, e)
        builder.box(plate, street.heading(s), 0.025, 0.35, top - 0.7, top, Material.SIGN, colour)
        s += rng.uniform(40.0, 90.0)


def _trees(street: _Street, rng: np.random.Generator, side: int) -> None:
    builder, road = street.builder, street.road
    s = street.begin + rng.uniform(0.0, 20.0)
    while s < street.end:
        if rng.random() < 0.5:  # an avenue stretch
            for _ in range(int(rng.integers(2, 7))):
                centre = street.place(s, side, road.sidewalk_start + 0.9)
                trunk_top = rng.uniform(2.6, 3.2)
                builder.cylinder(centre, rng.uniform(0.12, 0.2), 0.0, trunk_top + 0.3, Material.BARK, _BARK)
                crown = _FOLIAGE * rng.uniform(0.8, 1.2, 3)
                radius, bottom = rng.uniform(1.4, 2.0), trunk_top
                for tier in range(3):  # a stepped crown, narrowing upwards
                    top = bottom + rng.uniform(0.8, 1.2)
                    builder.cylinder(centre, radius * (1.0 - 0.28 * tier), bottom, top, Material.FOLIAGE, crown)
                    bottom = top
                s += rng.uniform(7.0, 11.0)
        s += rng.uniform(15.0, 50.0)


def _furniture(street: _Street, rng: np.random.Generator, side: int) -> None:
    builder, road = street.builder, street.road
    s = street.begin + rng.uniform(0.0, 20.0)
    while s < street.end:
        half_length, half_width, top = rng.uniform(0.3, 0.9), rng.uniform(0.25, 0.45), rng.uniform(0.6, 1.3)
        e = road.sidewalk_end - half_width - rng.uniform(0.1, 0.4)
        colour = np.clip(_FACADE_COLOURS[rng.integers(len(_FACADE_COLOURS))] * 0.8, 0, 1)
        material = Material.CONCRETE if rng.random() < 0.5 else Material.METAL
        builder.box(street.place(s, side, e), street.heading(s), half_length, half_width, 0.0, top, material, colour)
        s += rng.uniform(8.0, 30.0)


_PLACERS: tuple[Callable[[_Street, np.random.Generator, int], None], ...] = (
    partial(_buildings, row=0),
    partial(_buildings, row=1),
    partial(_buildings, row=2),
    _parked_cars,
    _lamps,
    _signs,
    _trees,
    _furniture,
)
