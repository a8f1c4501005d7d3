"""Visibility: the nearest surface along every pixel's ray (z-buffer of vertical prisms over the ground plane).

Why it is fast: with a level camera every prism is a vertical extrusion of a convex footprint, and every image
column is a vertical plane of rays. In one column a prism is entered at one z-depth t_n (where the column's plane
meets the footprint's boundary) for all the rows that see its side, so its pixels form a row *span* of constant
depth, bounded analytically; a cap (the top of an object below the camera, the bottom of one above it) adds a second
span whose depth is cap height / b_v. The work is therefore:

1. per primitive (~10^3): cull by range and by the near plane, and bound the columns it can cover from its
   footprint corners clipped to the near plane (only those columns' rays are tested);
2. per (primitive, column) (~10^4): the footprint's entry/exit depths and the exact row spans (only those rows'
   pixels are drawn: tighter than the primitive's screen rectangle);
3. per covered pixel (~10^5): expand the spans into (pixel, key) pairs, key = depth bits << 32 | span id, and keep
   the minimum key per pixel with one `np.minimum.at`.

The result is exact: depths are the analytic intersections, in float64, rounded to float32 once. All three steps
run in numpy on the CPU whatever the rendering device: `np.repeat` is ~10x faster than `torch.repeat_interleave`
for the expansion, and single-threaded numpy is not slowed down by other busy processes; shading (in `render`)
runs in torch on the chosen device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from mono_depth_ros.data.sim.camera import BACKGROUND_ID, LevelCamera, RayTables
from mono_depth_ros.data.sim.primitives import Prisms, Shape

__all__ = ["NEAR_PLANE_M", "Hits", "Spans", "cast_rays"]

NEAR_PLANE_M = 0.05


@dataclass(frozen=True)
class Spans:
    """S row spans (numpy, S entries each) of visible-candidate prism pieces, side spans first, then caps."""

    prism: np.ndarray  # (S,) int64 row of the scene's prism table
    column: np.ndarray  # (S,) int64 image column u
    entry_depth: np.ndarray  # (S,) z-depth where the column's ray plane enters the footprint (side spans' depth)
    first_row: np.ndarray  # (S,) int64 first and last image rows (inclusive)
    last_row: np.ndarray
    cap_height: np.ndarray  # (S,) camera-frame y of the cap plane (caps), NaN for side spans
    normal: np.ndarray  # (S, 2) camera-frame (x, z) outward normal of the side face entered (side spans)
    axis_rate: np.ndarray  # (S, 2) d(local coordinate)/dt along the prism's two horizontal axes in this column
    axis_offset: np.ndarray  # (S, 2) the prism centre's coordinates along those axes, camera origin

    def __len__(self) -> int:
        return len(self.prism)

    @property
    def is_cap(self) -> np.ndarray:
        return np.isfinite(self.cap_height)


@dataclass(frozen=True)
class Hits:
    """The nearest surface per pixel: depth (H, W) float32 (+inf for sky) and span (H, W) int64 index into `spans`
    (len(spans) for the ground and the sky)."""

    depth: torch.Tensor
    span: torch.Tensor
    spans: Spans


def cast_rays(prisms: Prisms, camera: LevelCamera, rays: RayTables, draw_distance: float) -> Hits:
    """Ray-cast `prisms` over the ground plane for a level camera; see the module docstring."""
    intrinsics = rays.intrinsics
    width, height = intrinsics.width, intrinsics.height
    spans = _row_spans(prisms, camera, rays, draw_distance) if len(prisms) else _no_spans()
    keys = rays.background_keys(camera.height).copy()
    if len(spans):
        pixels, span_keys = _expand(spans, rays, width, height)
        np.minimum.at(keys, pixels, span_keys)
    keys = np.ascontiguousarray(keys.reshape(width, height).T)
    depth = torch.from_numpy((keys >> 32).astype(np.int32).view(np.float32)).to(rays.device)
    span = torch.from_numpy(np.minimum(keys & BACKGROUND_ID, len(spans))).to(rays.device)
    return Hits(depth=depth, span=span, spans=spans)


def _no_spans() -> Spans:
    empty = np.zeros(0)
    return Spans(
        prism=empty.astype(np.int64),
        column=empty.astype(np.int64),
        first_row=empty.astype(np.int64),
        last_row=empty.astype(np.int64),
        entry_depth=empty,
        cap_height=empty,
        normal=np.zeros((0, 2)),
        axis_rate=np.zeros((0, 2)),
        axis_offset=np.zeros((0, 2)),
    )


# Per primitive -------------------------------------------------------------------------------------------------


def _column_ranges(
    prisms: Prisms, camera: LevelCamera, rays: RayTables, draw_distance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the prisms that may be visible and their first and last image columns (inclusive)."""
    intrinsics = rays.intrinsics
    centre_x, centre_z = camera.to_camera(prisms.centre)
    radius = prisms.radius
    candidate = np.flatnonzero(
        (np.hypot(centre_x, centre_z) - radius <= draw_distance) & (centre_z + radius >= NEAR_PLANE_M)
    )
    x, z = camera.to_camera(prisms.footprint_corners(candidate))  # (C, 4) each
    # Clip the footprint polygon to z >= near: the corners in front plus the edges' crossings of the near plane.
    next_x, next_z = np.roll(x, -1, axis=1), np.roll(z, -1, axis=1)
    crossing = (z - NEAR_PLANE_M) * (next_z - NEAR_PLANE_M) < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = (NEAR_PLANE_M - z) / (next_z - z)
        slopes = np.concatenate(
            (
                np.where(z >= NEAR_PLANE_M, x / z, np.inf),
                np.where(crossing, (x + weight * (next_x - x)) / NEAR_PLANE_M, np.inf),
            ),
            axis=1,
        )
    finite = np.isfinite(slopes)
    has_front = finite.any(axis=1)
    low = np.where(finite, slopes, np.inf).min(axis=1)
    high = np.where(finite, slopes, -np.inf).max(axis=1)
    with np.errstate(invalid="ignore"):
        first = np.maximum(np.ceil(intrinsics.cx + intrinsics.fx * low - 1e-6), 0)
        last = np.minimum(np.floor(intrinsics.cx + intrinsics.fx * high + 1e-6), intrinsics.width - 1)
    keep = has_front & (first <= last)
    return candidate[keep], first[keep].astype(np.int64), last[keep].astype(np.int64)


