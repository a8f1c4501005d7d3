"""The generated street: every kind of object is there, and nothing stands on the carriageway or the sidewalks."""

from __future__ import annotations

import numpy as np

from mono_depth_ros.data.sim import SimConfig, SyntheticWorld
from mono_depth_ros.data.sim.primitives import Material, Shape
from mono_depth_ros.data.sim.world import Scene


def _inside_footprints(scene: Scene, points: np.ndarray, margin: float, materials: set[Material]) -> np.ndarray:
    """(N,) whether each world point (N, 2) lies within `margin` of a prism footprint of the given materials."""
    prisms = scene.prisms
    chosen = np.isin(prisms.material, [int(m) for m in materials])
    inside = np.zeros(len(points), bool)
    for row in np.flatnonzero(chosen):
        relative = points - prisms.centre[row]
        if prisms.shape[row] == Shape.CYLINDER:
            inside |= np.hypot(relative[:, 0], relative[:, 1]) < prisms.half_size[row, 0] + margin
            continue
        axis_u = np.array([np.cos(prisms.yaw[row]), np.sin(prisms.yaw[row])])
        axis_v = np.array([-axis_u[1], axis_u[0]])
        inside |= (np.abs(relative @ axis_u) < prisms.half_size[row, 0] + margin) & (
            np.abs(relative @ axis_v) < prisms.half_size[row, 1] + margin
        )
    return inside


def test_street_has_every_kind_of_object(small_world: SyntheticWorld) -> None:
    prisms = small_world.scene.prisms
    present = set(np.unique(prisms.material).tolist())
    assert present == {int(m) for m in Material}
    assert set(np.unique(prisms.shape).tolist()) == {int(Shape.BOX), int(Shape.CYLINDER)}
    facades = prisms.material == Material.FACADE
    heights = prisms.z_range[facades, 1]
    assert heights.min() < 10.0  # varied heights
    assert heights.max() > 25.0


def test_nothing_stands_on_the_driving_lanes_or_the_sidewalks_buildings_are_behind() -> None:
    world = SyntheticWorld(SimConfig(seed=3, width=32, height=16), frames=200)
    scene, road = world.scene, world.scene.road
    stations = scene.path.stations[(scene.path.stations > 0) & (scene.path.stations < scene.path.stations[-1] - 250)]
    stations = stations[::8]
    # The two driving lanes: no object at all within them (with 5 cm of margin).
    lanes = np.concatenate(
        [scene.path.point(stations, np.full(len(stations), d)) for d in np.linspace(-0.5, 1.5, 9) * road.lane_width]
    )
    assert not _inside_footprints(scene, lanes, 0.05, set(Material)).any()
    # Carriageway, parking lanes and sidewalks: no building (front rows stand right at the sidewalk's back edge).
    across = np.linspace(-road.sidewalk_end, road.sidewalk_end, 25) * 0.995 + road.centre_offset
    corridor = np.concatenate([scene.path.point(stations, np.full(len(stations), d)) for d in across])
    assert not _inside_footprints(scene, corridor, 0.0, {Material.FACADE}).any()


def test_ground_only_worlds_have_no_primitives() -> None:
    world = SyntheticWorld(SimConfig(ground_only=True, width=32, height=16), frames=3)
    assert len(world.scene.prisms) == 0