# Per (primitive, column) ---------------------------------------------------------------------------------------


def _row_spans(prisms: Prisms, camera: LevelCamera, rays: RayTables, draw_distance: float) -> Spans:
    intrinsics = rays.intrinsics
    index, first, last = _column_ranges(prisms, camera, rays, draw_distance)
    counts = last - first + 1
    prism = np.repeat(index, counts)
    column = np.repeat(first - _starts(counts), counts) + np.arange(counts.sum())
    a = rays.a[column]

    centre_x, centre_z = camera.to_camera(prisms.centre[prism])
    cos, sin = np.cos(prisms.yaw[prism]), np.sin(prisms.yaw[prism])
    # The prism's horizontal axes in camera (x, z) coordinates.
    axis_u = np.stack(
        (cos * camera.right[0] + sin * camera.right[1], cos * camera.forward[0] + sin * camera.forward[1]), -1
    )
    axis_v = np.stack(
        (cos * camera.right[1] - sin * camera.right[0], cos * camera.forward[1] - sin * camera.forward[0]), -1
    )
    # The ray point t * (a, 1) has local coordinates t * rate - offset along (axis_u, axis_v).
    rate = np.stack((a * axis_u[:, 0] + axis_u[:, 1], a * axis_v[:, 0] + axis_v[:, 1]), axis=-1)
    offset = np.stack(
        (centre_x * axis_u[:, 0] + centre_z * axis_u[:, 1], centre_x * axis_v[:, 0] + centre_z * axis_v[:, 1]), -1
    )
    half = prisms.half_size[prism]
    entry, leave, normal = _box_interval(rate, offset, half, axis_u, axis_v)
    cylinder = prisms.shape[prism] == Shape.CYLINDER
    if cylinder.any():
        entry[cylinder], leave[cylinder], normal[cylinder] = _disc_interval(
            a[cylinder], centre_x[cylinder], centre_z[cylinder], half[cylinder, 0]
        )

    near_entry = np.maximum(entry, NEAR_PLANE_M)
    hit = leave > near_entry
    top = camera.height - prisms.z_range[prism, 1]  # camera-frame y (down) of the top and bottom planes
    bottom = camera.height - prisms.z_range[prism, 0]
    cy, fy, rows = intrinsics.cy, intrinsics.fy, intrinsics.height

    def first_row(slope: np.ndarray) -> np.ndarray:
        return np.ceil(np.clip(cy + fy * slope, -1.0, rows)).astype(np.int64)

    def last_row(slope: np.ndarray) -> np.ndarray:
        return np.floor(np.clip(cy + fy * slope, -1.0, rows)).astype(np.int64)

    safe_entry = np.where(hit, near_entry, 1.0)
    safe_leave = np.where(hit, leave, 1.0)
    # Side rows: b * t_n within [top, bottom]. Caps: the ray crosses the cap plane between t_n and t_f.
    side_first, side_last = first_row(top / safe_entry), last_row(bottom / safe_entry)
    pieces = (
        (hit & (entry >= NEAR_PLANE_M), side_first, side_last, np.full(len(prism), np.nan)),
        (hit & (top > 0), first_row(top / safe_leave), side_first - 1, top),
        (hit & (bottom < 0), side_last + 1, last_row(bottom / safe_leave), bottom),
    )
    keep, low, high, cap = [], [], [], []
    for ok, piece_low, piece_high, piece_cap in pieces:
        piece_low, piece_high = np.maximum(piece_low, 0), np.minimum(piece_high, rows - 1)
        selected = np.flatnonzero(ok & (piece_low <= piece_high))
        keep.append(selected)
        low.append(piece_low[selected])
        high.append(piece_high[selected])
        cap.append(piece_cap[selected])
    chosen = np.concatenate(keep)
    return Spans(
        prism=prism[chosen],
        column=column[chosen],
        first_row=np.concatenate(low),
        last_row=np.concatenate(high),
        entry_depth=entry[chosen],
        cap_height=np.concatenate(cap),
        normal=normal[chosen],
        axis_rate=rate[chosen],
        axis_offset=offset[chosen],
    )


def _box_interval(
    rate: np.ndarray, offset: np.ndarray, half: np.ndarray, axis_u: np.ndarray, axis_v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slab test of a rectangle footprint: entry and exit depth (S,) and the entered face's normal (S, 2)."""
    safe = np.where(np.abs(rate) < 1e-12, 1e-12, rate)
    bound_a, bound_b = (offset - half) / safe, (offset + half) / safe
    low, high = np.minimum(bound_a, bound_b), np.maximum(bound_a, bound_b)
    entry_axis = np.argmax(low, axis=1)
    rows = np.arange(len(rate))
    # Moving up an axis (rate > 0) the ray enters through the face whose outward normal is -axis.
    sign = -np.sign(safe[rows, entry_axis])[:, None]
    normal = sign * np.where(entry_axis[:, None] == 0, axis_u, axis_v)
    return low[rows, entry_axis], high.min(axis=1), normal


def _disc_interval(
    a: np.ndarray, centre_x: np.ndarray, centre_z: np.ndarray, radius: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ray t * (a, 1) against a circle: entry and exit depth (S,) (inf, -inf when missed), entry normal (S, 2)."""
    quadratic = a * a + 1.0
    half_linear = a * centre_x + centre_z
    constant = centre_x**2 + centre_z**2 - radius**2
    discriminant = half_linear**2 - quadratic * constant
    root = np.sqrt(np.maximum(discriminant, 0.0))
    missed = discriminant < 0
    entry = np.where(missed, np.inf, (half_linear - root) / quadratic)
    leave = np.where(missed, -np.inf, (half_linear + root) / quadratic)
    normal = np.stack((entry * a - centre_x, entry - centre_z), axis=-1) / radius[:, None]
    return entry, leave, np.where(missed[:, None], 0.0, normal)


# Per pixel -----------------------------------------------------------------------------------------------------


def _expand(spans: Spans, rays: RayTables, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Column-major pixel indices (N,) and z-buffer keys (N,) of every pixel of every span (numpy: np.repeat is
    an order of magnitude faster than torch.repeat_interleave on CPU)."""
    counts = spans.last_row - spans.first_row + 1
    starts = _starts(counts)
    total = int(counts.sum())
    ramp = np.arange(total, dtype=np.int64)
    pixels = np.repeat(spans.column * height + spans.first_row - starts, counts) + ramp
    span_id = np.arange(len(spans), dtype=np.int64)
    keys = np.repeat(_depth_bits(spans.entry_depth) | span_id, counts)
    caps = np.flatnonzero(spans.is_cap)
    if len(caps):
        # Caps come last: their pixels are the tail of the expansion; depth = cap plane y / b_v per pixel.
        cap_start = int(starts[caps[0]])
        cap_counts = counts[caps]
        row = np.repeat(spans.first_row[caps] - (starts[caps] - cap_start), cap_counts) + ramp[: total - cap_start]
        depth = np.repeat(spans.cap_height[caps], cap_counts) / rays.b[row]
        keys[cap_start:] = _depth_bits(depth) | np.repeat(span_id[caps], cap_counts)
    return pixels, keys


def _depth_bits(depth: np.ndarray) -> np.ndarray:
    """Positive depths as int64 keys whose order is the depths' order: float32 bits in the high 32 bits."""
    return depth.astype(np.float32).view(np.int32).astype(np.int64) << 32


def _starts(counts: np.ndarray) -> np.ndarray:
    """Exclusive prefix sum: where each run of an expansion begins."""
    return np.cumsum(counts) - counts
